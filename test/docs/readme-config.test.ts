import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { replaceConfigTable } from '../../scripts/render-config-table.ts';

describe('README', () => {
  it('lists every configuration option as the code defines it (run `npm run docs:config` to fix)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(replaceConfigTable(readme)).toBe(readme);
  });
});
