import { describe, expect, it } from 'vitest';
import { buildSlo, SloDefinitionSchema, type Slo } from '../../../engine/core/slo/slo-definition.ts';
import { testSlo } from '../core/fixtures/slo-fixtures.ts';
import { logRecord, span, type FakeSource } from './support/fake-ingest.ts';
import { eventTimeView, judgeHarness, type TimedEvent } from './support/judge-harness.ts';

const MIN = 60_000;
/** Scenario start: 2025-03-10 09:00 UTC. */
const T0 = Date.UTC(2025, 2, 10, 9, 0);
const SPANS: FakeSource = { source: 'sluice.spans.v1', partition: 0, signal: 'spans' };
const LOGS: FakeSource = { source: 'sluice.logs.v1', partition: 0, signal: 'logs' };
const iso = (ms: number) => new Date(ms).toISOString();

/** checkout availability, 99.9 %, critical tier, 28 d, judged from 100 events on. */
const CHECKOUT = testSlo({ minEvents: 100 });

/** One checkout request every 2 s over `[fromMs, toMs)`; `errorEvery` > 0 makes every n-th one a 503. */
function requests(fromMs: number, toMs: number, opts: { errorEvery?: number; environment?: string; kind?: 'server' | 'client'; source?: FakeSource } = {}): TimedEvent[] {
  const out: TimedEvent[] = [];
  for (let t = fromMs, i = 0; t < toMs; t += 2_000, i++) {
    const error = opts.errorEvery !== undefined && i % opts.errorEvery === 0;
    out.push({ source: opts.source ?? SPANS, atMs: t + 1_000, event: span(t + 1_000, { error, environment: opts.environment, kind: opts.kind }) });
  }
  return out;
}

const byTime = (events: TimedEvent[]) => events.sort((a, b) => a.atMs - b.atMs);

describe('SloJudge: windows end at event time (item 2)', () => {
  // baseline 60 min, a 15-minute outage (every other request a 503), recovery 75 min, then
  // the whole topic stops; staging traffic rides along on the same topic until then
  const END = T0 + 150 * MIN;
  const scenario = () => byTime([
    ...requests(T0, T0 + 60 * MIN),
    ...requests(T0 + 60 * MIN, T0 + 75 * MIN, { errorEvery: 2 }),
    ...requests(T0 + 75 * MIN, END),
    ...requests(T0, END, { environment: 'staging' }).filter((_, i) => i % 5 === 0),
  ]);
  const COMPARED_UNTIL = END + 44 * MIN;

  it('gives the same event-time transitions whether a scenario is processed live or 45 minutes late in one burst', async () => {
    const live = await judgeHarness([CHECKOUT], T0);
    live.live(scenario(), T0, END + 46 * MIN);
    const liveTransitions = await live.transitions();

    const late = await judgeHarness([CHECKOUT], END + 45 * MIN);
    late.burst(scenario(), END + 45 * MIN);
    late.idle(END + 45 * MIN + 5_000, END + 46 * MIN);
    const lateTransitions = await late.transitions();

    const compared = (ts: typeof liveTransitions) => eventTimeView(ts).filter((t) => t.atMs <= COMPARED_UNTIL);
    expect(compared(lateTransitions)).toEqual(compared(liveTransitions));
    expect(compared(liveTransitions).map((t) => [t.from, t.to, iso(t.atMs), t.rule])).toEqual([
      ['UNKNOWN', 'OK', '2025-03-10T09:04:00.000Z', undefined], // 120 events ≥ minEvents 100
      ['OK', 'BREACHED', '2025-03-10T10:01:00.000Z', 'page-6h-30m'], // 15 bad of 1,830 since 09:00: 8.2× ≥ 6× (and 16.7× over 30 m)
      ['BREACHED', 'WARNING', '2025-03-10T10:55:00.000Z', 'ticket-1d-2h'], // the 30 m window is clean from 10:45, + 10 m hold; the 1d/2h ticket still fires
    ]);
    // silence after 11:30 keeps WARNING ("no data since"), it never clears it
    expect(live.judge.metrics.evaluations).toBeGreaterThan(190);
    const [state] = await live.judge.list();
    expect(state!.state.status).toBe('WARNING');
    expect(state!.state.reason).toMatch(/^no data since 2025-03-10T11:30:00.000Z: WARNING holds until data shows recovery/);

    // only the late run's overlay saw the watermark far behind the wall clock
    expect(liveTransitions.filter((t) => t.basis === 'wall-clock')).toEqual([]);
    expect(lateTransitions.some((t) => t.basis === 'wall-clock' && t.to === 'UNKNOWN' && /behind the wall clock/.test(t.reason))).toBe(true);
  });

  it('stamps every event-time transition with its minute boundary and never re-evaluates a boundary for late data', async () => {
    const h = await judgeHarness([CHECKOUT], T0);
    h.live(requests(T0, T0 + 20 * MIN), T0, T0 + 20 * MIN);
    const before = h.judge.metrics.evaluations;
    // a request from 10 minutes ago arrives now: counted, not re-judged
    h.ingest.add(SPANS, span(T0 + 10 * MIN, { error: true }), T0 + 20 * MIN);
    h.ingest.flush(T0 + 20 * MIN);
    h.judge.tick();
    const ts = await h.transitions();
    expect(ts.every((t) => t.atMs % MIN === 0)).toBe(true);
    expect(h.judge.metrics.bucketsBehindEvaluation).toBe(1);
    expect(h.judge.metrics.evaluations).toBe(before);
    const [state] = await h.judge.list();
    expect(state!.evaluation!.budget.bad).toBe(0); // the evaluation at the last boundary predates the correction
  });
});

