import type { ClickHouseClient } from '@clickhouse/client';
import { estimateSpanSample, type Estimate } from '../../engine/core/estimate/weighted-estimate.ts';
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
 * SQL (as a value, HyperDX-style) for the sufficient statistics of a drill-down over
 * sampled raw spans: per trace and weight, the server spans and how many failed. Spans of
 * one trace can carry different weights (errors are kept at a higher rate), so each span
 * keeps its own 1/p and the trace is only the unit of the variance (estimateSpanSample).
 * Every value is a server-side parameter.
 */
export function spanEstimateQuery(args: SpanEstimateArgs): { sql: string; params: Record<string, unknown> } {
  return {
    sql: `SELECT trace_id, sample_weight AS weight, count() AS spans, countIf(status = 'error' OR http_status_code >= 500) AS errors
          FROM spans_raw
          WHERE service = {service:String} AND environment = {environment:String}
            AND start_time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND start_time < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
            AND kind IN ('server', 'consumer')
            AND ({route:Nullable(String)} IS NULL OR route = {route:Nullable(String)})
            AND ({version:Nullable(String)} IS NULL OR version = {version:Nullable(String)})
          GROUP BY trace_id, sample_weight
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
  const groups = (await result.json<{ trace_id: string; weight: number; spans: number | string; errors: number | string }>()).map((r) => ({
    traceId: r.trace_id, weight: Number(r.weight), spans: Number(r.spans), errors: Number(r.errors),
  }));
  if (groups.length > MAX_ESTIMATE_TRACES) {
    throw apiError('BAD_USER_INPUT', `more than ${MAX_ESTIMATE_TRACES} sampled traces in the range: narrow it (from/to, route, version)`, { argument: 'from' });
  }
  const e = estimateSpanSample(groups);
  return { requests: view(e.requests), errors: view(e.errors), errorRatio: view(e.errorRatio), sampledTraces: e.sampledTraces, exact: e.exact };
}
