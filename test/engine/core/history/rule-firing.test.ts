import { describe, expect, it } from 'vitest';
import { evaluateAlertRules, WORKBOOK_ALERT_RULES, type AlertRule } from '../../../../engine/core/alerting/alert-rules.ts';
import { ruleSeries, WindowCache } from '../../../../engine/core/history/rule-firing.ts';
import { DAY, generatedMinutes, HOUR, MIN, seriesOf, T0 } from './history-scenarios.ts';

describe('rule firing over a range of boundaries', () => {
  const rules: AlertRule[] = [...WORKBOOK_ALERT_RULES, { name: 'odd', severity: 'page', longWindowMs: 90_000, shortWindowMs: 30_000, burnRateThreshold: 2 }];
  const cases = [
    { name: 'a busy service with short and long outages', minutes: generatedMinutes({ days: 5, perMinute: 200, backgroundBadRatio: 0.0005, outages: [{ atMs: T0 + 2 * DAY, durationMs: 20 * MIN, badRatio: 0.3 }, { atMs: T0 + 3 * DAY, durationMs: 10 * HOUR, badRatio: 0.004 }], seed: 3 }) },
    { name: 'a trickle of traffic near the minBadEvents floor', minutes: generatedMinutes({ days: 5, perMinute: 0.6, backgroundBadRatio: 0.2, seed: 4 }) },
  ];
  it.each(cases)('fires exactly where evaluateAlertRules fires: $name', ({ minutes }) => {
    const series = seriesOf(minutes, 5);
    const range = { fromAtMs: T0 + DAY, count: 3 * 24 * 60 };
    const got = ruleSeries(rules, 5, new WindowCache(series, 0.999, range));
    let firings = 0;
    for (let k = 0; k < range.count; k += 1) {
      const atMs = range.fromAtMs + k * MIN;
      const want = evaluateAlertRules(rules, 0.999, (w) => series.sum({}, atMs - w, atMs), { minBadEvents: 5 });
      for (const [i, r] of want.entries()) {
        expect(got[i]!.firing[k], `${r.rule.name} at ${new Date(atMs).toISOString()}`).toBe(r.firing ? 1 : 0);
        expect(got[i]!.longBurn[k]).toBe(r.long.burnRate);
        if (r.firing) firings++;
      }
    }
    expect(firings).toBeGreaterThan(0);
  });
});
