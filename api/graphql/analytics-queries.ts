/**
 * SQL for the status and analytics queries, built as values `{sql, params}` by pure
 * functions (HyperDX's renderChartConfig): every value is a typed server-side parameter
 * (`{name:Type}`), never pasted into the text; only the shape (which conditions apply)
 * depends on the arguments. Unit tests check the shapes, integration tests run them on
 * ClickHouse (test/api/graphql/analytics-queries*.test.ts).
 */

export interface SqlQuery {
  sql: string;
  params: Record<string, unknown>;
}

const SECOND = 1000;

/**
 * Exact SLI per step of an SLO over [fromMs, toMs) from `sli_rollups` (deltas summed over
 * every version and source). `step` is the 0-based index of the step that holds a minute:
 * ⌊(minute − from) / step⌋. Steps without rows are absent (the caller fills them).
 * fromMs and toMs must be whole minutes, stepMs whole minutes (checked by the resolver).
 */
export function sliSeriesQuery(a: { slo: string; fromMs: number; toMs: number; stepMs: number }): SqlQuery {
  return {
    sql: `SELECT intDiv(toUInt32(minute) - {from_s:UInt32}, {step_s:UInt32}) AS step, sum(good) AS good, sum(total) AS total
          FROM sli_rollups
          WHERE slo = {slo:String}
            AND minute >= toDateTime({from_s:UInt32}, 'UTC') AND minute < toDateTime({to_s:UInt32}, 'UTC')
          GROUP BY step
          ORDER BY step`,
    params: { slo: a.slo, from_s: a.fromMs / SECOND, to_s: a.toMs / SECOND, step_s: a.stepMs / SECOND },
  };
}

/** What `breachHistory` filters on; lists match any of their values. */
export interface BreachHistoryFilter {
  slo?: readonly string[] | undefined;
  service?: readonly string[] | undefined;
  environment?: readonly string[] | undefined;
  /** The status entered (`to_status`). */
  status?: readonly string[] | undefined;
  basis?: readonly string[] | undefined;
  /** Transitions at or after this time, epoch ms. */
  fromMs?: number | undefined;
  /** Transitions before this time, epoch ms. */
  toMs?: number | undefined;
}

/** Keyset position in the breach history: (at, transition id), newest first. */
export type TransitionKey = [atMs: number, transitionId: string];

/**
 * A page of `slo_transitions` (FINAL: a transition re-published after a crash counts once),
 * newest first — `at` then `transition_id`, descending: a total order, so a page starts
 * strictly after the previous page's last key and new transitions never shift a page.
 */
export function breachHistoryQuery(filter: BreachHistoryFilter, page: { limit: number; after?: TransitionKey | undefined }): SqlQuery {
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: page.limit };
  const list = (column: string, name: string, values: readonly string[] | undefined) => {
    if (values === undefined) return;
    where.push(`${column} IN {${name}:Array(String)}`);
    params[name] = [...values];
  };
  list('slo', 'slos', filter.slo);
  list('service', 'services', filter.service);
  list('environment', 'environments', filter.environment);
  list('to_status', 'statuses', filter.status);
  list('basis', 'bases', filter.basis);
  if (filter.fromMs !== undefined) {
    where.push(`at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')`);
    params.from_ms = filter.fromMs;
  }
  if (filter.toMs !== undefined) {
    where.push(`at < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')`);
    params.to_ms = filter.toMs;
  }
  if (page.after !== undefined) {
    where.push(`(at, transition_id) < (fromUnixTimestamp64Milli({after_ms:Int64}, 'UTC'), {after_id:String})`);
    params.after_ms = page.after[0];
    params.after_id = page.after[1];
  }
  return {
    sql: `SELECT transition_id, slo, service, environment, from_status, to_status, toInt64(toUnixTimestamp64Milli(at)) AS at_ms,
                 basis, reason, rule, details
          FROM slo_transitions FINAL
          ${where.length > 0 ? `WHERE ${where.join('\n            AND ')}` : ''}
          ORDER BY at DESC, transition_id DESC
          LIMIT {limit:UInt32}`,
    params,
  };
}

/** The rows of one service and environment in [fromMs, toMs) of `sli_rollups`, optionally some versions. */
function releaseScope(a: { service: string; environment: string; fromMs: number; toMs: number; versions?: readonly string[] | undefined }): SqlQuery {
  return {
    sql: `service = {service:String} AND environment = {environment:String}
            AND minute >= toDateTime({from_s:UInt32}, 'UTC') AND minute < toDateTime({to_s:UInt32}, 'UTC')
            ${a.versions === undefined ? '' : 'AND version IN {versions:Array(String)}'}`,
    params: { service: a.service, environment: a.environment, from_s: a.fromMs / SECOND, to_s: a.toMs / SECOND, ...(a.versions === undefined ? {} : { versions: [...a.versions] }) },
  };
}

