import { describe, expect, it } from 'vitest';
import {
  BURN_RATE_WINDOWS,
  budgetFractionBurnRate,
  burnRateOf,
  maxBurnRate,
  windowBurn,
} from '../../../../engine/core/budget/burn-rate.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('burn rate', () => {
  const cases: { name: string; good: number; total: number; target: number; expected: number }[] = [
    { name: 'errors at exactly the allowed rate burn at 1×', good: 999, total: 1000, target: 0.999, expected: 1 },
    { name: '1.44 % errors against 99.9 % burn at 14.4×', good: 9856, total: 10_000, target: 0.999, expected: 14.4 },
    { name: 'every request failing against 99.9 % burns at 1000×', good: 0, total: 50, target: 0.999, expected: 1000 },
    { name: 'no errors burn nothing', good: 10, total: 10, target: 0.99, expected: 0 },
    { name: 'no events burn nothing', good: 0, total: 0, target: 0.99, expected: 0 },
  ];
  it.each(cases)('$name', ({ good, total, target, expected }) => {
    expect(burnRateOf({ good, total }, target)).toBeCloseTo(expected, 9);
  });

  const fractions: { name: string; fraction: number; windowMs: number; expected: number }[] = [
    { name: '2 % of a 30-day budget in 1 h is the workbook 14.4×', fraction: 0.02, windowMs: HOUR, expected: 14.4 },
    { name: '5 % of a 30-day budget in 6 h is the workbook 6×', fraction: 0.05, windowMs: 6 * HOUR, expected: 6 },
    { name: '10 % of a 30-day budget in 1 d is the workbook 3×', fraction: 0.1, windowMs: DAY, expected: 3 },
    { name: '10 % of a 30-day budget in 3 d is the workbook 1×', fraction: 0.1, windowMs: 3 * DAY, expected: 1 },
  ];
  it.each(fractions)('$name', ({ fraction, windowMs, expected }) => {
    expect(budgetFractionBurnRate(fraction, windowMs, 30 * DAY)).toBeCloseTo(expected, 9);
  });

  it('reports a window with its counts, bad ratio and burn rate', () => {
    expect(windowBurn('1h', HOUR, { good: 990, total: 1000 }, 0.99)).toEqual({
      window: '1h',
      durationMs: HOUR,
      good: 990,
      total: 1000,
      badRatio: 0.01,
      burnRate: expect.closeTo(1, 9),
    });
  });

  it('lists the seven standard windows from 5m to 3d', () => {
    expect(BURN_RATE_WINDOWS.map((w) => w.window)).toEqual(['5m', '30m', '1h', '2h', '6h', '1d', '3d']);
    expect(maxBurnRate(0.999)).toBeCloseTo(1000, 9);
  });
});
