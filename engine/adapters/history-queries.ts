import { bucketIndexOf } from '../core/sketch/latency-sketch.ts';
import type { Indicator } from '../core/sli/indicator-strategies.ts';
import type { SliSignal } from '../core/sli/indicator-strategy.ts';
import type { Slo } from '../core/slo/slo-definition.ts';
import { SIGNAL_ROLLUP_TABLE } from './signal-rollup-participant.ts';

/**
 * The SQL of sluice's history, as values built by pure functions (HyperDX's
 * renderChartConfig style): every value goes as a typed server-side parameter
 * (`{name:Type}`), never pasted into the text. Unit-tested as text, and run against a real
 * ClickHouse by the integration tests.
 */
export interface SqlQuery {
  sql: string;
  params: Record<string, unknown>;
}

/** Per minute: good, total, uncertain (latency straddle) events and whether any of it was estimated. */
export const MINUTE_COLUMNS = 'minute_s UInt32, good Float64, total Float64, uncertain Float64, estimated UInt8';

/** An indicator's scope and outcome over signal rollup rows: WHERE conditions, and per-row good / uncertain counts. */
export interface SignalDerivation {
  signal: SliSignal;
  /** Conditions beyond signal, service, environment and time. */
  where: string[];
  /** Good events of a row (for latency: certainly within the threshold). */
  good: string;
  /** Events of a row that may be good or bad (latency: the sketch bucket straddling the threshold); `0` otherwise. */
  uncertain: string;
  params: Record<string, unknown>;
}

/** Why an indicator cannot be derived from signal rollups (it needs raw rows). */
export interface NotDerivable {
  notDerivable: string;
}

const spanScope = (spec: { spanKinds: readonly string[]; route?: string | undefined; operation?: string | undefined }) => ({
  where: ['span_kind IN {span_kinds:Array(String)}', ...(spec.route !== undefined ? ['route = {route:String}'] : []), ...(spec.operation !== undefined ? ['operation = {operation:String}'] : [])],
  params: { span_kinds: [...spec.spanKinds], ...(spec.route !== undefined ? { route: spec.route } : {}), ...(spec.operation !== undefined ? { operation: spec.operation } : {}) },
});

/**
 * The derivation rule of each indicator kind (docs/history.md §"Derivation rules") — the
 * kinds' differences live in this table only:
 *  - availability: spans of the kinds, route, operation; good = status ≠ error and (no HTTP
 *    status or status < minBadHttpStatus). Exact: the status code is kept exactly.
 *  - latency: the same spans; good = duration ≤ threshold, read from the sketch: buckets
 *    below the threshold's bucket are certainly good, above it certainly bad, the bucket
 *    holding the threshold is uncertain (counted bad, reported with its count).
 *  - errorLogRatio: log records; good = severity < minBadSeverity. Exact — unless a `match`
 *    on the body or an attribute is given: rollups keep neither (raw rows only).
 *  - syntheticSuccess: check runs of the check id, journey, location; good = success. Exact.
 */
const DERIVATIONS: { [K in Indicator['kind']]: (spec: Extract<Indicator, { kind: K }>) => SignalDerivation | NotDerivable } = {
  availability: (spec) => {
    const scope = spanScope(spec);
    return {
      signal: 'spans',
      where: scope.where,
      good: "if(status != 'error' AND (http_status_code = 0 OR http_status_code < {min_bad_http_status:UInt16}), count, 0)",
      uncertain: '0',
      params: { ...scope.params, min_bad_http_status: spec.minBadHttpStatus },
    };
  },
  latency: (spec) => {
    const scope = spanScope(spec);
    return {
      signal: 'spans',
      where: scope.where,
      good: 'arraySum(arrayFilter((c, i) -> i < {threshold_bucket:Int32}, sketch_count, sketch_index))',
      uncertain: 'arraySum(arrayFilter((c, i) -> i = {threshold_bucket:Int32}, sketch_count, sketch_index))',
      params: { ...scope.params, threshold_bucket: bucketIndexOf(spec.thresholdMs) },
    };
  },
  errorLogRatio: (spec) =>
    spec.match !== undefined
      ? { notDerivable: `a match on ${spec.match.field} needs the log records themselves: signal rollups keep severities, not bodies or attributes` }
      : { signal: 'logs', where: [], good: 'if(severity_number < {min_bad_severity:UInt8}, count, 0)', uncertain: '0', params: { min_bad_severity: spec.minBadSeverity } },
  syntheticSuccess: (spec) => ({
    signal: 'checks',
    where: [
      ...(spec.checkId !== undefined ? ['check_id = {check_id:String}'] : []),
      ...(spec.journey !== undefined ? ['journey = {journey:String}'] : []),
      ...(spec.location !== undefined ? ['location = {location:String}'] : []),
    ],
    good: "if(status = 'ok', count, 0)",
    uncertain: '0',
    params: { ...(spec.checkId !== undefined ? { check_id: spec.checkId } : {}), ...(spec.journey !== undefined ? { journey: spec.journey } : {}), ...(spec.location !== undefined ? { location: spec.location } : {}) },
  }),
};

