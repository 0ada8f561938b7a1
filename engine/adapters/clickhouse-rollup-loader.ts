import type { ClickHouseClient } from '@clickhouse/client';
import { SLI_SIGNALS, type SliSignal } from '../core/sli/indicator-strategy.ts';
import type { MinuteBucketDelta } from '../core/window/minute-bucket.ts';
import type { AppliedPosition, DurableSourceProgress, RestoredRollups, RollupRequest, SliHistory } from './sli-history.ts';
import { SLI_ROLLUP_TABLE } from './sli-rollup-participant.ts';

const INGEST_PROGRESS_TABLE = 'ingest_progress';

/** The per-SLO lower bound of `minute`, as a SQL condition over two array parameters. */
const SINCE = `slo IN {slos:Array(String)} AND minute >= toDateTime(arrayElement({since_s:Array(UInt32)}, indexOf({slos:Array(String)}, slo)), 'UTC')`;

function sinceParams(requests: readonly RollupRequest[]): Record<string, unknown> {
  return { slos: requests.map((r) => r.sloName), since_s: requests.map((r) => Math.max(0, Math.floor(r.sinceMs / 1000))) };
}

/** SQL (as a value) for the restored buckets: per key and minute, every segment's delta summed. */
export function restoreBucketsQuery(requests: readonly RollupRequest[]): { sql: string; params: Record<string, unknown> } {
  return {
    sql: `SELECT slo, service, environment, version, toUnixTimestamp(minute) AS minute_s,
                 sum(good) AS good, sum(total) AS total, sum(late_events) AS late,
                 sumMap(sketch_index, sketch_count) AS sketch
          FROM ${SLI_ROLLUP_TABLE}
          WHERE ${SINCE}
          GROUP BY slo, service, environment, version, minute_s`,
    params: sinceParams(requests),
  };
}

/**
 * SQL (as a value) for how far each (SLO, source, partition)'s restored segments reach. Only
 * rows inside the restored range count: a segment that has no row there changes no
 * restored bucket, so applying it again from the topic changes nothing the judge reads.
 */
export function appliedPositionsQuery(requests: readonly RollupRequest[]): { sql: string; params: Record<string, unknown> } {
  return {
    sql: `SELECT slo, source, source_partition AS partition, max(source_offset) AS hi
          FROM ${SLI_ROLLUP_TABLE}
          WHERE ${SINCE} AND source_offset >= 0
          GROUP BY slo, source, source_partition`,
    params: sinceParams(requests),
  };
}

/**
 * The durable SLI history in ClickHouse: `sli_rollups` (the segments' exact deltas, written
 * by ingest before they are published to judges) and `ingest_progress` (each upstream
 * partition's last durable segment and highest event time).
 */
export class ClickHouseRollupLoader implements SliHistory {
  private readonly client: ClickHouseClient;

  constructor(client: ClickHouseClient) {
    this.client = client;
  }

  async loadRollups(requests: readonly RollupRequest[]): Promise<RestoredRollups> {
    if (requests.length === 0) return { buckets: [], applied: [] };
    const buckets: MinuteBucketDelta[] = [];
    const q = restoreBucketsQuery(requests);
    const result = await this.client.query({ query: q.sql, query_params: q.params, format: 'JSONEachRow' });
    for await (const rows of result.stream<{
      slo: string; service: string; environment: string; version: string; minute_s: number | string;
      good: number | string; total: number | string; late: number | string; sketch: [number[], (number | string)[]];
    }>()) {
      for (const row of rows) {
        const r = row.json();
        const [indexes, counts] = r.sketch;
        buckets.push({
          key: { sloName: r.slo, service: r.service, environment: r.environment, version: r.version },
          minuteStartMs: Number(r.minute_s) * 1000,
          good: Number(r.good),
          total: Number(r.total),
          lateEvents: Number(r.late),
          ...(indexes.length > 0 ? { sketch: indexes.map((index, i) => ({ index, count: Number(counts[i]) })) } : {}),
        });
      }
    }
    const a = appliedPositionsQuery(requests);
    const applied = (await (await this.client.query({ query: a.sql, query_params: a.params, format: 'JSONEachRow' }))
      .json<{ slo: string; source: string; partition: number | string; hi: number | string }>())
      .map((r): AppliedPosition => ({ sloName: r.slo, source: r.source, partition: Number(r.partition), hi: Number(r.hi) }));
    return { buckets, applied };
  }

  /**
   * Each SLI source's latest `ingest_progress` row. Its highest event time is taken only
   * from a finished (`done`) segment: a pending one may not be durable yet.
   */
  async loadProgress(): Promise<DurableSourceProgress[]> {
    const result = await this.client.query({
      query: `SELECT source, partition, signal, toString(state) AS state, through, max_event_time_ms
              FROM ${INGEST_PROGRESS_TABLE} FINAL
              WHERE signal IN {signals:Array(String)}`,
      query_params: { signals: [...SLI_SIGNALS] },
      format: 'JSONEachRow',
    });
    return (await result.json<{ source: string; partition: number | string; signal: string; state: string; through: number | string; max_event_time_ms: number | string }>())
      .map((r) => ({
        source: r.source,
        partition: Number(r.partition),
        signal: r.signal as SliSignal,
        hi: Number(r.through),
        maxEventTimeMs: r.state === 'done' && Number(r.max_event_time_ms) > 0 ? Number(r.max_event_time_ms) : undefined,
      }));
  }
}

/** Exact good/total per SLO from the durable rollups (what a gate or a test reads). */
export async function rollupTotals(client: ClickHouseClient): Promise<Map<string, { good: number; total: number }>> {
  const result = await client.query({
    query: `SELECT slo, sum(good) AS good, sum(total) AS total FROM ${SLI_ROLLUP_TABLE} GROUP BY slo`,
    format: 'JSONEachRow',
  });
  const out = new Map<string, { good: number; total: number }>();
  for (const r of await result.json<{ slo: string; good: string | number; total: string | number }>()) {
    out.set(r.slo, { good: Number(r.good), total: Number(r.total) });
  }
  return out;
}
