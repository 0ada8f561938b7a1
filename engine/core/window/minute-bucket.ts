import type { SketchBucket } from '../sketch/latency-sketch.ts';

/** Length of a bucket in ms: one minute of event time. */
export const MINUTE_MS = 60_000;
/** Length of an hour rollup in ms. */
export const HOUR_MS = 3_600_000;

/** What a minute bucket is counted for: one SLO on one release in one environment. */
export interface BucketKey {
  sloName: string;
  service: string;
  environment: string;
  version: string;
}

/** Stable text form of a key, used as a map key (fields joined by U+001F). */
export function bucketKeyId(key: BucketKey): string {
  return [key.sloName, key.service, key.environment, key.version].join('\u001f');
}

/** Good and total event counts (exact non-negative integers; bad = total − good). */
export interface EventCounts {
  good: number;
  total: number;
}

/**
 * A change to one minute bucket: the unit written to ClickHouse and merged between
 * workers (counts add up; sketch buckets add up per index).
 */
export interface MinuteBucketDelta {
  key: BucketKey;
  /** Start of the minute, epoch ms (a multiple of 60 000). */
  minuteStartMs: number;
  good: number;
  total: number;
  /** Latency sketch buckets of the delta (latency indicators only). */
  sketch?: SketchBucket[];
  /** How many of the delta's events arrived behind their source's watermark. */
  lateEvents: number;
}

/** Start of the minute containing `timeMs`, epoch ms. */
export function minuteStartOf(timeMs: number): number {
  return Math.floor(timeMs / MINUTE_MS) * MINUTE_MS;
}
