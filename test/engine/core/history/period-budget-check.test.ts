import { describe, expect, it } from 'vitest';
import { periodExhausted } from '../../../../engine/core/history/period-budget-check.ts';
import { evaluateSlo } from '../../../../engine/core/slo-evaluator.ts';
import { freshAt, testSlo } from '../fixtures/slo-fixtures.ts';
import { DAY, generatedMinutes, HOUR, MIN, seriesOf, T0 } from './history-scenarios.ts';

describe('periodExhausted', () => {
  const minutes = generatedMinutes({
    days: 40, perMinute: 50, backgroundBadRatio: 0.0004, seed: 12,
    outages: [{ atMs: T0 + 2 * DAY, durationMs: 10 * HOUR, badRatio: 0.2 }, { atMs: T0 + 33 * DAY, durationMs: 20 * HOUR, badRatio: 0.1 }],
  });
  const series = seriesOf(minutes, 40);
  it.each([
    { name: 'rolling 28 days, history shorter and longer than the window', slo: testSlo({ minEvents: 100 }) },
    { name: 'rolling 7 days at 99 %', slo: testSlo({ objectives: [{ target: 0.99 }], timeWindow: [{ duration: '7d', isRolling: true }] }) },
    { name: 'calendar month (trailing 30-day volume)', slo: testSlo({ timeWindow: [{ duration: '1M', isRolling: false }] }) },
  ])('says what evaluateSlo says: $name', ({ slo }) => {
    let exhausted = 0;
    for (let atMs = T0 + HOUR; atMs <= T0 + 40 * DAY; atMs += 17 * MIN) {
      const want = evaluateSlo({ slo, store: series, freshness: freshAt(atMs), nowMs: atMs }).budget.exhausted;
      expect(periodExhausted(slo, series, atMs), new Date(atMs).toISOString()).toBe(want);
      if (want) exhausted++;
    }
    expect(exhausted).toBeGreaterThan(0);
  });
});
