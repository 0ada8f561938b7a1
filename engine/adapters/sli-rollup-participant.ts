import type { BatchParticipant } from '../../ingest/pipeline/batch-participant.ts';
import type { IngestSegment } from '../../ingest/pipeline/ingest-segment.ts';
import { partitionKey } from '../../ingest/pipeline/source-position.ts';
import type { Row } from '../../ingest/sink/signal-rows.ts';
import { toDateTime64 } from '../../platform/clickhouse/clickhouse-time.ts';
import type { SluiceEvent } from '../../schema/events/v1/signal.ts';
import { LatencySketch } from '../core/sketch/latency-sketch.ts';
import { countEvent } from '../core/sli/sli-counter.ts';
import { SLI_SIGNALS, type SliSignal } from '../core/sli/indicator-strategy.ts';
import type { Slo } from '../core/slo/slo-definition.ts';
import { bucketKeyId, type BucketKey, type MinuteBucketDelta } from '../core/window/minute-bucket.ts';
import type { SliSegmentDelta, SourceProgress } from '../core/window/sli-segment.ts';
import type { BucketEvent, RecordOutcome } from '../core/window/minute-bucket-store.ts';
import type { SliDeltaPublisher } from './sli-delta-bus.ts';

export const SLI_ROLLUP_TABLE = 'sli_rollups';

interface Cell {
  key: BucketKey;
  minuteStartMs: number;
  good: number;
  total: number;
  late: number;
  sketch?: LatencySketch;
}

/** How a source stands right now (from the worker): backlog and last activity. */
export interface SourceStatus {
  caughtUp: boolean;
  /** Wall clock of the last input from the source, epoch ms. */
  lastActivityAtMs?: number | undefined;
}

export interface SliRollupParticipantOptions {
  /** The SLOs in force (re-read on every event, so a reloaded SLO directory applies at once). */
  slos: () => readonly Slo[];
  /** Where the durable segments' SLI deltas and the sources' progress go (judges read them). */
  publisher: SliDeltaPublisher;
  /** Events this far (ms) behind their source's newest event are flagged late in the rollups. */
  allowedLatenessMs: number;
  /** Backlog and activity of a source (Kafka worker); embedded sources are always caught up. */
  sourceStatus?: (source: string, partition: number) => SourceStatus;
  /** Wall clock, epoch ms. */
  now?: () => number;
}

interface SourceInfo {
  source: string;
  partition: number;
  signal: SliSignal;
  /** Highest event time seen (counted), epoch ms: flags late events. */
  maxEventTimeMs: number | undefined;
  /** Highest event time of the durable segments, epoch ms: what progress reports (deltas precede it). */
  durableMaxEventTimeMs: number | undefined;
  /** Last durable position. */
  hi: number;
  lastActivityAtMs: number | undefined;
}

const SLI_SIGNAL_SET = new Set<string>(SLI_SIGNALS);

/** What the participant keeps per segment: the counts, and the newest event time per signal. */
interface SegmentCounts {
  cells: Map<string, Cell>;
  maxEventTimeBySignal: Map<SliSignal, number>;
}

/**
 * Counts every valid event toward the SLIs it belongs to, exactly and before sampling
 * (DESIGN.md guarantee 1), per ingest segment: the counts become `sli_rollups` delta rows
 * written with the segment (one per key and minute, carrying the segment's bounds, so a
 * replayed segment is deduplicated with the rest of its rows), and — once the segment is
 * durable — `SliSegmentDelta`s published to the judges with the sources' progress.
 */
export class SliRollupParticipant implements BatchParticipant {
  readonly tables = [SLI_ROLLUP_TABLE] as const;
  private readonly opts: SliRollupParticipantOptions;
  private readonly sources = new Map<string, SourceInfo>();

  constructor(opts: SliRollupParticipantOptions) {
    this.opts = opts;
  }

