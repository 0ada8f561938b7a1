import type { ClickHouseClient } from '@clickhouse/client';
import { estimateRatio, estimateTotal, type Estimate } from '../../engine/core/estimate/weighted-estimate.ts';
import { apiError } from './api-error.ts';

export interface SpanEstimateArgs {
  service: string;
  environment?: string | null;
  /** Range start, epoch ms (inclusive). */
  from: number;
  /** Range end, epoch ms (exclusive). */
  to: number;
  route?: string | null;
  version?: string | null;
}

/** Most traces one drill-down reads; a wider range gets BAD_USER_INPUT, never a silent cut. */
export const MAX_ESTIMATE_TRACES = 200_000;

/**
 * SQL (as a value, HyperDX-style) for the per-trace sufficient statistics of a drill-down
 * over sampled raw spans: the sampler keeps or drops whole traces, so the Horvitz–Thompson
 * unit is the trace (weight = 1/p of the trace; requests and errors = its server spans).
 * Every value is a server-side parameter.
 */
export function spanEstimateQuery(args: SpanEstimateArgs): { sql: string; params: Record<string, unknown> } {
  return {
    sql: `SELECT any(sample_weight) AS weight, count() AS requests, countIf(status = 'error' OR http_status_code >= 500) AS errors
          FROM spans_raw
          WHERE service = {service:String} AND environment = {environment:String}
            AND start_time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND start_time < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
            AND kind IN ('server', 'consumer')
            AND ({route:Nullable(String)} IS NULL OR route = {route:Nullable(String)})
            AND ({version:Nullable(String)} IS NULL OR version = {version:Nullable(String)})
          GROUP BY trace_id
          LIMIT {limit:UInt32}`,
    params: {
      service: args.service,
      environment: args.environment ?? 'production',
      from: args.from,
      to: args.to,
      route: args.route ?? null,
      version: args.version ?? null,
      limit: MAX_ESTIMATE_TRACES + 1,
    },
  };
}

const view = (e: Estimate) => ({ estimate: e.estimate, standardError: e.standardError, ciLow: e.ci95[0], ciHigh: e.ci95[1] });

/** `spanEstimate`: weighted estimates of requests, errors and the error ratio, with 95 % intervals. */
export async function resolveSpanEstimate(client: ClickHouseClient, args: SpanEstimateArgs) {
  if (!(args.to > args.from)) throw apiError('BAD_USER_INPUT', '`to` must be after `from`', { argument: 'to' });
  const { sql, params } = spanEstimateQuery(args);
  const result = await client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
  const traces = (await result.json<{ weight: number; requests: number | string; errors: number | string }>()).map((r) => ({
    weight: Number(r.weight), requests: Number(r.requests), errors: Number(r.errors),
  }));
  if (traces.length > MAX_ESTIMATE_TRACES) {
    throw apiError('BAD_USER_INPUT', `more than ${MAX_ESTIMATE_TRACES} sampled traces in the range: narrow it (from/to, route, version)`, { argument: 'from' });
  }
  return {
    requests: view(estimateTotal(traces.map((t) => ({ weight: t.weight, value: t.requests })))),
    errors: view(estimateTotal(traces.map((t) => ({ weight: t.weight, value: t.errors })))),
    errorRatio: view(estimateRatio(traces.map((t) => ({ weight: t.weight, numerator: t.errors, denominator: t.requests })))),
    sampledTraces: traces.length,
    exact: traces.every((t) => t.weight === 1),
  };
}
