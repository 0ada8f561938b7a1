import { describe, expect, it } from 'vitest';
import { historyHorizonMs } from '../../../engine/adapters/history-horizon.ts';
import type { MinuteBucketDelta } from '../../../engine/core/window/minute-bucket.ts';
import { testSlo, SLO_KEY } from '../core/fixtures/slo-fixtures.ts';
import { span, type FakeSource } from './support/fake-ingest.ts';
import { durableParts, judgeHarness, type TimedEvent } from './support/judge-harness.ts';

const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2025, 2, 10, 9, 0);
const SPANS: FakeSource = { source: 'sluice.spans.v1', partition: 0, signal: 'spans' };

function requests(fromMs: number, toMs: number, errorEvery = 0): TimedEvent[] {
  const out: TimedEvent[] = [];
  for (let t = fromMs, i = 0; t < toMs; t += 2_000, i++) out.push({ source: SPANS, atMs: t + 1_000, event: span(t + 1_000, { error: errorEvery > 0 && i % errorEvery === 0 }) });
  return out;
}


describe('SloJudge restart (item 7)', () => {
  it('keeps a 90-day SLO’s consumed budget: the whole window is restored, not 35 days', async () => {
    const slo = testSlo({ minEvents: 100, timeWindow: [{ duration: '90d', isRolling: true }] });
    const durable = durableParts();
    // 91 days of history, 10 requests every 10 minutes, one failure every 3 days inside the window
    const buckets: MinuteBucketDelta[] = [];
    for (let t = T0 - 91 * DAY, i = 0; t < T0; t += 10 * MIN, i++) {
      buckets.push({ key: SLO_KEY, minuteStartMs: t, good: i % 432 === 0 && t >= T0 - 90 * DAY ? 9 : 10, total: 10, lateEvents: 0 });
    }
    durable.history.record({ deltas: [{ sloName: slo.name, position: { source: SPANS.source, partition: 0, lo: 0, hi: 999 }, buckets }], progress: [] });

    const first = await judgeHarness([slo], T0, durable);
    first.ingest.declare(SPANS);
    first.idle(T0, T0 + 30_000, 30_000);
    await first.judge.stop();
    const [before] = await first.judge.list();
    expect(before!.status).toBe('OK');
    expect(before!.evaluation!.budget.total).toBe(90 * 144 * 10);
    expect(before!.evaluation!.budget.consumedRatio).toBeCloseTo(30 / 129.6, 6); // 23.1 % of the 90 days' budget

    const second = await judgeHarness([slo], T0 + 60_000, durable);
    const [restored] = await second.judge.list();
    expect({ status: restored!.status, consumed: restored!.evaluation!.budget.consumedRatio }).toEqual({ status: 'OK', consumed: before!.evaluation!.budget.consumedRatio });
    second.ingest.declare(SPANS);
    second.idle(T0 + 60_000, T0 + 2 * MIN, 30_000);
    const [after] = await second.judge.list();
    expect(after!.evaluatedThroughMs).toBeGreaterThan(before!.evaluatedThroughMs!);
    // the window slid one minute (one 10-request bucket left it): still the 90 days' budget, not 35 days'
    expect(after!.evaluation!.budget.total).toBe(90 * 144 * 10 - 10);
    expect(after!.evaluation!.budget.consumedRatio).toBeCloseTo(30 / 129.59, 9);
    expect(await second.transitions()).toEqual([]); // no UNKNOWN → OK after the restart
  });

  it('publishes the same transitions with a restart in the middle of an outage as without one, none twice', async () => {
    const slo = testSlo({ minEvents: 100 });
    const events = [...requests(T0, T0 + 60 * MIN), ...requests(T0 + 60 * MIN, T0 + 75 * MIN, 2), ...requests(T0 + 75 * MIN, T0 + 150 * MIN)];
    const once = await judgeHarness([slo], T0);
    once.live(events, T0, T0 + 150 * MIN);
    const expected = await once.transitions();

    const durable = durableParts();
    const a = await judgeHarness([slo], T0, durable);
    a.live(events, T0, T0 + 70 * MIN);
    await a.judge.stop();
    const b = await judgeHarness([slo], T0 + 70 * MIN + 5_000, durable);
    const [restored] = await b.judge.list();
    expect(restored!.status).toBe('BREACHED');
    b.live(events, T0 + 70 * MIN + 5_000, T0 + 150 * MIN);
    const got = [...a.published.transitions, ...(await b.transitions())];
    const view = (ts: typeof got) => ts.map((t) => ({ id: t.transitionId, reason: t.reason, rule: t.rule }));
    expect(view(got)).toEqual(view(expected));
    expect(expected.map((t) => t.to)).toEqual(['OK', 'BREACHED', 'WARNING']);
  });

  it('keeps memory bounded: buckets no window needs are evicted as event time advances', async () => {
    const slo = testSlo({ minEvents: 100, timeWindow: [{ duration: '1d', isRolling: true }] });
    const h = await judgeHarness([slo], T0);
    // ten days, one request a minute, fed an hour at a time
    for (let hour = 0; hour < 240; hour++) {
      const from = T0 + hour * 3_600_000;
      h.clock.nowMs = from + 3_600_000;
      for (let t = from; t < from + 3_600_000; t += MIN) h.ingest.add(SPANS, span(t + 30_000), h.clock.nowMs);
      h.ingest.flush(h.clock.nowMs);
      h.judge.tick();
    }
    const horizonMinutes = historyHorizonMs(slo) / MIN;
    expect(horizonMinutes).toBe(7 * 1440 + 120); // the 7-day expected-rate history + one hour, + one hour of eviction granularity
    const kept = h.judge.bucketCount(slo.name);
    expect(kept).toBeLessThanOrEqual(horizonMinutes + 60);
    expect(kept).toBeGreaterThanOrEqual(7 * 1440);
    expect(kept).toBeLessThan(240 * 60);
  });
});