  observe(event: SluiceEvent, segment: IngestSegment): void {
    if (!SLI_SIGNAL_SET.has(event.signal)) return;
    const signal = event.signal as SliSignal;
    const info = this.source(segment.source, segment.partition, signal);
    info.lastActivityAtMs = (this.opts.now ?? Date.now)();
    const counts = this.countsOf(segment);
    const accumulator = counts.cells;
    const lateness = this.opts.allowedLatenessMs;
    countEvent(this.opts.slos(), event, segment.key, {
      record(e: BucketEvent): RecordOutcome {
        const minuteStartMs = Math.floor(e.eventTimeMs / 60_000) * 60_000;
        const late = info.maxEventTimeMs !== undefined && e.eventTimeMs < info.maxEventTimeMs - lateness;
        if (e.eventTimeMs > (counts.maxEventTimeBySignal.get(signal) ?? -1)) counts.maxEventTimeBySignal.set(signal, e.eventTimeMs);
        if (info.maxEventTimeMs === undefined || e.eventTimeMs > info.maxEventTimeMs) info.maxEventTimeMs = e.eventTimeMs;
        const id = `${bucketKeyId(e.key)}\u001f${minuteStartMs}`;
        let cell = accumulator.get(id);
        if (!cell) accumulator.set(id, (cell = { key: e.key, minuteStartMs, good: 0, total: 0, late: 0 }));
        cell.total++;
        if (e.good) cell.good++;
        if (late) cell.late++;
        if (e.latencyMs !== undefined) (cell.sketch ??= new LatencySketch()).add(e.latencyMs);
        return { minuteStartMs, late, watermarkMs: info.maxEventTimeMs - lateness };
      },
    });
  }

  rowsOf(segment: IngestSegment): { table: string; rows: Row[] }[] {
    const cells = this.cellsOf(segment);
    if (cells.length === 0) return [];
    const writtenAt = toDateTime64((this.opts.now ?? Date.now)());
    const rows = cells.map((c): Row => {
      const buckets = c.sketch?.toBuckets() ?? [];
      return {
        slo: c.key.sloName,
        service: c.key.service,
        environment: c.key.environment,
        version: c.key.version,
        minute: toDateTime64(c.minuteStartMs).slice(0, 19),
        good: c.good,
        total: c.total,
        late_events: c.late,
        sketch_index: buckets.map((b) => b.index),
        sketch_count: buckets.map((b) => b.count),
        source: segment.source,
        source_partition: segment.partition,
        source_offset: segment.hi,
        segment_lo: segment.lo,
        written_at: writtenAt,
      };
    });
    return [{ table: SLI_ROLLUP_TABLE, rows }];
  }

  /** Publishes the durable segments' deltas, then their sources' progress. */
  async durable(segments: readonly IngestSegment[]): Promise<void> {
    const deltas: SliSegmentDelta[] = [];
    const touched = new Map<string, SourceInfo>();
    for (const segment of segments) {
      const bySlo = new Map<string, MinuteBucketDelta[]>();
      for (const c of this.cellsOf(segment)) {
        const delta: MinuteBucketDelta = { key: c.key, minuteStartMs: c.minuteStartMs, good: c.good, total: c.total, lateEvents: c.late };
        if (c.sketch) delta.sketch = c.sketch.toBuckets();
        const list = bySlo.get(c.key.sloName) ?? [];
        list.push(delta);
        bySlo.set(c.key.sloName, list);
      }
      const position = { source: segment.source, partition: segment.partition, lo: segment.lo, hi: segment.hi };
      for (const [sloName, buckets] of bySlo) deltas.push({ sloName, position, buckets });
      // every signal the source carries moves on: the ones registered for it, the ones seen in it
      const counts = segment.scratch.get(this) as SegmentCounts | undefined;
      const signals = new Set<SliSignal>([...this.signalsOf(segment.source, segment.partition), ...(counts?.maxEventTimeBySignal.keys() ?? [])]);
      if (SLI_SIGNAL_SET.has(segment.signal)) signals.add(segment.signal as SliSignal);
      for (const signal of signals) {
        const info = this.source(segment.source, segment.partition, signal);
        info.hi = Math.max(info.hi, segment.hi);
        const newest = counts?.maxEventTimeBySignal.get(signal);
        if (newest !== undefined && (info.durableMaxEventTimeMs === undefined || newest > info.durableMaxEventTimeMs)) info.durableMaxEventTimeMs = newest;
        touched.set(sourceKey(segment.source, segment.partition, signal), info);
      }
    }
    if (deltas.length === 0 && touched.size === 0) return;
    await this.opts.publisher.publish({ deltas, progress: [...touched.values()].map((info) => this.progressOf(info)) });
  }

