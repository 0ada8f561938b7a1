import { describe, expect, it } from 'vitest';
import type { SeriesMinute } from '../../../../engine/core/history/minute-series.ts';
import { sweepThresholds } from '../../../../engine/core/history/threshold-sweep.ts';
import { testSlo } from '../fixtures/slo-fixtures.ts';
import { DAY, HOUR, MIN, seriesOf, T0 } from './history-scenarios.ts';

const at = (day: number, hh: number, mm: number) => T0 + day * DAY + hh * HOUR + mm * MIN;

describe('sweepThresholds', () => {
  // 100 requests a minute; a sharp outage (day 10, 10 min, all failing) and a slow burn (day 20, 4 h at 1 %),
  // each with its incident; and one sharp blip (day 25, 3 min) nobody opened an incident for
  const minutes: SeriesMinute[] = [];
  for (let t = T0; t < T0 + 30 * DAY; t += MIN) {
    let bad = 0;
    if (t >= at(10, 12, 0) && t < at(10, 12, 10)) bad = 100;
    if (t >= at(20, 6, 0) && t < at(20, 10, 0)) bad = 1;
    if (t >= at(25, 3, 0) && t < at(25, 3, 3)) bad = 100;
    minutes.push({ minuteStartMs: t, good: 100 - bad, total: 100 });
  }
  const incidents = [
    { incidentId: 'sharp', severity: 'SEV1', title: '', openedAtMs: at(10, 12, 5), resolvedAtMs: at(10, 13, 0) },
    { incidentId: 'slow', severity: 'SEV3', title: '', openedAtMs: at(20, 8, 0), resolvedAtMs: at(20, 11, 0) },
  ];
  const slo = testSlo({ minEvents: 100 });
  const result = sweepThresholds({
    slo, series: seriesOf(minutes, 30), fromMs: at(5, 0, 0), toMs: at(30, 0, 0), incidents,
    grid: { windows: [{ longWindowMs: HOUR, shortWindowMs: 5 * MIN }, { longWindowMs: 6 * HOUR, shortWindowMs: 30 * MIN }], burnRates: [2, 6, 14.4, 50] },
    maxPagesPerWeek: 1,
  });

  it('replays every grid point and keeps the Pareto front of pages a week, median delay and recall', () => {
    expect(result.points).toHaveLength(8);
    const byName = new Map(result.points.map((p) => [p.rule.name, p.score]));
    // 1 h / 5 m at 14.4×: the sharp outage (−4 min: fires at 12:01) and the blip (noise); the 1 % burn (10×) never reaches it
    expect(byName.get('page-1h-5m-14.4x')).toMatchObject({ alerts: 2, recall: 1 / 2, medianDetectionDelayMs: -4 * MIN, noiseAlerts: 1 });
    // 6 h / 30 m at 6×: the slow burn too — 0.6 % of 6 h is 216 bad, which the 1 % burn holds by 09:36
    expect(byName.get('page-6h-30m-6x')).toMatchObject({ recall: 1 });
    for (const p of result.points) {
      const dominated = result.points.some((q) => q !== p && q.score.alertsPerWeek <= p.score.alertsPerWeek && (q.score.medianDetectionDelayMs ?? Infinity) <= (p.score.medianDetectionDelayMs ?? Infinity) && (q.score.recall ?? 0) >= (p.score.recall ?? 0)
        && (q.score.alertsPerWeek < p.score.alertsPerWeek || (q.score.medianDetectionDelayMs ?? Infinity) < (p.score.medianDetectionDelayMs ?? Infinity) || (q.score.recall ?? 0) > (p.score.recall ?? 0)));
      expect(p.pareto, p.rule.name).toBe(!dominated);
    }
  });

  it('recommends the set catching most incidents within the page budget, and says why', () => {
    expect(result.recommended!.score.recall).toBe(1);
    expect(result.recommended!.score.alertsPerWeek).toBeLessThanOrEqual(1);
    expect(result.recommended!.why.join(' ')).toMatch(/caught 2 of 2 incidents/);
  });

  it('leaves out grid points that cannot fire, and thins a grid larger than its bound', () => {
    const r = sweepThresholds({ slo: testSlo({ objectives: [{ target: 0.99 }] }), series: seriesOf(minutes, 30), fromMs: at(5, 0, 0), toMs: at(30, 0, 0), incidents, grid: { burnRates: [1, 2, 3, 6, 14.4, 200], maxPoints: 10 } });
    expect(r.skipped.filter((s) => s.includes('unreachable'))).toHaveLength(4);
    expect(r.points).toHaveLength(10);
  });
});
