import type { ClickHouseClient } from '@clickhouse/client';
import type { MinuteBucketStore } from '../core/window/minute-bucket-store.ts';
import { SLI_ROLLUP_TABLE } from './sli-rollup-participant.ts';

/**
 * Restores the in-memory minute buckets from the durable `sli_rollups` deltas (all
 * partitions, all workers), e.g. when a worker starts or takes over partitions.
 * Returns the number of (key, minute) buckets loaded.
 */
export async function loadRollups(client: ClickHouseClient, store: MinuteBucketStore, sinceMs: number): Promise<number> {
  const result = await client.query({
    query: `SELECT slo, service, environment, version, toUnixTimestamp(minute) AS minute_s,
                   sum(good) AS good, sum(total) AS total, sum(late_events) AS late,
                   sumMap(sketch_index, sketch_count) AS sketch
            FROM ${SLI_ROLLUP_TABLE}
            WHERE minute >= toDateTime({since_s:UInt32}, 'UTC')
            GROUP BY slo, service, environment, version, minute_s`,
    query_params: { since_s: Math.floor(sinceMs / 1000) },
    format: 'JSONEachRow',
  });
  let buckets = 0;
  for await (const rows of result.stream<{
    slo: string; service: string; environment: string; version: string; minute_s: number | string;
    good: number | string; total: number | string; late: number | string; sketch: [number[], (number | string)[]];
  }>()) {
    for (const row of rows) {
      const r = row.json();
      const [indexes, counts] = r.sketch;
      store.mergeDelta({
        key: { sloName: r.slo, service: r.service, environment: r.environment, version: r.version },
        minuteStartMs: Number(r.minute_s) * 1000,
        good: Number(r.good),
        total: Number(r.total),
        lateEvents: Number(r.late),
        ...(indexes.length > 0 ? { sketch: indexes.map((index, i) => ({ index, count: Number(counts[i]) })) } : {}),
      });
      buckets++;
    }
  }
  return buckets;
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
