import { isIP } from 'node:net';
import { ConfigError } from '../../platform/config/sluice-config.ts';
import type { AuthMode } from './authenticator.ts';

/** `SLUICE_AUTH` (`--auth`): `auto` (default), `required` or `off`. */
export type AuthSetting = 'auto' | 'required' | 'off';

/** Whether `host` (an address to bind to, or a Host header's name) is this machine's loopback. */
export function isLoopbackHost(host: string): boolean {
  const name = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || name === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(name);
  return false;
}

/**
 * The auth mode a process runs in, decided once at start-up (docs/api-security.md, "Auth modes"):
 *
 * - `required` → tokens required.
 * - `off` → no tokens needed; refused unless the HTTP server binds to loopback.
 * - `auto` → `sluice api` requires tokens; `sluice start` requires them when any active
 *   token exists, runs open when none does and it binds to loopback (the embedded demo),
 *   and refuses to start open on any other address.
 *
 * Throws ConfigError naming the options when the combination would expose data.
 */
export function decideAuthMode(opts: { setting: AuthSetting; host: string; activeTokens: number; process: 'embedded' | 'cluster-api' }): { mode: AuthMode; reason: string } {
  const loopback = isLoopbackHost(opts.host);
  const tokens = `${opts.activeTokens} active token${opts.activeTokens === 1 ? '' : 's'}`;
  switch (opts.setting) {
    case 'required':
      return { mode: 'required', reason: `SLUICE_AUTH=required (${tokens})` };
    case 'off':
      if (!loopback) {
        throw new ConfigError(
          `invalid configuration:\n  SLUICE_AUTH (--auth): off is allowed only when SLUICE_HOST (--host) is a loopback address, got host ${JSON.stringify(opts.host)}. ` +
            'Use SLUICE_AUTH=required with tokens (`sluice token create`), or bind to 127.0.0.1.',
        );
      }
      return { mode: 'off', reason: 'SLUICE_AUTH=off (loopback only)' };
    case 'auto':
      if (opts.process === 'cluster-api') return { mode: 'required', reason: `sluice api always requires tokens (${tokens})` };
      if (opts.activeTokens > 0) return { mode: 'required', reason: `${tokens} exist` };
      if (loopback) return { mode: 'off', reason: 'no API token exists and the server binds to loopback' };
      throw new ConfigError(
        `invalid configuration:\n  SLUICE_HOST (--host) ${JSON.stringify(opts.host)} is not a loopback address and no API token exists, so the API would be open to the network. ` +
          'Create a token (`sluice token create --name admin --role admin`; auth is then required), set SLUICE_AUTH (--auth) to required, or bind to 127.0.0.1.',
      );
  }
}
