import { describe, expect, it } from 'vitest';
import { errorBudget, expectedPeriodEvents, type VolumeSample } from '../../../../engine/core/budget/error-budget.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

describe('errorBudget', () => {
  const cases: {
    name: string;
    good: number;
    total: number;
    target: number;
    expected: { attainment: number | null; allowed: number; remainingEvents: number; consumedRatio: number; exhausted: boolean };
  }[] = [
    { name: 'one million requests at 99.9 % allow 1 000 bad ones', good: 1_000_000, total: 1_000_000, target: 0.999, expected: { attainment: 1, allowed: 1000, remainingEvents: 1000, consumedRatio: 0, exhausted: false } },
    { name: '250 bad of a 1 000 allowance consume a quarter of the budget', good: 999_750, total: 1_000_000, target: 0.999, expected: { attainment: 0.99975, allowed: 1000, remainingEvents: 750, consumedRatio: 0.25, exhausted: false } },
    { name: 'spending exactly the allowance exhausts the budget', good: 99_000, total: 100_000, target: 0.99, expected: { attainment: 0.99, allowed: 1000, remainingEvents: 0, consumedRatio: 1, exhausted: true } },
    { name: 'overspending gives a negative remainder', good: 98_000, total: 100_000, target: 0.99, expected: { attainment: 0.98, allowed: 1000, remainingEvents: -1000, consumedRatio: 2, exhausted: true } },
    { name: 'no events means no attainment and nothing consumed', good: 0, total: 0, target: 0.999, expected: { attainment: null, allowed: 0, remainingEvents: 0, consumedRatio: 0, exhausted: false } },
  ];
  it.each(cases)('$name', ({ good, total, target, expected }) => {
    const b = errorBudget({ good, total }, target);
    expect(b.attainment).toBe(expected.attainment);
    expect(b.allowedBadEvents).toBeCloseTo(expected.allowed, 6);
    expect(b.remainingEvents).toBeCloseTo(expected.remainingEvents, 6);
    expect(b.consumedRatio).toBeCloseTo(expected.consumedRatio, 9);
    expect(b.remainingRatio).toBeCloseTo(1 - expected.consumedRatio, 9);
    expect(b.exhausted).toBe(expected.exhausted);
  });
});

describe('errorBudget for the whole period', () => {
  it('allows (1 − target) × the expected volume of the whole period, not of the events seen so far', () => {
    const b = errorBudget({ good: 23_975, total: 24_000 }, 0.999, { periodMs: 30 * DAY, expectedTotal: 4_320_000, volumeBasis: '24,000 observed over 4h, scaled to 30d' });
    expect(b.allowedBadEvents).toBeCloseTo(4320, 6);
    expect(b.consumedRatio).toBeCloseTo(25 / 4320, 12);
    expect(b).toMatchObject({ bad: 25, expectedTotal: 4_320_000, periodMs: 30 * DAY, exhausted: false });
  });

  it('never expects fewer events than were observed', () => {
    expect(errorBudget({ good: 90, total: 100 }, 0.9, { expectedTotal: 50 }).expectedTotal).toBe(100);
  });

  it('is not exhausted below the minimum number of events, however bad', () => {
    expect(errorBudget({ good: 0, total: 15 }, 0.999, { minEvents: 3000 }).exhausted).toBe(false);
    expect(errorBudget({ good: 0, total: 3000 }, 0.999, { minEvents: 3000 }).exhausted).toBe(true);
  });
});

describe('expectedPeriodEvents', () => {
  const cases: { name: string; sample: VolumeSample; expected: number }[] = [
    { name: 'a rolling 30-day window with 4 h of data scales the 4 h up to 30 days', sample: { rateTotal: 24_000, rateSpanMs: 4 * HOUR, periodMs: 30 * DAY, observedTotal: 24_000 }, expected: 4_320_000 },
    { name: 'a rolling window whose data covers all of it expects what it observed', sample: { rateTotal: 40_320_000, rateSpanMs: 28 * DAY, periodMs: 28 * DAY, observedTotal: 40_320_000 }, expected: 40_320_000 },
    { name: 'a calendar month takes the trailing 30-day rate times its 31 days', sample: { rateTotal: 43_200_000, rateSpanMs: 30 * DAY, periodMs: 31 * DAY, observedTotal: 3_000 }, expected: 44_640_000 },
    { name: 'a month busier than its trailing rate expects at least what it already holds', sample: { rateTotal: 1_000, rateSpanMs: 10 * MIN, periodMs: 31 * DAY, observedTotal: 5_000_000 }, expected: 5_000_000 },
    { name: 'without history nothing more than the observed events is expected', sample: { rateTotal: 0, rateSpanMs: 0, periodMs: 28 * DAY, observedTotal: 0 }, expected: 0 },
  ];
  it.each(cases)('$name', ({ sample, expected }) => {
    expect(expectedPeriodEvents(sample)).toBeCloseTo(expected, 6);
  });
});
