import { describe, expect, it } from 'vitest';
import { TrafficSimulator } from '../../../ingest/simulator/traffic-simulator.ts';
import { SIGNAL_SCHEMAS } from '../../../schema/events/v1/signal.ts';

describe('TrafficSimulator', () => {
  it('produces valid events of every signal, deploys and bad releases over ten minutes', () => {
    const sim = new TrafficSimulator({ seed: 7, deployEveryMs: 60_000 });
    const t0 = 1_764_000_000_000;
    const counts: Record<string, number> = {};
    let invalid = 0;
    for (let t = t0; t <= t0 + 600_000; t += 1_000) {
      for (const e of sim.tick(t)) {
        counts[e.signal] = (counts[e.signal] ?? 0) + 1;
        if (!SIGNAL_SCHEMAS[e.signal].safeParse(e.event).success) invalid++;
      }
    }
    expect(invalid).toBe(0);
    expect(counts.spans).toBeGreaterThan(80_000);
    expect(counts.logs).toBeGreaterThan(1_000);
    expect(counts.checks).toBeGreaterThan(400);
    expect(counts.deploys).toBeGreaterThan(5);
    expect(counts.incidents).toBeGreaterThan(0);
  });

  it('is deterministic for a seed', () => {
    const a = new TrafficSimulator({ seed: 1 }).tick(1_764_000_000_000);
    const b = new TrafficSimulator({ seed: 1 }).tick(1_764_000_000_000);
    expect(a).toEqual(b);
  });
});
