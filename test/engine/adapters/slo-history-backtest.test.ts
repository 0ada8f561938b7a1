import { describe, expect, it } from 'vitest';
import { InMemoryHistoryStore } from '../../../engine/adapters/history-store.ts';
import { SloHistoryService } from '../../../engine/adapters/slo-history-service.ts';
import type { SeriesMinute } from '../../../engine/core/history/minute-series.ts';
import { testSlo } from '../core/fixtures/slo-fixtures.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 2);
const at = (day: number, hh: number, mm: number) => T0 + day * DAY + hh * HOUR + mm * MIN;

/**
 * 30 days of exactly 100 requests a minute, and three outages:
 *  A  day 10 12:00–12:10  every request fails
 *  B  day 20 08:00–10:00  1 % fail (10× at 99.9 %: a slow burn, never a 14.4× page)
 *  C  day 25 03:00–03:06  every request fails, and nobody opened an incident
 * Incidents: A opened 12:03, B opened 09:00, and D (day 28 15:00) with no trace in this SLO.
 */
function history(): SeriesMinute[] {
  const out: SeriesMinute[] = [];
  for (let t = T0; t < T0 + 30 * DAY; t += MIN) {
    let bad = 0;
    if (t >= at(10, 12, 0) && t < at(10, 12, 10)) bad = 100;
    if (t >= at(20, 8, 0) && t < at(20, 10, 0)) bad = 1;
    if (t >= at(25, 3, 0) && t < at(25, 3, 6)) bad = 100;
    out.push({ minuteStartMs: t, good: 100 - bad, total: 100 });
  }
  return out;
}

