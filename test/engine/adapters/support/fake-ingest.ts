import type { SliDeltaBatch } from '../../../../engine/adapters/sli-delta-bus.ts';
import { SLI_EVENT_TIME_MS, type SliSignal } from '../../../../engine/core/sli/indicator-strategy.ts';
import { countEvent } from '../../../../engine/core/sli/sli-counter.ts';
import type { Slo } from '../../../../engine/core/slo/slo-definition.ts';
import { MinuteBucketStore } from '../../../../engine/core/window/minute-bucket-store.ts';
import type { SliSegmentDelta, SourceProgress } from '../../../../engine/core/window/sli-segment.ts';
import type { SluiceEvent } from '../../../../schema/events/v1/signal.ts';
import { LogRecordV1Schema } from '../../../../schema/events/v1/log-record.ts';
import { SpanV1Schema } from '../../../../schema/events/v1/span.ts';

/** An upstream source: a topic partition carrying one signal. */
export interface FakeSource {
  source: string;
  partition: number;
  signal: SliSignal;
}

interface Segment {
  source: FakeSource;
  lo: number;
  hi: number;
  store: MinuteBucketStore;
}

interface Progress {
  hi: number;
  maxEventTimeMs: number | undefined;
  lastActivityAtMs: number | undefined;
}

/**
 * What ingest does for the judges, in miniature and in memory: counts raw events into
 * per-SLO minute deltas with the core's `countEvent` (so only in-scope events reach an
 * SLO, exactly as in production), cuts one segment per source per flush, and publishes the
 * deltas, then every source's progress (highest event time over *all* its events, as the
 * topic's progress would carry). Positions are per-source sequence numbers.
 */
export class FakeIngest {
  private readonly slos: () => readonly Slo[];
  private readonly publish: (batch: SliDeltaBatch) => void;
  private readonly segments = new Map<string, Segment>();
  private readonly next: Map<string, number>;
  private readonly progress = new Map<string, { source: FakeSource; durable: Progress; live: Progress }>();

  /** `positions`: next position per source, shared to continue after a restart (as Kafka offsets do). */
  constructor(slos: () => readonly Slo[], publish: (batch: SliDeltaBatch) => void, positions: Map<string, number> = new Map()) {
    this.slos = slos;
    this.publish = publish;
    this.next = positions;
  }

  /** Makes a source known (it reports progress from the next flush on, even without events). */
  declare(source: FakeSource): void {
    const id = idOf(source);
    if (!this.progress.has(id)) {
      this.progress.set(id, { source, durable: { hi: -1, maxEventTimeMs: undefined, lastActivityAtMs: undefined }, live: { hi: -1, maxEventTimeMs: undefined, lastActivityAtMs: undefined } });
    }
  }

  /** Takes one event from `source` at wall clock `nowMs`. */
  add(source: FakeSource, event: SluiceEvent, nowMs: number): void {
    this.declare(source);
    const id = idOf(source);
    const position = this.next.get(id) ?? 0;
    this.next.set(id, position + 1);
    let segment = this.segments.get(id);
    if (segment === undefined) this.segments.set(id, (segment = { source, lo: position, hi: position, store: new MinuteBucketStore({ allowedLatenessMs: 0 }) }));
    segment.hi = position;
    countEvent(this.slos(), event, id, segment.store);
    const live = this.progress.get(id)!.live;
    const eventTimeMs = (SLI_EVENT_TIME_MS[source.signal] as (e: unknown) => number)(event.event);
    live.hi = position;
    live.maxEventTimeMs = live.maxEventTimeMs === undefined ? eventTimeMs : Math.max(live.maxEventTimeMs, eventTimeMs);
    live.lastActivityAtMs = nowMs;
  }

  /**
   * Makes pending segments "durable" and publishes them: deltas first, then the progress of
   * every known source. `backlog` names sources that still have unconsumed input.
   */
  flush(nowMs: number, backlog: (source: FakeSource) => boolean = () => false): SliDeltaBatch {
    const deltas: SliSegmentDelta[] = [];
    for (const [id, segment] of this.segments) {
      const bySlo = new Map<string, SliSegmentDelta>();
      for (const bucket of segment.store.takeDeltas()) {
        let d = bySlo.get(bucket.key.sloName);
        if (d === undefined) {
          bySlo.set(bucket.key.sloName, (d = { sloName: bucket.key.sloName, position: { source: segment.source.source, partition: segment.source.partition, lo: segment.lo, hi: segment.hi }, buckets: [] }));
        }
        d.buckets.push(bucket);
      }
      deltas.push(...bySlo.values());
      this.segments.delete(id);
    }
    const progress: SourceProgress[] = [];
    for (const p of this.progress.values()) {
      p.durable = { ...p.live };
      progress.push({
        source: p.source.source,
        partition: p.source.partition,
        signal: p.source.signal,
        hi: p.durable.hi,
        ...(p.durable.maxEventTimeMs !== undefined ? { maxEventTimeMs: p.durable.maxEventTimeMs } : {}),
        caughtUp: !backlog(p.source),
        reportedAtMs: nowMs,
        ...(p.durable.lastActivityAtMs !== undefined ? { lastActivityAtMs: p.durable.lastActivityAtMs } : {}),
      });
    }
    const batch = { deltas, progress };
    this.publish(batch);
    return batch;
  }
}

function idOf(s: FakeSource): string {
  return `${s.source}#${s.partition}#${s.signal}`;
}

let seq = 0;

/** A span event ending at `endMs` (event time), 10 ms long. */
export function span(endMs: number, opts: { service?: string; environment?: string; version?: string; error?: boolean; kind?: 'server' | 'client' } = {}): SluiceEvent {
  seq++;
  return {
    signal: 'spans',
    event: SpanV1Schema.parse({
      service: opts.service ?? 'checkout',
      environment: opts.environment ?? 'production',
      version: opts.version ?? '1.4.0',
      traceId: seq.toString(16).padStart(32, '0'),
      spanId: seq.toString(16).padStart(16, '0'),
      operation: 'GET /orders/{id}',
      route: '/orders/{id}',
      kind: opts.kind ?? 'server',
      startTimeMs: endMs - 10,
      durationMs: 10,
      status: opts.error ? 'error' : 'ok',
      httpStatusCode: opts.error ? 503 : 200,
    }),
  };
}

/** A log record at `timestampMs` (ERROR when `error`). */
export function logRecord(timestampMs: number, opts: { service?: string; error?: boolean } = {}): SluiceEvent {
  return {
    signal: 'logs',
    event: LogRecordV1Schema.parse({
      service: opts.service ?? 'checkout',
      environment: 'production',
      version: '1.4.0',
      timestampMs,
      severityNumber: opts.error ? 17 : 9,
      body: opts.error ? 'payment failed' : 'ok',
    }),
  };
}
