import { describe, expect, it } from 'vitest';
import { parseCommandFlags, type FlagSpec } from '../../../api/cli/command-options.ts';

const SPECS: FlagSpec[] = [
  { name: 'name', doc: '' },
  { name: 'team', repeatable: true, doc: '' },
  { name: 'json', boolean: true, doc: '' },
  { name: 'token', env: 'SLUICE_TOKEN', doc: '' },
];

describe('one-shot command flags', () => {
  it('separates own flags, positional arguments and storage flags for the configuration parser', () => {
    const parsed = parseCommandFlags(['create', '--name=ci', '--team', 'a', '--team', 'b', '--json', '--clickhouse-url', 'http://x:8123', '--no-simulate'], SPECS, {}, { passthrough: true });
    expect(parsed).toEqual({ values: { name: 'ci', team: ['a', 'b'], json: true }, positional: ['create'], passthrough: ['--clickhouse-url', 'http://x:8123', '--no-simulate'] });
  });

  it('takes a flag from its environment variable when absent, and the flag wins', () => {
    expect(parseCommandFlags([], SPECS, { SLUICE_TOKEN: 'from-env' }, { passthrough: false }).values.token).toBe('from-env');
    expect(parseCommandFlags(['--token', 'flag'], SPECS, { SLUICE_TOKEN: 'from-env' }, { passthrough: false }).values.token).toBe('flag');
  });

  it.each([
    [['--colour'], /unknown option --colour/],
    [['--name'], /--name needs a value/],
    [['--name', '--json'], /--name needs a value/],
    [['--name', 'a', '--name', 'b'], /--name given twice/],
    [['--json=yes'], /--json takes no value/],
  ])('refuses %j, naming the option', (argv, message) => {
    expect(() => parseCommandFlags(argv, SPECS, {}, { passthrough: false })).toThrow(message);
  });
});
