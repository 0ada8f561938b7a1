import type { ClickHouseClient } from '@clickhouse/client';
import { SIGNALS, type Signal } from '../../schema/events/v1/signal.ts';
import { DEAD_LETTER_TABLE, SIGNAL_TABLES } from '../../ingest/sink/signal-rows.ts';
import type { IngestMetrics } from '../../ingest/pipeline/ingest-metrics.ts';
import { errorMessage } from '../../platform/errors/sluice-error.ts';
import { apiError } from './api-error.ts';

export interface HealthDeps {
  version: string;
  mode: 'embedded' | 'cluster-api' | 'cluster-ingest';
  clickhouse: ClickHouseClient;
  clickhouseMode: 'embedded' | 'external';
  clickhouseUrl: string;
  database: string;
  kafkaBrokers: string[];
  /** Present when this process ingests. */
  metrics?: IngestMetrics;
  simulator: boolean;
  startedAtMs: number;
}

/** SQL (as a value) for the dead letters stored in ClickHouse, per reason (`dead_letters` keeps 30 days). */
export function storedDeadLettersQuery(): { sql: string; params: Record<string, unknown> } {
  return { sql: `SELECT reason, count() AS n FROM ${DEAD_LETTER_TABLE} GROUP BY reason ORDER BY reason`, params: {} };
}

/**
 * Resolves `health`: pings ClickHouse and reads what is durable — rows per signal table and
 * dead letters per reason (`dead_letters`, every process's, so the same after a restart);
 * this process's own ingest counters come from its metrics. A count that could not be read
 * is never reported as 0: those fields resolve to an error (`UNAVAILABLE`, with the cause)
 * while the rest of the answer stays.
 */
export async function resolveHealth(deps: HealthDeps) {
  const started = performance.now();
  let reachable = false;
  let error: string | null = null;
  let latencyMs: number | null = null;
  const rows = Object.fromEntries(SIGNALS.map((s) => [s, 0])) as Record<Signal, number>;
  let storedDeadLetters: { reason: string; count: number }[] = [];
  try {
    const ping = await deps.clickhouse.ping();
    if (!ping.success) throw ping.error;
    latencyMs = Math.round((performance.now() - started) * 100) / 100;
    reachable = true;
    const union = SIGNALS.map((s) => `SELECT '${s}' AS signal, count() AS n FROM ${SIGNAL_TABLES[s].table}`).join(' UNION ALL ');
    const { sql, params } = storedDeadLettersQuery();
    // the two reads side by side: one round trip of latency
    const [counted, stored] = await Promise.all([
      deps.clickhouse.query({ query: union, format: 'JSONEachRow' }).then((r) => r.json<{ signal: Signal; n: string }>()),
      deps.clickhouse.query({ query: sql, query_params: params, format: 'JSONEachRow' }).then((r) => r.json<{ reason: string; n: string | number }>()),
    ]);
    for (const r of counted) rows[r.signal] = Number(r.n);
    storedDeadLetters = stored.map((r) => ({ reason: r.reason, count: Number(r.n) }));
  } catch (err) {
    error = errorMessage(err);
  }
  const readable = <T>(value: T) => () => {
    if (error !== null) throw apiError('UNAVAILABLE', `ClickHouse could not be read: ${error}`);
    return value;
  };
  const snapshot = deps.metrics?.snapshot();
  const reasons = (m: Record<string, number> | undefined) =>
    Object.entries(m ?? {}).map(([reason, count]) => ({ reason, count })).sort((a, b) => a.reason.localeCompare(b.reason));
  return {
    version: deps.version,
    mode: deps.mode,
    clickhouse: { reachable, mode: deps.clickhouseMode, url: withoutCredentials(deps.clickhouseUrl), database: deps.database, latencyMs, error },
    kafka: { mode: deps.kafkaBrokers.length > 0 ? 'brokers' : 'none', brokers: deps.kafkaBrokers },
    rowsIngested: readable(rows),
    eventsAccepted: snapshot?.accepted ?? null,
    deadLettered: readable(storedDeadLetters),
    deadLetteredSinceStart: deps.metrics ? reasons(snapshot?.deadLettered) : null,
    rejectedRequests: reasons(snapshot?.rejectedRequests),
    truncated: reasons(snapshot?.truncated),
    notStored: reasons(snapshot?.notStored),
    simulator: deps.simulator,
    startedAt: deps.startedAtMs,
  };
}

/** A URL as shown to API callers: user and password removed. */
function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(unparseable URL)';
  }
}
