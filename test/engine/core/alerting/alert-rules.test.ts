import { describe, expect, it } from 'vitest';
import {
  AlertingSpecSchema,
  evaluateAlertRules,
  TIER_ALERT_RULES,
  WORKBOOK_ALERT_RULES,
  type CountsOverWindow,
} from '../../../../engine/core/alerting/alert-rules.ts';
import type { EventCounts } from '../../../../engine/core/window/minute-bucket.ts';
import { testSlo } from '../fixtures/slo-fixtures.ts';

const HOUR_S = 3600;

/**
 * Exact per-second counts: `requestsPerSecond` requests every second for a long healthy
 * history, then every request failing for the last `errorSeconds` seconds before now.
 */
function perSecondHistory(errorSeconds: number, requestsPerSecond = 1): CountsOverWindow {
  return (windowMs: number): EventCounts => {
    const seconds = windowMs / 1000;
    const bad = Math.min(seconds, errorSeconds) * requestsPerSecond;
    const total = seconds * requestsPerSecond;
    return { good: total - bad, total };
  };
}

const page1h = WORKBOOK_ALERT_RULES.filter((r) => r.name === 'page-1h-5m');

describe('multiwindow multi-burn-rate rules', () => {
  const detection: { name: string; errorSeconds: number; firing: boolean }[] = [
    { name: 'at 99.9 % and 100 % errors the 1 h / 14.4× page is not yet firing after 51 s', errorSeconds: 51, firing: false },
    { name: 'at 99.9 % and 100 % errors the 1 h / 14.4× page fires after 52 s (3600 · 0.0144 = 51.84 s)', errorSeconds: 52, firing: true },
    { name: 'at 99.9 % and 100 % errors the 1 h / 14.4× page keeps firing after 10 minutes', errorSeconds: 600, firing: true },
  ];
  it.each(detection)('$name', ({ errorSeconds, firing }) => {
    const [result] = evaluateAlertRules(page1h, 0.999, perSecondHistory(errorSeconds));
    expect(result!.firing).toBe(firing);
    expect(result!.long.badRatio).toBeCloseTo(errorSeconds / HOUR_S, 12);
    expect(result!.short.burnRate).toBeGreaterThanOrEqual(14.4);
  });

  it('finds the workbook detection time of 52 s by stepping second by second', () => {
    let firstFiring: number | undefined;
    for (let s = 0; s <= 120 && firstFiring === undefined; s++) {
      if (evaluateAlertRules(page1h, 0.999, perSecondHistory(s))[0]!.firing) firstFiring = s;
    }
    expect(firstFiring).toBe(52);
  });

  it('lets the 5 m short window reset the page 5 minutes after errors stop', () => {
    // 10 minutes of total failure that ended 5 minutes ago: 1 h still burns, 5 m does not
    const counts: CountsOverWindow = (windowMs) => {
      const seconds = windowMs / 1000;
      const bad = Math.max(0, Math.min(seconds, 900) - 300);
      return { good: seconds - bad, total: seconds };
    };
    const [result] = evaluateAlertRules(page1h, 0.999, counts);
    expect(result!.long.burnRate).toBeGreaterThan(14.4);
    expect(result!.short.burnRate).toBe(0);
    expect(result!.firing).toBe(false);
  });

  const workbook: { name: string; errorRatio: number; firing: string[] }[] = [
    { name: 'a steady 1 % error rate at 99.9 % (10×) fires the 6× page and both tickets', errorRatio: 0.01, firing: ['page-6h-30m', 'ticket-1d-2h', 'ticket-3d-6h'] },
    { name: 'a steady 0.2 % error rate at 99.9 % (2×) fires only the 1× ticket', errorRatio: 0.002, firing: ['ticket-3d-6h'] },
    { name: 'a steady 2 % error rate at 99.9 % (20×) fires every rule', errorRatio: 0.02, firing: ['page-1h-5m', 'page-6h-30m', 'ticket-1d-2h', 'ticket-3d-6h'] },
    { name: 'a steady 0.05 % error rate at 99.9 % (0.5×) fires nothing', errorRatio: 0.0005, firing: [] },
  ];
  it.each(workbook)('$name', ({ errorRatio, firing }) => {
    const steady: CountsOverWindow = (windowMs) => {
      const total = windowMs / 1000;
      return { good: total - total * errorRatio, total };
    };
    const results = evaluateAlertRules(WORKBOOK_ALERT_RULES, 0.999, steady);
    expect(results.filter((r) => r.firing).map((r) => r.rule.name)).toEqual(firing);
  });

  const evidence: { name: string; counts: EventCounts; minBadEvents?: number; firing: boolean }[] = [
    { name: 'one failure among 15 requests (66× at 99.9 %) is noise: fewer than 5 bad events, the rule does not fire', counts: { good: 14, total: 15 }, firing: false },
    { name: 'four failures among 15 requests are still fewer than the default 5 bad events', counts: { good: 11, total: 15 }, firing: false },
    { name: 'five failures among 15 requests are enough evidence to fire', counts: { good: 10, total: 15 }, firing: true },
    { name: 'a lower minBadEvents lets a single failure fire', counts: { good: 14, total: 15 }, minBadEvents: 1, firing: true },
  ];
  it.each(evidence)('$name', ({ counts, minBadEvents, firing }) => {
    const [result] = evaluateAlertRules(page1h, 0.999, () => counts, minBadEvents === undefined ? {} : { minBadEvents });
    expect(result).toMatchObject({ firing, insufficientData: !firing });
  });

  const tiers: { name: string; tier: 'critical' | 'standard' | 'best-effort'; pages: string[] }[] = [
    { name: 'critical services page on the 14.4× and 6× burns', tier: 'critical', pages: ['page-1h-5m', 'page-6h-30m'] },
    { name: 'standard services page only on the 14.4× burn', tier: 'standard', pages: ['page-1h-5m'] },
    { name: 'best-effort services never page', tier: 'best-effort', pages: [] },
  ];
  it.each(tiers)('$name', ({ tier, pages }) => {
    expect(TIER_ALERT_RULES[tier].filter((r) => r.severity === 'page').map((r) => r.name)).toEqual(pages);
  });

  it('uses an SLO override instead of the tier rules', () => {
    const alerting = AlertingSpecSchema.parse({ rules: [{ severity: 'page', longWindow: '2h', shortWindow: '10m', burnRate: 10 }] });
    expect(testSlo({ alerting }).alertRules).toEqual([
      { name: 'page-2h-10m', severity: 'page', longWindowMs: 7_200_000, shortWindowMs: 600_000, burnRateThreshold: 10 },
    ]);
    expect(testSlo().alertRules).toEqual(WORKBOOK_ALERT_RULES);
  });

  it('rejects an override whose short window is not shorter than its long window', () => {
    const result = AlertingSpecSchema.safeParse({ rules: [{ severity: 'page', longWindow: '5m', shortWindow: '1h', burnRate: 10 }] });
    expect(result.error?.issues[0]).toMatchObject({ path: ['rules', 0, 'shortWindow'], message: 'must be shorter than longWindow' });
  });
});