describe('SloJudge: a reloaded SLO directory', () => {
  it('drops a removed SLO with its persisted state and restores an added one from the durable history', async () => {
    const kept = testSlo({ minEvents: 100 });
    const added = { ...testSlo({ minEvents: 100 }), name: 'checkout-added' };
    const removed = { ...testSlo({ minEvents: 100 }), name: 'checkout-removed' };
    const durable = durableParts();
    const h = await judgeHarness([kept, removed], T0, durable);
    h.live(requests(T0, T0 + 10 * MIN), T0, T0 + 10 * MIN);
    await h.judge.settle();
    expect((await durable.states.list()).map((s) => s.sloName)).toEqual(['checkout-availability', 'checkout-removed']);

    await h.judge.setDefinitions([kept, added]);
    await h.judge.settle();
    expect(h.judge.ownedSlos()).toEqual(['checkout-added', 'checkout-availability']);
    expect((await durable.states.list()).map((s) => s.sloName)).not.toContain('checkout-removed');
    // the added SLO counts from its own deltas on (ingest counts it from now), judged like the others
    h.live([], T0 + 10 * MIN + 5_000, T0 + 12 * MIN);
    const [addedState] = (await h.judge.list()).filter((s) => s.sloName === 'checkout-added');
    expect(addedState!.reason).toMatch(/no events/);
  });
});

describe('historyHorizonMs', () => {
  const DAYS = (n: number) => n * DAY + 3_600_000;
  const cases: { name: string; spec: Record<string, unknown>; horizonMs: number }[] = [
    { name: 'a 90-day SLO keeps its 90 days', spec: { timeWindow: [{ duration: '90d', isRolling: true }] }, horizonMs: DAYS(90) },
    { name: 'a 28-day SLO keeps its 28 days', spec: {}, horizonMs: DAYS(28) },
    { name: 'a calendar month keeps 31 days (its start, and the trailing 30 days that predict its volume)', spec: { timeWindow: [{ duration: '1M', isRolling: false }] }, horizonMs: DAYS(31) },
    { name: 'a 1-day SLO keeps the 7 days and an hour of its expected-rate history', spec: { timeWindow: [{ duration: '1d', isRolling: true }] }, horizonMs: 7 * DAY + 2 * 3_600_000 },
  ];
  for (const c of cases) it(c.name, () => expect(historyHorizonMs(testSlo(c.spec))).toBe(c.horizonMs));
});