describe('SloJudge: silence of a production service is seen in event time (item 1)', () => {
  const DEATH = T0 + 40 * MIN;
  const cases: { name: string; noise: () => TimedEvent[] }[] = [
    { name: 'its staging environment keeps sending', noise: () => requests(DEATH, DEATH + 40 * MIN, { environment: 'staging' }) },
    { name: 'a few of its client spans keep arriving', noise: () => requests(DEATH, DEATH + 40 * MIN, { kind: 'client' }).filter((_, i) => i % 30 === 0) },
    { name: 'one of its spans is dated a day ahead', noise: () => [{ source: SPANS, atMs: DEATH + 5 * MIN, event: span(DEATH + 5 * MIN + 86_400_000) }] },
  ];

  for (const c of cases) {
    it(`turns a dead OK service UNKNOWN ("no events"), never OK, when ${c.name}`, async () => {
      const h = await judgeHarness([CHECKOUT], T0);
      h.live(byTime([...requests(T0, DEATH), ...c.noise()]), T0, DEATH + 40 * MIN);
      const ts = await h.transitions();
      const afterDeath = ts.filter((t) => t.atMs > DEATH);
      expect(afterDeath.map((t) => [t.from, t.to, t.basis])).toEqual([['OK', 'UNKNOWN', 'event-time']]);
      expect(afterDeath[0]!.reason).toMatch(/checkout-availability \(checkout\/spans\): no events for \d+ s, more than 600 s/);
      const [state] = await h.judge.list();
      expect(state!.status).toBe('UNKNOWN');
      // event time never ran ahead of the wall clock, whatever a span claimed
      expect(state!.evaluatedThroughMs!).toBeLessThanOrEqual(DEATH + 40 * MIN);
    });

    it(`keeps a dead BREACHED service BREACHED with "no data since" when ${c.name}`, async () => {
      const h = await judgeHarness([CHECKOUT], T0);
      const events = [...requests(T0, T0 + 30 * MIN), ...requests(T0 + 30 * MIN, DEATH, { errorEvery: 2 }), ...c.noise()];
      h.live(byTime(events), T0, DEATH + 40 * MIN);
      const ts = await h.transitions();
      expect(ts.map((t) => t.to)).toEqual(['OK', 'BREACHED']);
      const [state] = await h.judge.list();
      expect(state!.status).toBe('BREACHED');
      expect(state!.reason).toMatch(/^no data since 2025-03-10T09:40:00.000Z: BREACHED holds until data shows recovery/);
    });
  }

  it('finds a trickle from a service that usually sends far more stale by its received rate', async () => {
    const slo = testSlo({ minEvents: 100, timeWindow: [{ duration: '7d', isRolling: true }], alerting: { rules: [{ severity: 'page', longWindow: '1h', shortWindow: '5m', burnRate: 14.4 }] } });
    const day = 86_400_000;
    const h = await judgeHarness([slo], T0 - day);
    // a day of 30 requests a minute, then one request every 4 minutes (a collector down for most hosts)
    const events = byTime([...requests(T0 - day, T0 + 20 * MIN), ...requests(T0 + 20 * MIN, T0 + 60 * MIN).filter((_, i) => i % 120 === 0)]);
    h.live(events, T0 - day, T0 + 60 * MIN, 30_000);
    const ts = await h.transitions();
    const stale = ts.find((t) => t.to === 'UNKNOWN')!;
    expect(stale.reason).toMatch(/receiving 0\.\d\/min, expected 30\.0\/min/);
    expect(stale.atMs).toBeLessThanOrEqual(T0 + 26 * MIN);
  });
});

