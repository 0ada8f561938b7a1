import type { BatchParticipant } from '../../ingest/pipeline/batch-participant.ts';
import type { IngestSegment } from '../../ingest/pipeline/ingest-segment.ts';
import type { Row } from '../../ingest/sink/signal-rows.ts';
import { toDateTime64 } from '../../platform/clickhouse/clickhouse-time.ts';
import type { SluiceEvent } from '../../schema/events/v1/signal.ts';
import { LatencySketch } from '../core/sketch/latency-sketch.ts';
import { SLI_EVENT_TIME_MS, type SliSignal } from '../core/sli/indicator-strategy.ts';
import { minuteStartOf } from '../core/window/minute-bucket.ts';

export const SIGNAL_ROLLUP_TABLE = 'signal_rollups';

/** The dimensions of a signal rollup row (schema/clickhouse/0011_signal_rollups.sql); '' / 0 where a signal has none. */
export interface SignalDimensions {
  signal: SliSignal;
  service: string;
  environment: string;
  version: string;
  spanKind: string;
  route: string;
  operation: string;
  /** Exact HTTP status code, 0 when the span had none. */
  httpStatusCode: number;
  /** Spans: ok | error; checks: ok (success) | error; logs: ''. */
  status: string;
  /** Logs: OpenTelemetry severity number 0–24; 0 otherwise. */
  severityNumber: number;
  checkId: string;
  journey: string;
  location: string;
}

/** The dimensions of one event, and the duration its sketch takes (spans, checks), ms. */
export function signalDimensionsOf(input: SluiceEvent): { dims: SignalDimensions; durationMs?: number } | undefined {
  const none = { spanKind: '', route: '', operation: '', httpStatusCode: 0, status: '', severityNumber: 0, checkId: '', journey: '', location: '' };
  switch (input.signal) {
    case 'spans': {
      const e = input.event;
      return {
        dims: { ...none, signal: 'spans', service: e.service, environment: e.environment, version: e.version, spanKind: e.kind, route: e.route, operation: e.operation, httpStatusCode: e.httpStatusCode ?? 0, status: e.status },
        durationMs: e.durationMs,
      };
    }
    case 'logs': {
      const e = input.event;
      return { dims: { ...none, signal: 'logs', service: e.service, environment: e.environment, version: e.version, severityNumber: e.severityNumber } };
    }
    case 'checks': {
      const e = input.event;
      return {
        dims: { ...none, signal: 'checks', service: e.service, environment: e.environment, version: e.version, status: e.success ? 'ok' : 'error', checkId: e.checkId, journey: e.journey, location: e.location },
        durationMs: e.durationMs,
      };
    }
    default:
      return undefined;
  }
}

interface Cell {
  dims: SignalDimensions;
  minuteStartMs: number;
  count: number;
  sketch?: LatencySketch;
}

/**
 * Counts every valid span, log record and check result into per-minute signal rollups —
 * the storage any SLO's history is rebuilt from (docs/history.md) — exactly like
 * SliRollupParticipant counts `sli_rollups`: before sampling (DESIGN.md guarantee 1), per
 * ingest segment, into rows written with the segment under its deduplication token (so a
 * replayed segment is written once, and exactly-once holds across crashes). Rows carry the
 * segment's bounds, and `origin` = `ingest`.
 */
export class SignalRollupParticipant implements BatchParticipant {
  readonly tables = [SIGNAL_ROLLUP_TABLE] as const;
  private readonly now: () => number;

  constructor(opts: { now?: () => number } = {}) {
    this.now = opts.now ?? Date.now;
  }

  observe(event: SluiceEvent, segment: IngestSegment): void {
    if (event.signal !== 'spans' && event.signal !== 'logs' && event.signal !== 'checks') return;
    const of = signalDimensionsOf(event);
    if (of === undefined) return;
    const eventTimeMs = (SLI_EVENT_TIME_MS[event.signal] as (e: unknown) => number)(event.event);
    const minuteStartMs = minuteStartOf(eventTimeMs);
    const d = of.dims;
    const id = `${d.signal}\u001f${d.service}\u001f${d.environment}\u001f${d.version}\u001f${minuteStartMs}\u001f${d.spanKind}\u001f${d.route}\u001f${d.operation}\u001f${d.httpStatusCode}\u001f${d.status}\u001f${d.severityNumber}\u001f${d.checkId}\u001f${d.journey}\u001f${d.location}`;
    const cells = this.cellsOf(segment);
    let cell = cells.get(id);
    if (cell === undefined) cells.set(id, (cell = { dims: d, minuteStartMs, count: 0 }));
    cell.count++;
    if (of.durationMs !== undefined) (cell.sketch ??= new LatencySketch()).add(of.durationMs);
  }

  rowsOf(segment: IngestSegment): { table: string; rows: Row[] }[] {
    const cells = segment.scratch.get(this) as Map<string, Cell> | undefined;
    if (cells === undefined || cells.size === 0) return [];
    const writtenAt = toDateTime64(this.now());
    const rows = [...cells.values()].sort((a, b) => a.minuteStartMs - b.minuteStartMs).map((c): Row => {
      const buckets = c.sketch?.toBuckets() ?? [];
      const d = c.dims;
      return {
        signal: d.signal,
        service: d.service,
        environment: d.environment,
        version: d.version,
        minute: toDateTime64(c.minuteStartMs).slice(0, 19),
        span_kind: d.spanKind,
        route: d.route,
        operation: d.operation,
        http_status_code: d.httpStatusCode,
        status: d.status,
        severity_number: d.severityNumber,
        check_id: d.checkId,
        journey: d.journey,
        location: d.location,
        count: c.count,
        sketch_index: buckets.map((b) => b.index),
        sketch_count: buckets.map((b) => b.count),
        origin: 'ingest',
        estimated: 0,
        source: segment.source,
        source_partition: segment.partition,
        source_offset: segment.hi,
        segment_lo: segment.lo,
        written_at: writtenAt,
      };
    });
    return [{ table: SIGNAL_ROLLUP_TABLE, rows }];
  }

  private cellsOf(segment: IngestSegment): Map<string, Cell> {
    let cells = segment.scratch.get(this) as Map<string, Cell> | undefined;
    if (cells === undefined) segment.scratch.set(this, (cells = new Map()));
    return cells;
  }
}