  /**
   * Publishes the progress of sources with nothing new (idle Kafka partitions, a quiet HTTP
   * source) so judges know they are caught up. `owned` limits it to the partitions this
   * worker owns (all known sources when absent).
   */
  async heartbeat(owned?: ReadonlySet<string>): Promise<void> {
    const infos = [...this.sources.values()].filter((info) => owned === undefined || owned.has(partitionKey(info.source, info.partition)));
    if (infos.length === 0) return;
    await this.opts.publisher.publish({ deltas: [], progress: infos.map((info) => this.progressOf(info)) });
  }

  /** Registers a source before its first event (e.g. a newly assigned, idle Kafka partition). */
  track(source: string, partition: number, signal: SliSignal, resume: { through: number; maxEventTimeMs: number }): void {
    const info = this.source(source, partition, signal);
    info.hi = Math.max(info.hi, resume.through);
    if (resume.maxEventTimeMs >= 0) {
      if (info.maxEventTimeMs === undefined || resume.maxEventTimeMs > info.maxEventTimeMs) info.maxEventTimeMs = resume.maxEventTimeMs;
      if (info.durableMaxEventTimeMs === undefined || resume.maxEventTimeMs > info.durableMaxEventTimeMs) info.durableMaxEventTimeMs = resume.maxEventTimeMs;
    }
  }

  /** Forgets sources not in `owned` (`topic#partition` keys, after a rebalance). */
  retain(owned: ReadonlySet<string>): void {
    for (const [key, info] of [...this.sources]) if (!owned.has(partitionKey(info.source, info.partition))) this.sources.delete(key);
  }

  private signalsOf(source: string, partition: number): SliSignal[] {
    return [...this.sources.values()].filter((i) => i.source === source && i.partition === partition).map((i) => i.signal);
  }

  private progressOf(info: SourceInfo): SourceProgress {
    const status = this.opts.sourceStatus?.(info.source, info.partition);
    return {
      source: info.source,
      partition: info.partition,
      signal: info.signal,
      hi: info.hi,
      maxEventTimeMs: info.durableMaxEventTimeMs,
      caughtUp: status?.caughtUp ?? true,
      reportedAtMs: (this.opts.now ?? Date.now)(),
      lastActivityAtMs: status?.lastActivityAtMs ?? info.lastActivityAtMs,
    };
  }

  private source(source: string, partition: number, signal: SliSignal): SourceInfo {
    const key = sourceKey(source, partition, signal);
    let info = this.sources.get(key);
    if (!info) this.sources.set(key, (info = { source, partition, signal, maxEventTimeMs: undefined, durableMaxEventTimeMs: undefined, hi: -1, lastActivityAtMs: undefined }));
    return info;
  }

  private countsOf(segment: IngestSegment): SegmentCounts {
    let counts = segment.scratch.get(this) as SegmentCounts | undefined;
    if (!counts) segment.scratch.set(this, (counts = { cells: new Map(), maxEventTimeBySignal: new Map() }));
    return counts;
  }

  private cellsOf(segment: IngestSegment): Cell[] {
    const counts = segment.scratch.get(this) as SegmentCounts | undefined;
    return counts ? [...counts.cells.values()].sort((a, b) => a.minuteStartMs - b.minuteStartMs) : [];
  }
}

/** A source of one signal: `topic#partition|signal` (a topic may carry spans and logs). */
function sourceKey(source: string, partition: number, signal: SliSignal): string {
  return `${partitionKey(source, partition)}|${signal}`;
}