/** Keyset position in the release list: (first minute seen, version); newest release first. */
export type ReleaseKey = [firstSeenMs: number, version: string];

/**
 * A page of the versions of a service seen in `sli_rollups` over [fromMs, toMs), with the
 * first and last minute each had events — newest release (latest first minute) first, ties
 * by version.
 */
export function releaseVersionsQuery(a: { service: string; environment: string; fromMs: number; toMs: number; versions?: readonly string[] | undefined; limit: number; after?: ReleaseKey | undefined }): SqlQuery {
  const scope = releaseScope(a);
  return {
    sql: `SELECT version, toInt64(toUInt32(min(minute))) * 1000 AS first_ms, toInt64(toUInt32(max(minute))) * 1000 AS last_ms
          FROM sli_rollups
          WHERE ${scope.sql}
          GROUP BY version
          ${a.after === undefined ? '' : 'HAVING first_ms < {after_ms:Int64} OR (first_ms = {after_ms:Int64} AND version > {after_version:String})'}
          ORDER BY first_ms DESC, version ASC
          LIMIT {limit:UInt32}`,
    params: { ...scope.params, limit: a.limit, ...(a.after === undefined ? {} : { after_ms: a.after[0], after_version: a.after[1] }) },
  };
}

/**
 * Exact counts per (version, SLO) of the given versions over [fromMs, toMs), with the
 * latency DDSketch merged over the range (sumMap adds the bucket counts: DDSketch merging
 * is exact, engine/core/sketch/latency-sketch.ts).
 */
export function releaseSlisQuery(a: { service: string; environment: string; fromMs: number; toMs: number; versions: readonly string[] }): SqlQuery {
  const scope = releaseScope(a);
  return {
    sql: `SELECT version, slo, sum(good) AS good, sum(total) AS total, sumMap(sketch_index, sketch_count) AS sketch
          FROM sli_rollups
          WHERE ${scope.sql}
          GROUP BY version, slo
          ORDER BY version, slo`,
    params: scope.params,
  };
}

/**
 * Where every upstream source stands in `ingest_progress`: its latest row (state, what is
 * durable through, writer, when), and the highest event time of its latest finished
 * (`done`) segment — a pending one may not be durable yet.
 */
export function sourceProgressQuery(): SqlQuery {
  return {
    // aliases differ from the columns: ClickHouse would read \`state\` in argMaxIf's condition as the alias
    sql: `SELECT source, partition, argMax(signal, version) AS latest_signal, argMax(toString(state), version) AS latest_state,
                 argMax(through, version) AS durable_through, argMaxIf(max_event_time_ms, version, state = 'done') AS done_max_event_time_ms,
                 toInt64(toUnixTimestamp64Milli(argMax(written_at, version))) AS written_ms, argMax(writer, version) AS latest_writer
          FROM ingest_progress
          GROUP BY source, partition
          ORDER BY source, partition`,
    params: {},
  };
}

/**
 * Positions (Kafka messages; for embedded inputs, requests and simulator ticks) made durable
 * per source since `sinceMs`, by every writer: the finished segments' inclusive ranges
 * [lo, hi] summed.
 */
export function durablePositionsQuery(a: { sinceMs: number }): SqlQuery {
  return {
    sql: `SELECT source, any(signal) AS signal, sum(hi - lo + 1) AS positions, count() AS segments
          FROM ingest_progress
          WHERE state = 'done' AND hi >= lo AND written_at >= fromUnixTimestamp64Milli({since_ms:Int64}, 'UTC')
          GROUP BY source
          ORDER BY source`,
    params: { since_ms: a.sinceMs },
  };
}

/** Dead letters stored (`dead_letters`, 30 days) per signal and reason, with those since `recentSinceMs` and the latest one's time. */
export function deadLettersBySignalQuery(a: { recentSinceMs: number }): SqlQuery {
  return {
    sql: `SELECT signal, reason, count() AS n, countIf(received_at >= fromUnixTimestamp64Milli({recent_ms:Int64}, 'UTC')) AS recent,
                 toInt64(toUnixTimestamp64Milli(max(received_at))) AS last_ms
          FROM dead_letters
          GROUP BY signal, reason
          ORDER BY signal, reason`,
    params: { recent_ms: a.recentSinceMs },
  };
}
