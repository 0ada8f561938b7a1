import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../api/audit/canonical-json.ts';

describe('canonical JSON (RFC 8785)', () => {
  it.each([
    [{ b: 1, a: [true, null, 'x'], c: { z: 0, y: -1.5 } }, '{"a":[true,null,"x"],"b":1,"c":{"y":-1.5,"z":0}}'],
    [{ é: 1, e: 2, E: 3 }, '{"E":3,"e":2,"é":1}'],
    [{ a: undefined, b: 'line\nbreak "quoted"' }, '{"b":"line\\nbreak \\"quoted\\""}'],
    [1e21, '1e+21'],
    [[], '[]'],
  ])('%j → %s', (value, text) => {
    expect(canonicalJson(value)).toBe(text);
  });

  it('gives the same text for the same value whatever the key order', () => {
    expect(canonicalJson({ x: 1, y: { b: 2, a: 1 } })).toBe(canonicalJson({ y: { a: 1, b: 2 }, x: 1 }));
  });

  it.each([[NaN], [Infinity], [[undefined]], [10n]])('refuses %s rather than changing it', (value) => {
    expect(() => canonicalJson(value)).toThrow(TypeError);
  });
});
