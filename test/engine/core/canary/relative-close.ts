import { expect } from 'vitest';

/** Expects `actual` within a relative tolerance of `expected` (exact match for 0, ±Infinity, NaN). */
export function expectRelClose(actual: number | null | undefined, expected: number, rel = 1e-9): void {
  expect(actual).not.toBeNull();
  expect(actual).not.toBeUndefined();
  const a = actual as number;
  if (!Number.isFinite(expected) || expected === 0) {
    expect(a).toBe(expected);
    return;
  }
  const error = Math.abs(a - expected) / Math.abs(expected);
  if (error > rel) expect.fail(`${a} is not within ${rel} (relative) of ${expected}: relative error ${error.toExponential(2)}`);
}
