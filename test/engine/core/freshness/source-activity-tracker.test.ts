import { describe, expect, it } from 'vitest';
import { SourceActivityTracker } from '../../../../engine/core/freshness/source-activity-tracker.ts';
import { assessFreshness } from '../../../../engine/core/freshness/source-freshness.ts';
import { T0_MS } from '../fixtures/sli-events.ts';

const MIN = 60_000;

describe('SourceActivityTracker', () => {
  it('reports the newest event time and the received rate of the last five whole minutes', () => {
    const tracker = new SourceActivityTracker();
    for (let i = 0; i < 10 * 60; i++) tracker.observe('checkout', 'spans', T0_MS - 10 * MIN + i * 1_000); // 1 event/s
    tracker.observe('checkout', 'spans', T0_MS - 30 * MIN); // an old, late event does not move the last time back
    const activity = tracker.activity('checkout', 'spans', T0_MS + 10_000, { expectedEventsPerMinute: 60 });
    expect(activity).toEqual({
      service: 'checkout',
      signal: 'spans',
      expectedEventsPerMinute: 60,
      lastEventTimeMs: T0_MS - 1_000,
      receivedEventsPerMinute: 60,
    });
    expect(assessFreshness(activity, { maxStalenessMs: 10 * MIN }, T0_MS + 10_000).fresh).toBe(true);
  });

  it('reports a source never seen with no last event and a zero rate', () => {
    const activity = new SourceActivityTracker().activity('cart', 'logs', T0_MS);
    expect(activity).toMatchObject({ lastEventTimeMs: undefined, receivedEventsPerMinute: 0 });
    expect(assessFreshness(activity, { maxStalenessMs: 10 * MIN }, T0_MS)).toMatchObject({ fresh: false, reason: 'cart/logs: no events received' });
  });
});
