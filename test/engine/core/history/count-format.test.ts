import { describe, expect, it } from 'vitest';
import { formatCount } from '../../../../engine/core/budget/error-budget.ts';

// formatCount (error-budget.ts) shares one Intl.NumberFormat instead of building one per call
// (replays evaluate thousands of boundaries a second): the text must stay what
// toLocaleString('en-US', { maximumFractionDigits: 1 }) gave.
describe('formatCount', () => {
  it.each([0, 1, 999, 1_000, 4_320.4, 4_320.45, 1_234_567.89, 0.05, 0.04, -12_345.6, 1e21])('formats %d as before', (n) => {
    expect(formatCount(n)).toBe(n.toLocaleString('en-US', { maximumFractionDigits: 1 }));
  });
});