/** How an SLO's indicator is derived from signal rollups, or why it cannot be. */
export function signalDerivation(slo: Slo): SignalDerivation | NotDerivable {
  return (DERIVATIONS[slo.indicator.kind] as (spec: Indicator) => SignalDerivation | NotDerivable)(slo.indicator);
}

const seconds = (ms: number) => Math.max(0, Math.floor(ms / 1000));

function signalScope(slo: Slo, d: SignalDerivation, fromMs: number, toMs: number): { where: string; params: Record<string, unknown> } {
  return {
    where: [
      'signal = {signal:String}', 'service = {service:String}', 'environment = {environment:String}',
      "minute >= toDateTime({from_s:UInt32}, 'UTC')", "minute < toDateTime({to_s:UInt32}, 'UTC')",
      ...d.where,
    ].join(' AND '),
    params: { ...d.params, signal: d.signal, service: slo.service, environment: slo.environment, from_s: seconds(fromMs), to_s: seconds(toMs) },
  };
}

/**
 * Per minute of `[fromMs, toMs)`: the SLO's good / total / uncertain events from signal
 * rollups (columns MINUTE_COLUMNS). Aggregated in the table's order, on one thread: reads of
 * many SLOs run side by side, and one thread each costs less CPU than splitting one read.
 */
export function signalMinutesQuery(slo: Slo, d: SignalDerivation, fromMs: number, toMs: number): SqlQuery {
  const scope = signalScope(slo, d, fromMs, toMs);
  return {
    sql: `SELECT toUInt32(minute) AS minute_s, toFloat64(sum(${d.good})) AS good, toFloat64(sum(count)) AS total,
                 toFloat64(sum(${d.uncertain})) AS uncertain, max(estimated) AS estimated
          FROM ${SIGNAL_ROLLUP_TABLE}
          WHERE ${scope.where}
          GROUP BY minute
          SETTINGS optimize_aggregation_in_order = 1, max_threads = 1`,
    params: scope.params,
  };
}

/** Per minute of `[fromMs, toMs)`: the SLO's exact counts as the live engine made them (`sli_rollups`, by SLO name). */
export function sloMinutesQuery(slo: Slo, fromMs: number, toMs: number): SqlQuery {
  return {
    sql: `SELECT toUInt32(minute) AS minute_s, toFloat64(sum(good)) AS good, toFloat64(sum(total)) AS total,
                 toFloat64(0) AS uncertain, toUInt8(0) AS estimated
          FROM sli_rollups
          WHERE slo = {slo:String} AND service = {service:String} AND environment = {environment:String}
            AND minute >= toDateTime({from_s:UInt32}, 'UTC') AND minute < toDateTime({to_s:UInt32}, 'UTC')
          GROUP BY minute
          SETTINGS optimize_aggregation_in_order = 1, max_threads = 1`,
    params: { slo: slo.name, service: slo.service, environment: slo.environment, from_s: seconds(fromMs), to_s: seconds(toMs) },
  };
}

/**
 * Per minute of `[fromMs, toMs)`: an errorLogRatio SLO with a `match`, from the raw log
 * records (kept 14 days), each weighted by its 1/p (`sample_weight`): an estimate where a
 * weight is not 1.
 */
