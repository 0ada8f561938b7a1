import { describe, expect, it } from 'vitest';
import { errorBudget } from '../../../../engine/core/budget/error-budget.ts';

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
