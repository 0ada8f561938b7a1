import { describe, expect, it } from 'vitest';
import { seriesFreshness } from '../../../../engine/adapters/history-freshness.ts';
import { scopeFreshness, sloSelector } from '../../../../engine/adapters/scope-freshness.ts';
import { initialBreachState, step, type BreachTransition } from '../../../../engine/core/breach/breach-state-machine.ts';
import { replayHistory } from '../../../../engine/core/history/history-replay.ts';
import { evaluateSlo } from '../../../../engine/core/slo-evaluator.ts';
import { MinuteBucketStore } from '../../../../engine/core/window/minute-bucket-store.ts';
import { SLO_KEY, testSlo } from '../fixtures/slo-fixtures.ts';
import { DAY, generatedMinutes, HOUR, MIN, seriesOf, T0 } from './history-scenarios.ts';

const DAYS = 12;
const scenarios = [
  {
    name: 'a busy service: a fast outage, a slow burn lasting days, a silence, a budget spent',
    slo: testSlo({ minEvents: 100 }),
    minutes: generatedMinutes({
      days: DAYS, perMinute: 120, backgroundBadRatio: 0.0003, seed: 5,
      outages: [
        { atMs: T0 + 3 * DAY + 5 * HOUR, durationMs: 25 * MIN, badRatio: 0.5 },
        { atMs: T0 + 5 * DAY, durationMs: 3 * DAY, badRatio: 0.0035 },
        { atMs: T0 + 10 * DAY, durationMs: 6 * HOUR, badRatio: 0.08 },
      ],
      silences: [{ atMs: T0 + 9 * DAY + 2 * HOUR, durationMs: 45 * MIN }],
    }),
  },
  {
    name: 'a low-traffic calendar-month SLO with flapping failures',
    slo: testSlo({ objectives: [{ target: 0.99 }], timeWindow: [{ duration: '1M', isRolling: false }], tier: 'standard', alerting: { holdFor: '0m' } }),
    minutes: generatedMinutes({ days: DAYS, perMinute: 3, backgroundBadRatio: 0.002, seed: 6, outages: [{ atMs: T0 + 4 * DAY, durationMs: 8 * HOUR, badRatio: 0.2 }, { atMs: T0 + 7 * DAY, durationMs: 2 * HOUR, badRatio: 1 }] }),
  },
];

/** What a comparison compares: every field a subscriber sees. */
const view = (ts: readonly BreachTransition[]) => ts.map((t) => ({ atMs: t.atMs, from: t.from, to: t.to, rule: t.rule, reason: t.reason, windows: t.windows, budget: t.budget }));

describe('replayHistory', () => {
  it.each(scenarios)('skipping quiet boundaries changes nothing: $name', ({ slo, minutes }) => {
    const series = seriesOf(minutes, DAYS);
    const options = { fromMs: T0 + 2 * DAY, toMs: T0 + DAYS * DAY, budgetStepMs: 6 * HOUR };
    const full = replayHistory(slo, series, seriesFreshness(slo, series), { ...options, screen: false });
    const screened = replayHistory(slo, series, seriesFreshness(slo, series), options);
    expect(full.transitions.length).toBeGreaterThan(3);
    expect(view(screened.transitions)).toEqual(view(full.transitions));
    expect(screened.alerts).toEqual(full.alerts);
    expect(screened.budget).toEqual(full.budget);
    expect({ ...screened.finalState, reason: '' }).toEqual({ ...full.finalState, reason: '' });
    expect(screened.finalEvaluation).toEqual(full.finalEvaluation);
    expect(screened.stats.evaluated).toBeLessThan(full.stats.evaluated / 5);
    console.log(`[replay] ${slo.name}: ${full.transitions.length} transitions, ${screened.stats.evaluated} of ${screened.stats.boundaries} boundaries evaluated in full`);
  });

  it('gives the transitions of the judge\'s loop over its bucket store, boundary by boundary from the first data', () => {
    const { slo, minutes } = scenarios[0]!;
    const store = new MinuteBucketStore({ allowedLatenessMs: MIN });
    for (const m of minutes) store.mergeDelta({ key: SLO_KEY, minuteStartMs: m.minuteStartMs, good: m.good, total: m.total, lateEvents: 0 });
    // the judge's loop, as slo-judge.ts runs it: first boundary after the first data, then every minute
    let state = initialBreachState(slo.name, sloSelector(slo), T0);
    let last: number | undefined;
    const judged: BreachTransition[] = [];
    for (let atMs = T0 + MIN; atMs <= T0 + DAYS * DAY; atMs += MIN) {
      if (atMs > T0 + MIN && store.sum(sloSelector(slo), atMs - MIN, atMs).total > 0) last = atMs - MIN;
      if (atMs === T0 + MIN) last = T0;
      const e = evaluateSlo({ slo, store, freshness: [scopeFreshness(slo, store, atMs, last)], nowMs: atMs });
      const next = step(state, e, atMs);
      state = next.state;
      judged.push(...next.transitions);
    }
    const series = seriesOf(minutes, DAYS);
    const replayed = replayHistory(slo, series, seriesFreshness(slo, series), { fromMs: T0, toMs: T0 + DAYS * DAY });
    expect(view(replayed.transitions)).toEqual(view(judged));
  });

  it('reports the alerts of each severity with their peak burn rate, and the budget over time', () => {
    const { slo, minutes } = scenarios[0]!;
    const series = seriesOf(minutes, DAYS);
    const r = replayHistory(slo, series, seriesFreshness(slo, series), { fromMs: T0 + 2 * DAY, toMs: T0 + DAYS * DAY });
    const fast = r.alerts.find((a) => a.severity === 'page' && a.startMs >= T0 + 3 * DAY && a.startMs < T0 + 4 * DAY)!;
    // 50 % failing at 99.9 %: a 500× burn over 5 minutes; the 1 h window peaks at 25 min / 60 min of it
    expect(fast.rules).toContain('page-1h-5m');
    expect(fast.startMs).toBeLessThanOrEqual(T0 + 3 * DAY + 5 * HOUR + 2 * MIN);
    expect(fast.peakBurnRate).toBeGreaterThan(150);
    expect(fast.endMs).not.toBeNull();
    expect(r.budget.map((b) => b.atMs)).toEqual(Array.from({ length: 11 }, (_, i) => T0 + (2 + i) * DAY));
    expect(r.budget.at(-1)!.consumedRatio).toBeGreaterThan(r.budget[0]!.consumedRatio);
  });
});
