import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { LatencySketch } from '../../engine/core/sketch/latency-sketch.ts';
import type { SloDirectoryEntry, SloDirectoryReader } from '../../engine/adapters/slo-definition-directory.ts';
import { releaseSlisQuery, releaseVersionsQuery, type ReleaseKey } from './analytics-queries.ts';
import { readRows, storageRead } from './clickhouse-read.ts';
import { pageSize, paginate } from './cursor-pagination.ts';
import { checkListFilter } from './list-filter.ts';
import { checkMinuteRange } from './sli-series-resolver.ts';

export interface ReleaseSlisArgs {
  service: string;
  environment?: string | null;
  from: number;
  to: number;
  versions?: string[] | null;
  first?: number | null;
  after?: string | null;
}

/** One SLO's exact SLI for one version over the range. */
export interface VersionSli {
  slo: string;
  /** Indicator kind; null when the SLO's definition is not known. */
  indicator: string | null;
  target: number | null;
  good: number;
  total: number;
  bad: number;
  /** good / total, ratio 0–1; null without events. */
  attainment: number | null;
  /** attainment ≥ target; null without events or target. */
  meetsTarget: boolean | null;
  /** Latency quantiles of the merged DDSketch, ms (±0.5 %): latency SLOs only, null otherwise. */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface ReleaseSli {
  version: string;
  /** Start of the first minute with events of this version in the range. */
  firstSeen: number;
  /** End of the last minute with events of this version in the range. */
  lastSeen: number;
  slos: VersionSli[];
}

const ReleaseKeySchema = z.tuple([z.number().int(), z.string()]);
const MINUTE_MS = 60_000;

/** One (version, SLO) row of releaseSlisQuery as a VersionSli. */
export function versionSli(r: { slo: string; good: number; total: number; sketch: [number[], number[]] }, entry: SloDirectoryEntry | undefined): VersionSli {
  const [indexes, counts] = r.sketch;
  const sketch = indexes.length > 0 ? LatencySketch.fromBuckets(indexes.map((index, i) => ({ index, count: counts[i]! }))) : undefined;
  const attainment = r.total > 0 ? r.good / r.total : null;
  const target = entry?.target ?? null;
  const q = (p: number) => sketch?.quantile(p) ?? null;
  return {
    slo: r.slo, indicator: entry?.indicator ?? null, target, good: r.good, total: r.total, bad: r.total - r.good, attainment,
    meetsTarget: attainment === null || target === null ? null : attainment >= target,
    p50Ms: q(0.5), p95Ms: q(0.95), p99Ms: q(0.99),
  };
}

/**
 * `releaseSlis(service, environment, from, to, versions, first, after)`: the versions of a
 * service side by side over [from, to) — per version and SLO the exact counts from
 * `sli_rollups` (which is keyed per version) and, for latency SLOs, the quantiles of the
 * version's merged sketch — newest release first (latest first minute seen), as a connection.
 */
export async function resolveReleaseSlis(deps: { clickhouse: ClickHouseClient; directory: SloDirectoryReader }, args: ReleaseSlisArgs) {
  checkMinuteRange(args.from, args.to);
  checkListFilter({ versions: args.versions }, {});
  const first = pageSize(args.first, { default: 20, max: 100 });
  const scope = { service: args.service, environment: args.environment ?? 'production', fromMs: args.from, toMs: args.to, versions: args.versions ?? undefined };
  return paginate({
    kind: 'releaseSlis', first, after: args.after, keySchema: ReleaseKeySchema,
    keyOf: (node: ReleaseSli): ReleaseKey => [node.firstSeen, node.version],
    fetch: async (limit, after) => {
      const v = releaseVersionsQuery({ ...scope, limit, after });
      const versions = (await readRows<{ version: string; first_ms: number | string; last_ms: number | string }>(deps.clickhouse, v))
        .map((r) => ({ version: r.version, firstSeen: Number(r.first_ms), lastSeen: Number(r.last_ms) + MINUTE_MS }));
      if (versions.length === 0) return [];
      const s = releaseSlisQuery({ ...scope, versions: versions.map((x) => x.version) });
      const rows = await readRows<{
        version: string; slo: string; good: number | string; total: number | string; sketch: [number[], (number | string)[]];
      }>(deps.clickhouse, s);
      const entries = new Map((await storageRead('the SLO directory', () => deps.directory.list())).map((e) => [e.name, e]));
      return versions.map((x) => ({
        ...x,
        slos: rows.filter((r) => r.version === x.version).map((r) => versionSli(
          { slo: r.slo, good: Number(r.good), total: Number(r.total), sketch: [r.sketch[0], r.sketch[1].map(Number)] }, entries.get(r.slo))),
      }));
    },
  });
}
