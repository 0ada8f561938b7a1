import type { ClickHouseClient } from '@clickhouse/client';
import type { VersionWindowCounts, VersionWindowRequest } from '../core/gate/gate-inputs.ts';
import type { SliDeltaBatch } from './sli-delta-bus.ts';

/**
 * Exact good/total per version of an SLO over a window — what version attribution reads
 * (engine/core/gate/version-attribution.ts). The judges keep their buckets per SLO;
 * `sli_rollups` keeps them per version, so that is where these come from.
 */
export interface VersionCountsReader {
  counts(requests: readonly VersionWindowRequest[]): Promise<VersionWindowCounts[]>;
}

/** SQL (as a value): per-version sums of an SLO's rollups over the whole minutes of [from, to). */
export function versionWindowQuery(r: VersionWindowRequest): { sql: string; params: Record<string, unknown> } {
  return {
    sql: `SELECT version, sum(good) AS good, sum(total) AS total FROM sli_rollups
          WHERE slo = {slo:String}
            AND minute >= toDateTime(intDiv({from:Int64}, 1000), 'UTC') AND minute < toDateTime(intDiv({to:Int64}, 1000), 'UTC')
          GROUP BY version ORDER BY version`,
    params: { slo: r.slo, from: r.fromMs, to: r.toMs },
  };
}

/**
 * Reads from `sli_rollups`, one query per window (in parallel). Windows end at an evaluated
 * minute boundary, whose rollups are durable before the judge saw them (ingest writes rows
 * before it publishes deltas), so an answer is kept for `cacheMs` (default 5 s): a burst of
 * gates on one release costs one query per window. An answer older than that is still
 * served while its refresh runs (for up to another `cacheMs`), so gates do not queue behind
 * the refresh query: a count is at most 2 × `cacheMs` plus one query old.
 */
export class ClickHouseVersionCounts implements VersionCountsReader {
  private readonly client: ClickHouseClient;
  private readonly cacheMs: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, { atMs: number; value: Promise<VersionWindowCounts>; settled: boolean; refreshing: boolean }>();

  constructor(client: ClickHouseClient, opts: { cacheMs?: number; now?: () => number } = {}) {
    this.client = client;
    this.cacheMs = opts.cacheMs ?? 5_000;
    this.now = opts.now ?? Date.now;
  }

  counts(requests: readonly VersionWindowRequest[]): Promise<VersionWindowCounts[]> {
    return Promise.all(requests.map((r) => this.one(r)));
  }

  private one(r: VersionWindowRequest): Promise<VersionWindowCounts> {
    const key = `${r.slo}\u0000${r.fromMs}\u0000${r.toMs}`;
    const nowMs = this.now();
    const hit = this.cache.get(key);
    if (hit !== undefined && nowMs - hit.atMs < this.cacheMs) return hit.value;
    if (hit !== undefined && hit.settled && nowMs - hit.atMs < 2 * this.cacheMs) {
      if (!hit.refreshing) {
        hit.refreshing = true;
        const fresh = this.read(r);
        fresh.then(() => this.cache.set(key, { atMs: nowMs, value: fresh, settled: true, refreshing: false }), () => (hit.refreshing = false));
      }
      return hit.value;
    }
    for (const [k, v] of this.cache) if (nowMs - v.atMs >= 2 * this.cacheMs) this.cache.delete(k);
    const value = this.read(r);
    const entry = { atMs: nowMs, value, settled: false, refreshing: false };
    value.then(() => (entry.settled = true), () => this.cache.delete(key));
    this.cache.set(key, entry);
    return value;
  }

  private async read(r: VersionWindowRequest): Promise<VersionWindowCounts> {
    const q = versionWindowQuery(r);
    const rs = await this.client.query({ query: q.sql, query_params: q.params, format: 'JSONEachRow' });
    const rows = await rs.json<{ version: string; good: string | number; total: string | number }>();
    return { ...r, versions: rows.map((row) => ({ version: row.version, good: Number(row.good), total: Number(row.total) })) };
  }
}

/**
 * The in-memory reader (the standard fake, and the newcomer-path test): records the SLI
 * deltas ingest publishes — the same per-version minute counts sli_rollups holds.
 */
export class InMemoryVersionCounts implements VersionCountsReader {
  /** slo → version → minute start → [good, total] */
  private readonly buckets = new Map<string, Map<string, Map<number, [number, number]>>>();

  record(batch: SliDeltaBatch): void {
    for (const delta of batch.deltas) {
      for (const b of delta.buckets) {
        const version = b.key.version;
        let bySlo = this.buckets.get(b.key.sloName);
        if (bySlo === undefined) this.buckets.set(b.key.sloName, (bySlo = new Map()));
        let byVersion = bySlo.get(version);
        if (byVersion === undefined) bySlo.set(version, (byVersion = new Map()));
        const sum = byVersion.get(b.minuteStartMs) ?? [0, 0];
        byVersion.set(b.minuteStartMs, [sum[0] + b.good, sum[1] + b.total]);
      }
    }
  }

  async counts(requests: readonly VersionWindowRequest[]): Promise<VersionWindowCounts[]> {
    return requests.map((r) => {
      const versions: VersionWindowCounts['versions'] = [];
      for (const [version, minutes] of this.buckets.get(r.slo) ?? []) {
        let good = 0;
        let total = 0;
        for (const [minute, [g, t]] of minutes) {
          if (minute >= r.fromMs && minute < r.toMs) {
            good += g;
            total += t;
          }
        }
        if (total > 0) versions.push({ version, good, total });
      }
      return { ...r, versions: versions.sort((a, b) => a.version.localeCompare(b.version)) };
    });
  }
}