export function rawLogMinutesQuery(slo: Slo, fromMs: number, toMs: number): SqlQuery {
  if (slo.indicator.kind !== 'errorLogRatio') throw new RangeError(`${slo.name}: raw log derivation is for errorLogRatio SLOs, not ${slo.indicator.kind}`);
  const match = slo.indicator.match;
  const where = ['service = {service:String}', 'environment = {environment:String}', "timestamp >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')", "timestamp < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')"];
  const params: Record<string, unknown> = { service: slo.service, environment: slo.environment, from_ms: Math.floor(fromMs), to_ms: Math.ceil(toMs), min_bad_severity: slo.indicator.minBadSeverity };
  if (match !== undefined) {
    const text = match.equals ?? match.contains ?? '';
    params.match_text = text;
    if (match.field === 'body') {
      where.push(match.equals !== undefined ? 'body = {match_text:String}' : 'position(body, {match_text:String}) > 0');
    } else {
      params.match_key = match.field.slice('attributes.'.length);
      where.push('mapContains(attributes, {match_key:String})');
      where.push(match.equals !== undefined ? 'attributes[{match_key:String}] = {match_text:String}' : 'position(attributes[{match_key:String}], {match_text:String}) > 0');
    }
  }
  return {
    sql: `SELECT toUInt32(toStartOfMinute(timestamp)) AS minute_s, sumIf(sample_weight, severity_number < {min_bad_severity:UInt8}) AS good,
                 sum(sample_weight) AS total, toFloat64(0) AS uncertain, toUInt8(max(sample_weight != 1)) AS estimated
          FROM logs_raw
          WHERE ${where.join(' AND ')}
          GROUP BY minute_s`,
    params,
  };
}

/** First minute (epoch s) with data for the SLO's scope in signal rollups, and how many rows there are (0: none). */
export function signalHistoryStartQuery(slo: Slo, d: SignalDerivation, beforeMs: number): SqlQuery {
  const scope = signalScope(slo, d, 0, beforeMs);
  return { sql: `SELECT toUInt32(min(minute)) AS first_s, count() AS n FROM ${SIGNAL_ROLLUP_TABLE} WHERE ${scope.where}`, params: scope.params };
}

/** First minute (epoch s) with data for the SLO in `sli_rollups`. */
export function sloHistoryStartQuery(slo: Slo, beforeMs: number): SqlQuery {
  return {
    sql: `SELECT toUInt32(min(minute)) AS first_s, count() AS n FROM sli_rollups
          WHERE slo = {slo:String} AND service = {service:String} AND environment = {environment:String} AND minute < toDateTime({to_s:UInt32}, 'UTC')`,
    params: { slo: slo.name, service: slo.service, environment: slo.environment, to_s: seconds(beforeMs) },
  };
}

/** Good / total per version over `[fromMs, toMs)` from signal rollups (which release burnt the budget). */
export function signalVersionsQuery(slo: Slo, d: SignalDerivation, fromMs: number, toMs: number): SqlQuery {
  const scope = signalScope(slo, d, fromMs, toMs);
  return {
    sql: `SELECT version, toFloat64(sum(${d.good})) AS good, toFloat64(sum(count)) AS total, toFloat64(sum(${d.uncertain})) AS uncertain,
                 toUInt32(min(minute)) AS first_s, toUInt32(max(minute)) AS last_s
          FROM ${SIGNAL_ROLLUP_TABLE} WHERE ${scope.where} GROUP BY version ORDER BY first_s`,
    params: scope.params,
  };
}

/** Good / total per version over `[fromMs, toMs)` from `sli_rollups`. */
export function sloVersionsQuery(slo: Slo, fromMs: number, toMs: number): SqlQuery {
  return {
    sql: `SELECT version, toFloat64(sum(good)) AS good, toFloat64(sum(total)) AS total, toFloat64(0) AS uncertain,
                 toUInt32(min(minute)) AS first_s, toUInt32(max(minute)) AS last_s
          FROM sli_rollups
          WHERE slo = {slo:String} AND service = {service:String} AND environment = {environment:String}
            AND minute >= toDateTime({from_s:UInt32}, 'UTC') AND minute < toDateTime({to_s:UInt32}, 'UTC')
          GROUP BY version ORDER BY first_s`,
    params: { slo: slo.name, service: slo.service, environment: slo.environment, from_s: seconds(fromMs), to_s: seconds(toMs) },
  };
}

