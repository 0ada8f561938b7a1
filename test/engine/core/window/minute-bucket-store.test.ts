import { describe, expect, it } from 'vitest';
import { MinuteBucketStore } from '../../../../engine/core/window/minute-bucket-store.ts';
import type { BucketKey } from '../../../../engine/core/window/minute-bucket.ts';
import { T0_MS } from '../fixtures/sli-events.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const key = (version = '1.0.0'): BucketKey => ({ sloName: 'checkout-availability', service: 'checkout', environment: 'production', version });
const selector = { sloName: 'checkout-availability' };

describe('MinuteBucketStore', () => {
  it('counts events into the minute of their event time', () => {
    const store = new MinuteBucketStore({ allowedLatenessMs: MIN });
    store.record({ key: key(), sourceId: 'p0', eventTimeMs: T0_MS + 1_000, good: true });
    store.record({ key: key(), sourceId: 'p0', eventTimeMs: T0_MS + 59_999, good: false });
    store.record({ key: key(), sourceId: 'p0', eventTimeMs: T0_MS + 60_000, good: true });
    expect(store.buckets(selector, T0_MS, T0_MS + 2 * MIN).map((b) => [b.minuteStartMs - T0_MS, b.good, b.total])).toEqual([
      [0, 1, 2],
      [MIN, 1, 1],
    ]);
  });

  const ranges: { name: string; fromMs: number; toMs: number; expected: number }[] = [
    { name: 'a 5-minute window ending mid-minute covers five buckets, the newest partial', fromMs: T0_MS + 30_000 - 5 * MIN, toMs: T0_MS + 30_000, expected: 5 },
    { name: 'a 5-minute window ending on a minute boundary covers the five minutes before it', fromMs: T0_MS - 5 * MIN, toMs: T0_MS, expected: 5 },
    { name: 'an empty range sums to nothing', fromMs: T0_MS, toMs: T0_MS, expected: 0 },
    { name: 'a 28-day window counts every minute of 28 days', fromMs: T0_MS - 28 * DAY, toMs: T0_MS, expected: 28 * 24 * 60 },
    { name: 'a range crossing hour boundaries mixes rollups and minutes exactly', fromMs: T0_MS - 2 * HOUR - 17 * MIN, toMs: T0_MS - 23 * MIN, expected: 2 * 60 + 17 - 23 },
  ];
  it.each(ranges)('$name', ({ fromMs, toMs, expected }) => {
    const store = new MinuteBucketStore({ allowedLatenessMs: MIN });
    // one good event per minute for 30 days before T0 and 10 minutes after
    for (let t = T0_MS - 30 * DAY; t < T0_MS + 10 * MIN; t += MIN) {
      store.record({ key: key(), sourceId: 'p0', eventTimeMs: t + 5_000, good: true });
    }
    expect(store.sum(selector, fromMs, toMs)).toEqual({ good: expected, total: expected });
  });

  it('sums over every version of an SLO, or one version when asked', () => {
    const store = new MinuteBucketStore({ allowedLatenessMs: MIN });
    store.record({ key: key('1.0.0'), sourceId: 'p0', eventTimeMs: T0_MS, good: true });
    store.record({ key: key('1.1.0'), sourceId: 'p0', eventTimeMs: T0_MS, good: false });
    store.record({ key: { ...key(), sloName: 'other' }, sourceId: 'p0', eventTimeMs: T0_MS, good: false });
    expect(store.sum(selector, T0_MS, T0_MS + MIN)).toEqual({ good: 1, total: 2 });
    expect(store.sum({ ...selector, version: '1.1.0' }, T0_MS, T0_MS + MIN)).toEqual({ good: 0, total: 1 });
    expect(store.keys('checkout-availability').map((k) => k.version).sort()).toEqual(['1.0.0', '1.1.0']);
  });

  it('counts a late event into its own bucket and reports it as a correction', () => {
    const store = new MinuteBucketStore({ allowedLatenessMs: MIN });
    store.record({ key: key(), sourceId: 'p0', eventTimeMs: T0_MS + 10 * MIN, good: true });
    store.takeDeltas();
    const outcome = store.record({ key: key(), sourceId: 'p0', eventTimeMs: T0_MS, good: false });
    expect(outcome).toEqual({ minuteStartMs: T0_MS, late: true, watermarkMs: T0_MS + 9 * MIN });
    expect(store.sum(selector, T0_MS, T0_MS + MIN)).toEqual({ good: 0, total: 1 });
    expect(store.lateEventCount).toBe(1);
    expect(store.takeDeltas()).toEqual([{ key: key(), minuteStartMs: T0_MS, good: 0, total: 1, lateEvents: 1 }]);
  });

  it('hands out the deltas since the last take once, and merging them rebuilds the same sums', () => {
    const store = new MinuteBucketStore({ allowedLatenessMs: MIN });
    for (let i = 0; i < 150; i++) {
      store.record({ key: key(), sourceId: 'p0', eventTimeMs: T0_MS + i * 1_000, good: i % 10 !== 0, latencyMs: i });
    }
    const deltas = store.takeDeltas();
    expect(deltas.map((d) => d.total)).toEqual([60, 60, 30]);
    expect(store.takeDeltas()).toEqual([]);
    const replica = new MinuteBucketStore({ allowedLatenessMs: MIN });
    for (const d of deltas) replica.mergeDelta(d);
    expect(replica.sum(selector, T0_MS, T0_MS + 3 * MIN)).toEqual(store.sum(selector, T0_MS, T0_MS + 3 * MIN));
    expect(replica.sketch(selector, T0_MS, T0_MS + 3 * MIN)!.toBuckets()).toEqual(
      store.sketch(selector, T0_MS, T0_MS + 3 * MIN)!.toBuckets(),
    );
  });

  it('merges latency sketches over a range that spans hour rollups', () => {
    const store = new MinuteBucketStore({ allowedLatenessMs: MIN });
    for (let i = 0; i < 3 * 60; i++) {
      store.record({ key: key(), sourceId: 'p0', eventTimeMs: T0_MS + i * MIN, good: true, latencyMs: i + 1 });
    }
    const sketch = store.sketch(selector, T0_MS, T0_MS + 3 * HOUR)!;
    expect(sketch.count).toBe(180);
    expect(Math.abs(sketch.quantile(0.5)! - 90) / 90).toBeLessThanOrEqual(0.005);
  });

  it('rejects a delta that is not on a minute boundary or has more good than total', () => {
    const store = new MinuteBucketStore({ allowedLatenessMs: MIN });
    expect(() => store.mergeDelta({ key: key(), minuteStartMs: T0_MS + 1, good: 0, total: 1, lateEvents: 0 })).toThrowError(/whole minute/);
    expect(() => store.mergeDelta({ key: key(), minuteStartMs: T0_MS, good: 2, total: 1, lateEvents: 0 })).toThrowError(/good <= total/);
  });

  it('reports the first minute with data for a selector, per version, and after eviction', () => {
    const store = new MinuteBucketStore({ allowedLatenessMs: MIN });
    expect(store.firstMinuteMs(selector)).toBeUndefined();
    store.record({ key: key('1.1.0'), sourceId: 'p0', eventTimeMs: T0_MS + 2 * HOUR + 30_000, good: true });
    store.record({ key: key('1.0.0'), sourceId: 'p0', eventTimeMs: T0_MS + 5_000, good: true });
    store.record({ key: key('1.0.0'), sourceId: 'p0', eventTimeMs: T0_MS + 3 * HOUR, good: true });
    expect(store.firstMinuteMs(selector)).toBe(T0_MS);
    expect(store.firstMinuteMs({ ...selector, version: '1.1.0' })).toBe(T0_MS + 2 * HOUR);
    expect(store.firstMinuteMs({ ...selector, version: '2.0.0' })).toBeUndefined();
    store.evictBefore(T0_MS + HOUR);
    expect(store.firstMinuteMs({ ...selector, version: '1.0.0' })).toBe(T0_MS + 3 * HOUR);
  });

  it('evicts whole hours before the cutoff and keeps the rest', () => {
    const store = new MinuteBucketStore({ allowedLatenessMs: MIN });
    for (let i = 0; i < 120; i++) store.record({ key: key(), sourceId: 'p0', eventTimeMs: T0_MS + i * MIN, good: true });
    expect(store.evictBefore(T0_MS + HOUR + 30 * MIN)).toBe(60);
    expect(store.sum(selector, T0_MS, T0_MS + 2 * HOUR)).toEqual({ good: 60, total: 60 });
  });
});

describe('MinuteBucketStore input checks', () => {
  it('rejects a negative latency before counting anything', () => {
    const store = new MinuteBucketStore({ allowedLatenessMs: MIN });
    expect(() => store.record({ key: key(), sourceId: 'p0', eventTimeMs: T0_MS, good: true, latencyMs: -1 })).toThrowError(/latencyMs/);
    expect(store.sum(selector, T0_MS, T0_MS + MIN)).toEqual({ good: 0, total: 0 });
    expect(store.takeDeltas()).toEqual([]);
  });
});
