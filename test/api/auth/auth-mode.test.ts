import { describe, expect, it } from 'vitest';
import { decideAuthMode, isLoopbackHost } from '../../../api/auth/auth-mode.ts';

describe('auth mode at start-up', () => {
  it.each([
    // setting, host, active tokens, process, mode
    ['auto', '127.0.0.1', 0, 'embedded', 'off'],
    ['auto', 'localhost', 0, 'embedded', 'off'],
    ['auto', '::1', 0, 'embedded', 'off'],
    ['auto', '127.0.0.1', 1, 'embedded', 'required'],
    ['auto', '0.0.0.0', 2, 'embedded', 'required'],
    ['auto', '127.0.0.1', 0, 'cluster-api', 'required'],
    ['auto', '0.0.0.0', 0, 'cluster-api', 'required'],
    ['required', '127.0.0.1', 0, 'embedded', 'required'],
    ['off', '127.0.0.1', 3, 'cluster-api', 'off'],
  ] as const)('%s on %s with %i tokens (%s) → %s', (setting, host, activeTokens, process, mode) => {
    expect(decideAuthMode({ setting, host, activeTokens, process }).mode).toBe(mode);
  });

  it('refuses to run open on a non-loopback address, naming the options', () => {
    expect(() => decideAuthMode({ setting: 'auto', host: '0.0.0.0', activeTokens: 0, process: 'embedded' })).toThrow(/SLUICE_HOST \(--host\).*SLUICE_AUTH \(--auth\)/s);
    expect(() => decideAuthMode({ setting: 'off', host: '10.0.0.5', activeTokens: 0, process: 'embedded' })).toThrow(/SLUICE_AUTH \(--auth\): off is allowed only/);
  });

  it.each([
    ['127.0.0.1', true], ['127.1.2.3', true], ['::1', true], ['[::1]', true], ['localhost', true], ['api.localhost', true],
    ['0.0.0.0', false], ['::', false], ['10.0.0.1', false], ['example.com', false], ['localhost.example.com', false],
  ])('%s is loopback: %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});