describe('SloJudge: lag counts per source (item 4)', () => {
  const errorLogs: Slo = buildSlo(SloDefinitionSchema.parse({
    apiVersion: 'sluice/v1', kind: 'SLO', metadata: { name: 'checkout-error-logs' },
    spec: { service: 'checkout', environment: 'production', tier: 'standard', indicator: { kind: 'errorLogRatio' }, objectives: [{ target: 0.99 }], timeWindow: [{ duration: '28d', isRolling: true }], minEvents: 100 },
  }));

  it('pages a live span outage while a 15-minute backlog on the logs topic makes only the logs SLO UNKNOWN', async () => {
    const h = await judgeHarness([CHECKOUT, errorLogs], T0);
    const logsLagMs = 15 * MIN;
    const spans = [...requests(T0, T0 + 30 * MIN), ...requests(T0 + 30 * MIN, T0 + 45 * MIN, { errorEvery: 2 })];
    const logs = Array.from({ length: 45 * 30 }, (_, i) => T0 + i * 2_000 + 500).map((t): TimedEvent => ({ source: LOGS, atMs: t + logsLagMs, event: logRecord(t) }));
    h.ingest.declare(LOGS);
    // the logs consumer is 15 minutes behind: its events arrive 15 minutes after they happened, with a backlog
    for (let t = T0; t <= T0 + 45 * MIN; t += 5_000) {
      h.clock.nowMs = t;
      for (const e of [...spans, ...logs]) if (e.atMs > t - 5_000 && e.atMs <= t) h.ingest.add(e.source, e.event, t);
      h.ingest.flush(t, (s) => s.source === LOGS.source);
      h.judge.tick();
    }
    const ts = await h.transitions();
    const spanSlo = ts.filter((t) => t.sloName === CHECKOUT.name);
    expect(spanSlo.map((t) => [t.from, t.to, t.basis, iso(t.atMs)])).toEqual([
      ['UNKNOWN', 'OK', 'event-time', '2025-03-10T09:04:00.000Z'],
      ['OK', 'BREACHED', 'event-time', '2025-03-10T09:31:00.000Z'], // the minute after the outage began, as live
    ]);
    const states = new Map((await h.judge.list()).map((s) => [s.sloName, s]));
    expect(states.get(CHECKOUT.name)!.status).toBe('BREACHED');
    const logsState = states.get('checkout-error-logs')!;
    expect(logsState.status).toBe('UNKNOWN');
    expect(logsState.reason).toMatch(/logs sources is \d+ s behind the wall clock, more than 10m \(behind: sluice\.logs\.v1\/0 \(backlog\)\)/);
    expect(logsState.sources.map((s) => [s.source, s.caughtUp])).toEqual([['sluice.logs.v1', false]]);
    expect(logsState.sources[0]!.lagMs!).toBeGreaterThan(15 * MIN);
  });
});
