import { toDateTime64 } from '../../platform/clickhouse/clickhouse-time.ts';
import type { BatchParticipant } from '../../ingest/pipeline/batch-participant.ts';
import { NO_OFFSET, partitionKey, type SourcePosition } from '../../ingest/pipeline/source-position.ts';
import type { Row } from '../../ingest/sink/signal-rows.ts';
import type { SluiceEvent } from '../../schema/events/v1/signal.ts';
import type { SourceActivityTracker } from '../core/freshness/source-activity-tracker.ts';
import { LatencySketch } from '../core/sketch/latency-sketch.ts';
import { countEvent } from '../core/sli/sli-counter.ts';
import { SLI_EVENT_TIME_MS, SLI_SIGNALS, type SliSignal } from '../core/sli/indicator-strategy.ts';
import type { Slo } from '../core/slo/slo-definition.ts';
import type { BucketEvent, MinuteBucketStore, RecordOutcome } from '../core/window/minute-bucket-store.ts';
import { bucketKeyId, type BucketKey } from '../core/window/minute-bucket.ts';

export const SLI_ROLLUP_TABLE = 'sli_rollups';

interface PartitionDelta {
  key: BucketKey;
  minuteStartMs: number;
  good: number;
  total: number;
  late: number;
  sketch?: LatencySketch;
}

interface PartitionAccumulator {
  source: string;
  partition: number;
  /** Highest offset observed since the last drain. */
  offset: number;
  deltas: Map<string, PartitionDelta>;
}

export interface SliRollupParticipantOptions {
  /** The SLOs in force (re-read on every event, so a reloaded SLO directory applies at once). */
  slos: () => readonly Slo[];
  /** The current minute buckets (replaced when the engine resyncs from ClickHouse). */
  store: () => MinuteBucketStore;
  activity: SourceActivityTracker;
  /** Called for every event that counted for at least one SLO: which SLOs changed. */
  onCounted?: (sloNames: readonly string[]) => void;
}

const SLI_SIGNAL_SET = new Set<string>(SLI_SIGNALS);

/**
 * Counts every valid event toward the SLIs it belongs to, exactly and before sampling
 * (DESIGN.md guarantee 1), into the in-memory minute buckets the evaluator reads, and
 * hands the same counts to the ingest batch as `sli_rollups` delta rows — one per
 * (partition, key, minute), carrying the partition's highest offset — so they become
 * durable together with the batch and before its offsets are committed (guarantee 3).
 */
export class SliRollupParticipant implements BatchParticipant {
  readonly tables = [SLI_ROLLUP_TABLE] as const;
  private readonly opts: SliRollupParticipantOptions;
  private partitions = new Map<string, PartitionAccumulator>();

  constructor(opts: SliRollupParticipantOptions) {
    this.opts = opts;
  }

  observe(event: SluiceEvent, position: SourcePosition): void {
    if (!SLI_SIGNAL_SET.has(event.signal)) return;
    const signal = event.signal as SliSignal;
    const e = event.event as { service: string };
    this.opts.activity.observe(e.service, signal, (SLI_EVENT_TIME_MS[signal] as (x: unknown) => number)(event.event));
    const pk = partitionKey(position.source, position.partition);
    let acc = this.partitions.get(pk);
    if (!acc) this.partitions.set(pk, (acc = { source: position.source, partition: position.partition, offset: NO_OFFSET, deltas: new Map() }));
    if (position.offset > acc.offset) acc.offset = position.offset;
    const accumulator = acc;
    const store = this.opts.store();
    const counted = countEvent(this.opts.slos(), event, pk, {
      record(bucketEvent: BucketEvent): RecordOutcome {
        const outcome = store.record(bucketEvent);
        const id = `${bucketKeyId(bucketEvent.key)}\u001f${outcome.minuteStartMs}`;
        let d = accumulator.deltas.get(id);
        if (!d) accumulator.deltas.set(id, (d = { key: bucketEvent.key, minuteStartMs: outcome.minuteStartMs, good: 0, total: 0, late: 0 }));
        d.total++;
        if (bucketEvent.good) d.good++;
        if (outcome.late) d.late++;
        if (bucketEvent.latencyMs !== undefined) (d.sketch ??= new LatencySketch()).add(bucketEvent.latencyMs);
        return outcome;
      },
    });
    if (counted.length > 0) this.opts.onCounted?.(counted.map((c) => c.sloName));
  }

  retainPartitions(owned: ReadonlySet<string>): void {
    // the in-memory buckets still hold these counts until the resync that follows an assignment
    for (const [key, acc] of this.partitions) if (acc.offset !== NO_OFFSET && !owned.has(key)) this.partitions.delete(key);
  }

  /** Adds the counts observed but not yet drained into `store` (after a resync rebuilt it). */
  replayPendingInto(store: MinuteBucketStore): void {
    for (const acc of this.partitions.values()) {
      for (const d of acc.deltas.values()) {
        store.mergeDelta({
          key: d.key, minuteStartMs: d.minuteStartMs, good: d.good, total: d.total, lateEvents: d.late,
          ...(d.sketch ? { sketch: d.sketch.toBuckets() } : {}),
        });
      }
    }
  }

  drain(): { table: string; rows: Row[] }[] {
    // the store also keeps its own pending deltas; ours are per partition, so drop its copy
    this.opts.store().takeDeltas();
    const rows: Row[] = [];
    const writtenAt = toDateTime64(Date.now());
    for (const acc of this.partitions.values()) {
      for (const d of acc.deltas.values()) {
        const buckets = d.sketch?.toBuckets() ?? [];
        rows.push({
          slo: d.key.sloName,
          service: d.key.service,
          environment: d.key.environment,
          version: d.key.version,
          minute: toDateTime64(d.minuteStartMs).slice(0, 19),
          good: d.good,
          total: d.total,
          late_events: d.late,
          sketch_index: buckets.map((b) => b.index),
          sketch_count: buckets.map((b) => b.count),
          source: acc.source,
          source_partition: acc.partition,
          source_offset: acc.offset,
          written_at: writtenAt,
        });
      }
    }
    this.partitions = new Map();
    return rows.length > 0 ? [{ table: SLI_ROLLUP_TABLE, rows }] : [];
  }
}
