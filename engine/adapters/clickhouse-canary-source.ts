import type { ClickHouseClient } from '@clickhouse/client';
import type { CanaryInput, ErrorCountsInput, LatencyStratum } from '../core/canary/canary-comparison.ts';
import type { SloStateReader } from './slo-state-store.ts';

/**
 * Reads what a canary comparison needs (engine/core/canary/canary-comparison.ts) from
 * ClickHouse: exact good/total per version from `sli_rollups` for the service's
 * availability SLOs, and durations of sampled raw server spans per version and weight from
 * `spans_raw` (at most `maxSamplesPerStratum` rows of each version and weight, the same
 * pseudo-random rows every time: ordered by a hash of trace and span id).
 */

/** Most rows of one version and weight read for the latency comparison. */
export const DEFAULT_MAX_SAMPLES_PER_STRATUM = 20_000;

export interface CanaryRequest {
  service: string;
  environment: string;
  baselineVersion: string;
  canaryVersion: string;
  /** [fromMs, toMs), epoch ms. */
  fromMs: number;
  toMs: number;
}

/** Counts per (SLO, version) over the whole minutes of [from, to) (rollups are per minute). */
export function versionCountsQuery(r: CanaryRequest, slos: readonly string[]): { sql: string; params: Record<string, unknown> } {
  return {
    sql: `SELECT slo, version, sum(good) AS good, sum(total) AS total FROM sli_rollups
          WHERE slo IN {slos:Array(String)} AND service = {service:String} AND environment = {environment:String}
            AND version IN ({baseline:String}, {canary:String})
            AND minute >= toDateTime(intDiv({from:Int64}, 1000), 'UTC') AND minute < toDateTime(intDiv({to:Int64}, 1000), 'UTC')
          GROUP BY slo, version`,
    params: { slos: [...slos], service: r.service, environment: r.environment, baseline: r.baselineVersion, canary: r.canaryVersion, from: r.fromMs, to: r.toMs },
  };
}

/** Durations of sampled server/consumer spans per (version, weight), a fixed hash-ordered subsample of each. */
export function latencySamplesQuery(r: CanaryRequest, maxPerStratum = DEFAULT_MAX_SAMPLES_PER_STRATUM): { sql: string; params: Record<string, unknown> } {
  return {
    sql: `SELECT version, sample_weight AS weight, groupArray(duration_ms) AS durations FROM (
            SELECT version, sample_weight, duration_ms FROM spans_raw
            WHERE service = {service:String} AND environment = {environment:String} AND version IN ({baseline:String}, {canary:String})
              AND start_time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND start_time < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
              AND kind IN ('server', 'consumer')
            ORDER BY cityHash64(trace_id, span_id)
            LIMIT {limit:UInt32} BY version, sample_weight)
          GROUP BY version, sample_weight`,
    params: { service: r.service, environment: r.environment, baseline: r.baselineVersion, canary: r.canaryVersion, from: r.fromMs, to: r.toMs, limit: maxPerStratum },
  };
}

export class ClickHouseCanarySource {
  private readonly client: ClickHouseClient;
  private readonly slos: SloStateReader;
  private readonly maxPerStratum: number;

  constructor(client: ClickHouseClient, slos: SloStateReader, opts: { maxSamplesPerStratum?: number } = {}) {
    this.client = client;
    this.slos = slos;
    this.maxPerStratum = opts.maxSamplesPerStratum ?? DEFAULT_MAX_SAMPLES_PER_STRATUM;
  }

  /** The availability SLOs of a service in an environment (their rollups count requests per version). */
  async availabilitySlos(service: string, environment: string): Promise<string[]> {
    return (await this.slos.list())
      .filter((s) => s.definition.indicator === 'availability' && s.definition.service === service && s.definition.environment === environment)
      .map((s) => s.sloName)
      .sort();
  }

  async load(r: CanaryRequest): Promise<CanaryInput> {
    const slos = await this.availabilitySlos(r.service, r.environment);
    const counts = slos.length === 0 ? [] : await this.rows<{ slo: string; version: string; good: string | number; total: string | number }>(versionCountsQuery(r, slos));
    const errorCounts: ErrorCountsInput[] = slos.map((slo) => {
      const of = (version: string) => {
        const row = counts.find((c) => c.slo === slo && c.version === version);
        return { good: Number(row?.good ?? 0), total: Number(row?.total ?? 0) };
      };
      return { source: `slo:${slo}`, baseline: of(r.baselineVersion), canary: of(r.canaryVersion) };
    });
    const strata = await this.rows<{ version: string; weight: number; durations: number[] }>(latencySamplesQuery(r, this.maxPerStratum));
    const strataOf = (version: string): LatencyStratum[] => strata.filter((s) => s.version === version).map((s) => ({ weight: Number(s.weight), durationsMs: s.durations.map(Number) }));
    return {
      ...r,
      errorCounts,
      latency: {
        source: `spans_raw server and consumer spans (at most ${this.maxPerStratum} rows of each version and weight, by trace-id hash)`,
        baseline: strataOf(r.baselineVersion),
        canary: strataOf(r.canaryVersion),
      },
    };
  }

  private async rows<T>(q: { sql: string; params: Record<string, unknown> }): Promise<T[]> {
    const rs = await this.client.query({ query: q.sql, query_params: q.params, format: 'JSONEachRow' });
    return rs.json<T>();
  }
}
