import { toDateTime64 } from '../../platform/clickhouse/clickhouse-time.ts';
import type { Signal, SignalEvents } from '../../schema/events/v1/signal.ts';
import type { DeadLetterReason } from '../decode/decoder.ts';
import type { SourcePosition } from '../pipeline/source-position.ts';

/** A row for a ClickHouse table, as JSONEachRow. */
export type Row = Record<string, unknown>;

/** How one signal is stored: its table and the mapping of an event to a row. */
export interface SignalTable<S extends Signal> {
  table: string;
  /**
   * Raw-row retention, ms (the table's TTL in schema/clickhouse): an event older than this
   * would be deleted by ClickHouse on arrival, so it is counted as not stored instead.
   * Undefined = kept forever.
   */
  retentionMs?: number;
  eventTimeMs(event: SignalEvents[S]): number;
  toRow(event: SignalEvents[S], position: SourcePosition, weight: number, nowMs: number): Row;
}

const DAY_MS = 86_400_000;

const origin = (p: SourcePosition) => ({ source: p.source, source_partition: p.partition, source_offset: p.offset });

/**
 * toDateTime64 for one column of a stream of rows: consecutive rows mostly fall in the same
 * second, so the text of that second is kept and only the milliseconds are appended (the
 * same text, ~10× cheaper than formatting a Date each time).
 */
class DateTime64Text {
  private second = Number.NaN;
  /** `YYYY-MM-DD hh:mm:ss.` of `second`. */
  private prefix = '';

  of(ms: number): string {
    const second = Math.floor(ms / 1000);
    const millis = ms - second * 1000;
    if (second !== this.second) {
      const text = toDateTime64(second * 1000);
      if (text.length !== 23 || !Number.isInteger(millis)) return toDateTime64(ms);
      this.second = second;
      this.prefix = text.slice(0, 20);
    } else if (!Number.isInteger(millis)) return toDateTime64(ms);
    return this.prefix + (millis < 10 ? `00${millis}` : millis < 100 ? `0${millis}` : `${millis}`);
  }
}
/** One per column of the raw tables (each keeps its own second). */
const spanStart = new DateTime64Text();
const spanIngested = new DateTime64Text();
const logTime = new DateTime64Text();
const logIngested = new DateTime64Text();
const checkTime = new DateTime64Text();
const checkIngested = new DateTime64Text();

/** Table of strategies: one entry per signal (schema/clickhouse/0001, 0002). */
export const SIGNAL_TABLES: { [S in Signal]: SignalTable<S> } = {
  spans: {
    table: 'spans_raw',
    retentionMs: 14 * DAY_MS,
    eventTimeMs: (e) => e.startTimeMs,
    toRow: (e, p, weight, nowMs) => ({
      service: e.service,
      environment: e.environment,
      version: e.version,
      start_time: spanStart.of(e.startTimeMs),
      trace_id: e.traceId,
      span_id: e.spanId,
      parent_span_id: e.parentSpanId ?? '',
      operation: e.operation,
      route: e.route,
      kind: e.kind,
      duration_ms: e.durationMs,
      status: e.status,
      http_status_code: e.httpStatusCode ?? 0,
      peer_service: e.peerService ?? '',
      attributes: e.attributes,
      sample_weight: weight,
      source: p.source,
      source_partition: p.partition,
      source_offset: p.offset,
      ingested_at: spanIngested.of(nowMs),
    }),
  },
  logs: {
    table: 'logs_raw',
    retentionMs: 14 * DAY_MS,
    eventTimeMs: (e) => e.timestampMs,
    toRow: (e, p, weight, nowMs) => ({
      service: e.service,
      environment: e.environment,
      version: e.version,
      timestamp: logTime.of(e.timestampMs),
      severity_number: e.severityNumber,
      severity_text: e.severityText,
      body: e.body,
      trace_id: e.traceId ?? '',
      span_id: e.spanId ?? '',
      attributes: e.attributes,
      sample_weight: weight,
      ...origin(p),
      ingested_at: logIngested.of(nowMs),
    }),
  },
  checks: {
    table: 'checks_raw',
    retentionMs: 30 * DAY_MS,
    eventTimeMs: (e) => e.timestampMs,
    toRow: (e, p, weight, nowMs) => ({
      check_id: e.checkId,
      service: e.service,
      environment: e.environment,
      version: e.version,
      journey: e.journey,
      location: e.location,
      timestamp: checkTime.of(e.timestampMs),
      success: e.success,
      duration_ms: e.durationMs,
      failed_step: e.failedStep ?? '',
      attributes: e.attributes,
      sample_weight: weight,
      ...origin(p),
      ingested_at: checkIngested.of(nowMs),
    }),
  },
  deploys: {
    table: 'deploys',
    eventTimeMs: (e) => e.startedAtMs,
    toRow: (e, p, _weight, nowMs) => ({
      deploy_id: e.deployId,
      service: e.service,
      environment: e.environment,
      version: e.version,
      team: e.team ?? '',
      commit_sha: e.commitSha.toLowerCase(),
      commit_time: toDateTime64(e.commitTimeMs),
      started_at: toDateTime64(e.startedAtMs),
      finished_at: e.finishedAtMs === undefined ? null : toDateTime64(e.finishedAtMs),
      status: e.status,
      strategy: e.strategy,
      emergency: e.emergency,
      change_ticket: e.changeTicket ?? '',
      attributes: e.attributes,
      ...origin(p),
      updated_at: toDateTime64(nowMs),
    }),
  },
  incidents: {
    table: 'incidents',
    eventTimeMs: (e) => e.openedAtMs,
    toRow: (e, p, _weight, nowMs) => ({
      incident_id: e.incidentId,
      service: e.service,
      environment: e.environment,
      title: e.title,
      severity: e.severity,
      opened_at: toDateTime64(e.openedAtMs),
      resolved_at: e.resolvedAtMs === undefined ? null : toDateTime64(e.resolvedAtMs),
      linked_deploy_id: e.linkedDeployId ?? '',
      attributes: e.attributes,
      ...origin(p),
      updated_at: toDateTime64(nowMs),
    }),
  },
};

export const DEAD_LETTER_TABLE = 'dead_letters';

export function deadLetterRow(
  signal: Signal,
  reason: DeadLetterReason,
  detail: string,
  raw: Uint8Array,
  p: SourcePosition,
  nowMs: number,
): Row {
  return {
    received_at: toDateTime64(nowMs),
    signal,
    reason,
    detail: detail.slice(0, 4096),
    raw_base64: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64'),
    raw_bytes: raw.byteLength,
    ...origin(p),
  };
}
