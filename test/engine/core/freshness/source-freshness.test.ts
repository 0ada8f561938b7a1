import { describe, expect, it } from 'vitest';
import {
  assessFreshness,
  combineFreshness,
  type SourceActivity,
} from '../../../../engine/core/freshness/source-freshness.ts';
import { T0_MS } from '../fixtures/sli-events.ts';

const MIN = 60_000;
const policy = { maxStalenessMs: 10 * MIN };
const base: SourceActivity = { service: 'checkout', signal: 'spans', lastEventTimeMs: T0_MS - 5_000, watermarkMs: T0_MS - 65_000 };

describe('assessFreshness', () => {
  const cases: { name: string; activity: SourceActivity; fresh: boolean; reason?: RegExp }[] = [
    { name: 'a source with recent events and watermark is fresh', activity: base, fresh: true },
    { name: 'a source never heard from is stale', activity: { service: 'checkout', signal: 'spans' }, fresh: false, reason: /no events received/ },
    { name: 'a consumer lag above the limit makes it stale', activity: { ...base, consumerLagMs: 11 * MIN }, fresh: false, reason: /consumer lag 660 s/ },
    { name: 'a watermark far behind makes it stale', activity: { ...base, watermarkMs: T0_MS - 20 * MIN }, fresh: false, reason: /watermark is 1200 s behind/ },
    { name: 'silence longer than the limit makes a busy source stale', activity: { ...base, lastEventTimeMs: T0_MS - 15 * MIN, expectedEventsPerMinute: 100 }, fresh: false, reason: /no events for 900 s/ },
    { name: 'silence is normal for a source expected to be nearly idle', activity: { ...base, lastEventTimeMs: T0_MS - 15 * MIN, expectedEventsPerMinute: 0.01 }, fresh: true },
    { name: 'silence without a known expected rate is stale', activity: { ...base, lastEventTimeMs: T0_MS - 15 * MIN }, fresh: false, reason: /no events for/ },
    { name: 'receiving far fewer events than expected makes it stale', activity: { ...base, expectedEventsPerMinute: 1000, receivedEventsPerMinute: 40 }, fresh: false, reason: /receiving 40.0\/min, expected 1000.0\/min/ },
    { name: 'receiving somewhat fewer events than expected is fresh', activity: { ...base, expectedEventsPerMinute: 1000, receivedEventsPerMinute: 400 }, fresh: true },
  ];
  it.each(cases)('$name', ({ activity, fresh, reason }) => {
    const result = assessFreshness(activity, policy, T0_MS);
    expect(result.fresh).toBe(fresh);
    if (reason) expect(result.reason).toMatch(reason);
    else expect(result.reason).toBeUndefined();
  });

  it('carries the last event time of the scope, fresh or stale, so a held breach can say since when data is missing', () => {
    expect(assessFreshness(base, policy, T0_MS).lastEventTimeMs).toBe(T0_MS - 5_000);
    const silent = assessFreshness({ ...base, lastEventTimeMs: T0_MS - 15 * MIN }, policy, T0_MS);
    expect(silent).toMatchObject({ fresh: false, lastEventTimeMs: T0_MS - 15 * MIN });
    expect(combineFreshness([silent, assessFreshness(base, policy, T0_MS)]).lastEventTimeMs).toBe(T0_MS - 5_000);
  });

  it('names the SLO scope in its reasons when one is given', () => {
    const silent = assessFreshness({ ...base, scope: 'checkout-availability', lastEventTimeMs: T0_MS - 15 * MIN }, policy, T0_MS);
    expect(silent.reason).toBe('checkout-availability (checkout/spans): no events for 900 s, more than 600 s');
  });

  it('combines sources: stale when any is, with every reason', () => {
    const fresh = assessFreshness(base, policy, T0_MS);
    const stale = assessFreshness({ service: 'checkout', signal: 'logs' }, policy, T0_MS);
    expect(combineFreshness([fresh])).toEqual({ fresh: true, lastEventTimeMs: T0_MS - 5_000 });
    expect(combineFreshness([fresh, stale])).toEqual({ fresh: false, reason: 'checkout/logs: no events received', lastEventTimeMs: T0_MS - 5_000 });
    expect(combineFreshness([]).fresh).toBe(false);
  });
});