describe('backtest against recorded incidents', () => {
  const slo = testSlo({ minEvents: 100 });
  const store = new InMemoryHistoryStore().setMinutes(slo.name, 'signals', history());
  store.incidentRows.set('checkout/production', [
    { incidentId: 'INC-A', severity: 'SEV2', title: 'checkout down', openedAtMs: at(10, 12, 3), resolvedAtMs: at(10, 12, 30), linkedDeployId: '' },
    { incidentId: 'INC-B', severity: 'SEV3', title: 'payments flaky', openedAtMs: at(20, 9, 0), resolvedAtMs: at(20, 11, 0), linkedDeployId: '' },
    { incidentId: 'INC-D', severity: 'SEV2', title: 'DNS', openedAtMs: at(28, 15, 0), resolvedAtMs: at(28, 16, 0), linkedDeployId: '' },
  ]);
  const service = new SloHistoryService({ store });
  // a page rule at the workbook's 14.4× over 1h/5m; a ticket at 2.5× over 6h/30m
  const rules = [
    { severity: 'page' as const, longWindow: '1h', shortWindow: '5m', burnRate: 14.4 },
    { severity: 'ticket' as const, longWindow: '6h', shortWindow: '30m', burnRate: 2.5 },
  ];

  it('fires the alerts worked out by hand, and scores them against the incidents', async () => {
    const answer = await service.backtest({ slo, fromMs: at(5, 0, 0), toMs: at(30, 0, 0), rules: { kind: 'candidates', rules } });
    // page 14.4× = 1.44 % bad over 1 h and 5 m. A: at 12:01 the hour holds 100 bad of 6,000 (1.67 %) and the 5 minutes 100 of 500;
    // the 5-minute window is clean again at 12:15; the 10-minute hold resolves the alert at 12:25. C likewise: 03:01 → clean at 03:11 → 03:21.
    // ticket 2.5× = 0.25 %: the 6 h window needs 90 bad and the 30 min window 8. A: 12:01 → the 30 min window is clean at 12:40 → 12:50.
    // B: 1 bad a minute reaches 90 in 6 h at 09:30; after 10:00 the 30 min window keeps ≥ 8 bad through 10:22 → clean at 10:23 → 10:33.
    // C: 03:01 → the 30 min window loses 03:05 at 03:36 → 03:46.
    expect(answer.alerts.map((a) => ({ severity: a.severity, startMs: a.startMs, endMs: a.endMs, incidentIds: a.incidentIds, noise: a.noise }))).toEqual([
      { severity: 'page', startMs: at(10, 12, 1), endMs: at(10, 12, 25), incidentIds: ['INC-A'], noise: false },
      { severity: 'ticket', startMs: at(10, 12, 1), endMs: at(10, 12, 50), incidentIds: ['INC-A'], noise: false },
      { severity: 'ticket', startMs: at(20, 9, 30), endMs: at(20, 10, 33), incidentIds: ['INC-B'], noise: false },
      { severity: 'page', startMs: at(25, 3, 1), endMs: at(25, 3, 21), incidentIds: [], noise: true },
      { severity: 'ticket', startMs: at(25, 3, 1), endMs: at(25, 3, 46), incidentIds: [], noise: true },
    ]);
    // peak burn of A's page: the 1 h window at its fullest holds all 1,000 bad of 6,000: 16.7 % / 0.1 % = 166.7×
    expect(answer.alerts[0]!.peakBurnRate).toBeCloseTo(1000 / 6000 / 0.001, 6);
    // delays: A's first alert 12:01 − opened 12:03 = −2 min (the alert came first); B's 09:30 − 09:00 = +30 min; D missed
    expect(answer.incidents.map((i) => [i.incidentId, i.detected, i.detectionDelayMs])).toEqual([['INC-A', true, -2 * MIN], ['INC-B', true, 30 * MIN], ['INC-D', false, null]]);
    // 5 alerts, 3 belong to an incident: precision 3/5; 2 of 3 incidents caught: recall 2/3; median delay (−2 + 30) / 2 = 14 min
    expect(answer.score).toEqual({
      alerts: 5, incidents: 3, precision: 3 / 5, recall: 2 / 3, noiseAlerts: 2, missedIncidents: 1,
      medianDetectionDelayMs: 14 * MIN, maxDetectionDelayMs: 30 * MIN, alertsPerWeek: 5 / (25 / 7),
    });
    // pages alone: A's caught INC-A (−2 min), C's is noise; B and D missed
    expect(answer.bySeverity.page).toMatchObject({ alerts: 2, precision: 1 / 2, recall: 1 / 3, medianDetectionDelayMs: -2 * MIN });
    expect(answer.bySeverity.ticket).toMatchObject({ alerts: 3, precision: 2 / 3, recall: 2 / 3, medianDetectionDelayMs: 14 * MIN });
    expect(answer.maintenance.note).toMatch(/no maintenance windows are defined/);
  });

  it('pages and recovers with the breach state machine the live judge runs, and spends the budget it should', async () => {
    const answer = await service.backtest({ slo, fromMs: at(5, 0, 0), toMs: at(30, 0, 0), rules: { kind: 'candidates', rules } });
    const changes = answer.transitions.map((t) => [t.atMs, t.from, t.to]);
    expect(changes.slice(0, 3)).toEqual([[at(10, 12, 1), 'OK', 'BREACHED'], [at(10, 12, 25), 'BREACHED', 'WARNING'], [at(10, 12, 50), 'WARNING', 'RECOVERED']]);
    // the budget of the 28 days: 0.1 % of 100 a minute = 4,032 bad; by day 30, A, B and C spent 1,000 + 120 + 600
    const last = answer.budget.at(-1)!;
    expect(last.atMs).toBe(at(30, 0, 0));
    expect(last.allowedBadEvents).toBeCloseTo(0.001 * 100 * 28 * 1440, 6);
    expect(last.total - last.good).toBe(1720);
    expect(answer.counts).toEqual({ good: 25 * 1440 * 100 - 1720, total: 25 * 1440 * 100 });
  });

  it('replays the SLO\'s own rules, the tier defaults or candidates, and refuses candidates it could never fire', async () => {
    const own = await service.backtest({ slo, fromMs: at(5, 0, 0), toMs: at(30, 0, 0) });
    expect(own.rules.map((r) => r.name)).toEqual(['page-1h-5m', 'page-6h-30m', 'ticket-1d-2h', 'ticket-3d-6h']);
    const defaults = await service.backtest({ slo: testSlo({ tier: 'best-effort' }), fromMs: at(5, 0, 0), toMs: at(30, 0, 0), rules: { kind: 'defaults' } });
    expect(defaults.rules.every((r) => r.severity === 'ticket')).toBe(true);
    await expect(service.backtest({ slo, fromMs: at(5, 0, 0), toMs: at(30, 0, 0), rules: { kind: 'candidates', rules: [{ severity: 'page', longWindow: '1h', shortWindow: '5m', burnRate: 2000 }] } }))
      .rejects.toThrow(/rules\.0\.burnRate: 2000 can never be reached with target 0\.999/);
  });
});
