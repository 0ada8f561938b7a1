import { describe, expect, it } from 'vitest';
import { formatCount } from '../../../../engine/core/budget/error-budget.ts';

// formatCount (error-budget.ts) groups whole counts by hand and shares one Intl.NumberFormat
// for the rest, instead of building one per call (replays evaluate thousands of boundaries a
// second, a gate formats dozens of counts): the text must stay what
// toLocaleString('en-US', { maximumFractionDigits: 1 }) gave.
describe('formatCount', () => {
  it.each([0, 1, 999, 1_000, 4_320.4, 4_320.45, 1_234_567.89, 0.05, 0.04, -12_345.6, 1e21, -0, 12, 123, 1_234, 12_345, 123_456, -1, -1_000, -999_999, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53])('formats %d as before', (n) => {
    expect(formatCount(n)).toBe(n.toLocaleString('en-US', { maximumFractionDigits: 1 }));
  });

  it('formats every whole count of a seeded sweep as Intl does', () => {
    for (let i = 0, n = 7; i < 5_000; i++, n = Math.floor(n * 1.37) % 1e15 + i) {
      expect(formatCount(n)).toBe(n.toLocaleString('en-US', { maximumFractionDigits: 1 }));
      expect(formatCount(-n)).toBe((-n).toLocaleString('en-US', { maximumFractionDigits: 1 }));
    }
  });
});