/** Incidents of a service and environment opened in `[fromMs, toMs)` (latest state of each: FINAL). */
export function incidentsQuery(service: string, environment: string, fromMs: number, toMs: number): SqlQuery {
  return {
    sql: `SELECT incident_id, severity, title, toInt64(toUnixTimestamp64Milli(opened_at)) AS opened_ms,
                 if(isNull(resolved_at), -1, toInt64(toUnixTimestamp64Milli(assumeNotNull(resolved_at)))) AS resolved_ms, linked_deploy_id
          FROM incidents FINAL
          WHERE service = {service:String} AND environment = {environment:String}
            AND opened_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') AND opened_at < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')
          ORDER BY opened_at, incident_id`,
    params: { service, environment, from_ms: Math.floor(fromMs), to_ms: Math.ceil(toMs) },
  };
}

/**
 * Deploys of a service and environment that started in `[fromMs, toMs)`, and the last one
 * before `fromMs` (what was serving when the range began). Latest state of each (FINAL).
 */
export function deploysQuery(service: string, environment: string, fromMs: number, toMs: number): SqlQuery {
  const cols = `deploy_id, version, team, status, toInt64(toUnixTimestamp64Milli(started_at)) AS started_ms,
                if(isNull(finished_at), -1, toInt64(toUnixTimestamp64Milli(assumeNotNull(finished_at)))) AS finished_ms, emergency, change_ticket`;
  const scope = 'service = {service:String} AND environment = {environment:String}';
  return {
    sql: `SELECT * FROM (
            (SELECT ${cols} FROM deploys FINAL
             WHERE ${scope} AND started_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') AND started_at < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC'))
            UNION ALL
            (SELECT ${cols} FROM deploys FINAL
             WHERE ${scope} AND started_at < fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') AND status = 'succeeded'
             ORDER BY started_ms DESC LIMIT 1)
          ) ORDER BY started_ms, deploy_id`,
    params: { service, environment, from_ms: Math.floor(fromMs), to_ms: Math.ceil(toMs) },
  };
}

/** The SLO's published event-time transitions in `[fromMs, toMs)` (the breach stream, `slo_transitions`). */
export function transitionsQuery(sloName: string, fromMs: number, toMs: number): SqlQuery {
  return {
    sql: `SELECT from_status, to_status, toInt64(toUnixTimestamp64Milli(at)) AS at_ms, reason, rule, details
          FROM slo_transitions FINAL
          WHERE slo = {slo:String} AND basis = 'event-time'
            AND at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') AND at < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')
          ORDER BY at`,
    params: { slo: sloName, from_ms: Math.floor(fromMs), to_ms: Math.ceil(toMs) },
  };
}

/** Every recorded definition version of these SLOs (all SLOs when `names` is undefined), oldest first. */
export function definitionVersionsQuery(names?: readonly string[]): SqlQuery {
  return {
    sql: `SELECT slo, fingerprint, definition, team, file, toInt64(toUnixTimestamp64Milli(loaded_at)) AS loaded_ms, loaded_by, removed
          FROM slo_definitions
          ${names === undefined ? '' : 'WHERE slo IN {names:Array(String)}'}
          ORDER BY slo, loaded_at`,
    params: names === undefined ? {} : { names: [...names] },
  };
}

/** When counting signal rollups at ingest took over: the time migration 0012 (the backfill) ran, epoch ms; 0 when unknown. */
export function signalEpochQuery(): SqlQuery {
  return {
    sql: `SELECT toInt64(toUnixTimestamp64Milli(min(applied_at))) AS applied_ms, count() AS n FROM schema_migrations WHERE id = {id:String}`,
    params: { id: '0012_signal_rollups_backfill' },
  };
}
