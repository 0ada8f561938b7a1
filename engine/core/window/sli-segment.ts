import type { SliSignal } from '../sli/indicator-strategy.ts';
import type { MinuteBucketDelta } from './minute-bucket.ts';

/**
 * What crosses from ingest to the judges (DESIGN.md "One judge per SLO"): the exact SLI
 * counts of one ingest *segment* — a contiguous range of one upstream source's positions,
 * made durable in ClickHouse in one flush — per SLO, and the event-time progress of every
 * upstream source. A judge applies each (SLO, source, partition, segment) exactly once:
 * segments of a source are contiguous and a replay after a crash reproduces a pending
 * segment with exactly its old bounds (ingest/pipeline/partition-progress.ts), so "skip a
 * segment whose `hi` is at or below what was applied" is exact.
 *
 * Pure types and functions only (engine/core).
 */

/** Where a segment came from and which positions it covers. */
export interface SegmentPosition {
  /** Kafka topic, or an embedded source: `http`, `otlp-http`, `simulator`. */
  source: string;
  /** Kafka partition; 0 for embedded sources. */
  partition: number;
  /** First and last position covered, inclusive: Kafka offsets, or a per-source sequence number for embedded sources. */
  lo: number;
  hi: number;
}

/** The counts one segment adds for one SLO: minute-bucket deltas per (service, environment, version, minute). */
export interface SliSegmentDelta {
  sloName: string;
  position: SegmentPosition;
  /** Every bucket key carries `sloName`; counts are exact integers, sketches add up per index. */
  buckets: MinuteBucketDelta[];
}

/** Event-time progress of one upstream source (a Kafka partition or an embedded source) of one signal. */
export interface SourceProgress {
  source: string;
  partition: number;
  /** The signal the source carries (a Kafka topic carries one; embedded sources report per signal). */
  signal: SliSignal;
  /** Last position processed and made durable (offset or sequence); -1 before any. */
  hi: number;
  /** Highest event time seen from this source so far, epoch ms; undefined before any event. */
  maxEventTimeMs?: number | undefined;
  /**
   * True when the source had no backlog at the last check (Kafka: consumed position ≥ high
   * watermark; embedded sources: always). A caught-up source that has been idle may be left
   * out of a watermark (Kafka Streams' `max.task.idle.ms`); a source with a backlog never is.
   */
  caughtUp: boolean;
  /** Wall clock of the reporting process, epoch ms; judges use it for idleness and staleness only. */
  reportedAtMs: number;
  /** Wall clock of the last input received from this source, epoch ms; undefined before any. */
  lastActivityAtMs?: number | undefined;
}

/**
 * Partition of the SLI-delta topic an SLO's deltas go to, and whose owner is the SLO's only
 * judge: FNV-1a (32 bit) of the SLO name modulo the partition count. Producers set the
 * partition explicitly with this function, so ownership never depends on a client's
 * default partitioner.
 */
export function sloPartition(sloName: string, partitions: number): number {
  if (!Number.isSafeInteger(partitions) || partitions < 1) throw new RangeError(`partitions must be a positive integer, got ${partitions}`);
  let hash = 0x811c9dc5;
  for (let i = 0; i < sloName.length; i++) {
    hash ^= sloName.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}
