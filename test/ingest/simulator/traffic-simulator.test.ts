import { describe, expect, it } from 'vitest';
import { TrafficSimulator, type SimulatorOptions } from '../../../ingest/simulator/traffic-simulator.ts';
import { SIGNAL_SCHEMAS, type SluiceEvent } from '../../../schema/events/v1/signal.ts';

const T0 = 1_764_000_000_000;
const MINUTE = 60_000;

/** Every event of `minutes` of simulated time, ticked every second. */
function run(minutes: number, opts: SimulatorOptions = {}): { atMs: number; event: SluiceEvent }[] {
  const sim = new TrafficSimulator({ seed: 7, ...opts });
  const out: { atMs: number; event: SluiceEvent }[] = [];
  for (let t = T0; t <= T0 + minutes * MINUTE; t += 1_000) for (const event of sim.tick(t)) out.push({ atMs: t, event });
  return out;
}

const deploysOf = (events: { atMs: number; event: SluiceEvent }[], service?: string) => events.flatMap(({ atMs, event: e }) =>
  (e.signal === 'deploys' && (service === undefined || e.event.service === service) ? [{ atMs, version: e.event.version, service: e.event.service, rollbackOf: e.event.attributes?.rollbackOf }] : []));

describe('TrafficSimulator', () => {
  it('produces valid events of every signal, deploys, a bad release, its rollback and its incident over twenty minutes', () => {
    const events = run(20, { deployEveryMs: 60_000, rateScale: 0.25 });
    const counts: Record<string, number> = {};
    let invalid = 0;
    for (const { event: e } of events) {
      counts[e.signal] = (counts[e.signal] ?? 0) + 1;
      if (!SIGNAL_SCHEMAS[e.signal].safeParse(e.event).success) invalid++;
    }
    expect(invalid).toBe(0);
    expect(counts.spans).toBeGreaterThan(40_000);
    expect(counts.logs).toBeGreaterThan(500);
    expect(counts.checks).toBeGreaterThan(900);
    expect(counts.deploys).toBeGreaterThan(10);
    expect(counts.incidents).toBe(1);
  }, 30_000);

  it('makes checkout 1.2.0 the first bad release, four minutes in, and rolls it back to 1.1.0 after fifteen minutes', () => {
    const events = run(20);
    expect(deploysOf(events, 'checkout').slice(0, 2)).toEqual([
      { atMs: T0 + 4 * MINUTE, version: '1.2.0', service: 'checkout', rollbackOf: undefined },
      { atMs: T0 + 19 * MINUTE, version: '1.1.0', service: 'checkout', rollbackOf: expect.stringMatching(/^dep-checkout-\d+$/) },
    ]);
    const errorRatio = (version: string, fromMs: number, toMs: number) => {
      const spans = events.flatMap(({ atMs, event: e }) => (e.signal === 'spans' && e.event.service === 'checkout' && e.event.version === version && atMs > fromMs && atMs <= toMs ? [e.event] : []));
      return spans.filter((s) => s.status === 'error').length / spans.length;
    };
    expect(errorRatio('1.1.0', T0, T0 + 4 * MINUTE)).toBeLessThan(0.002);
    expect(errorRatio('1.2.0', T0 + 4 * MINUTE, T0 + 19 * MINUTE)).toBeCloseTo(0.15, 1);
    const checks = events.flatMap(({ event: e }) => (e.signal === 'checks' && e.event.service === 'checkout' && e.event.version === '1.2.0' ? [e.event] : []));
    expect(checks.filter((c) => !c.success).length / checks.length).toBeGreaterThan(0.2);
  }, 30_000);

  it('never deploys over a bad release before its rollback', () => {
    const events = run(120, { deployEveryMs: 20_000, badReleaseEveryMs: 10 * MINUTE, badReleaseMs: 5 * MINUTE, rateScale: 0.01 });
    for (const service of ['checkout', 'payments', 'search', 'inventory']) {
      const deploys = deploysOf(events, service);
      // after a bad release (a deploy followed by a rollback of it), the next deploy of the service is its rollback
      deploys.forEach((d, i) => {
        if (d.rollbackOf !== undefined) expect(deploys[i - 1]!.atMs).toBe(d.atMs - 5 * MINUTE);
      });
    }
    expect(deploysOf(events).filter((d) => d.rollbackOf !== undefined).length).toBeGreaterThan(5);
  });

  it('scales the request rate for benchmarks', () => {
    const spans = (scale: number) => run(1, { rateScale: scale }).filter((e) => e.event.signal === 'spans').length;
    expect(spans(10) / spans(1)).toBeCloseTo(10, 0);
  });

  it('is deterministic for a seed', () => {
    const a = new TrafficSimulator({ seed: 1 }).tick(T0);
    const b = new TrafficSimulator({ seed: 1 }).tick(T0);
    expect(a).toEqual(b);
  });
});
