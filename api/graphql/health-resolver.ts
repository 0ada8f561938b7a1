import type { ClickHouseClient } from '@clickhouse/client';
import { SIGNALS, type Signal } from '../../schema/events/v1/signal.ts';
import { SIGNAL_TABLES } from '../../ingest/sink/signal-rows.ts';
import type { IngestMetrics } from '../../ingest/pipeline/ingest-metrics.ts';
import { errorMessage } from '../../platform/errors/sluice-error.ts';

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

/** Resolves `health`: pings ClickHouse and counts rows per signal table. */
export async function resolveHealth(deps: HealthDeps) {
  const started = performance.now();
  let reachable = false;
  let error: string | null = null;
  let latencyMs: number | null = null;
  const rows = Object.fromEntries(SIGNALS.map((s) => [s, 0])) as Record<Signal, number>;
  try {
    const ping = await deps.clickhouse.ping();
    if (!ping.success) throw ping.error;
    latencyMs = Math.round((performance.now() - started) * 100) / 100;
    reachable = true;
    const union = SIGNALS.map((s) => `SELECT '${s}' AS signal, count() AS n FROM ${SIGNAL_TABLES[s].table}`).join(' UNION ALL ');
    const result = await deps.clickhouse.query({ query: union, format: 'JSONEachRow' });
    for (const r of await result.json<{ signal: Signal; n: string }>()) rows[r.signal] = Number(r.n);
  } catch (err) {
    error = errorMessage(err);
  }
  const snapshot = deps.metrics?.snapshot();
  const reasons = (m: Record<string, number> | undefined) =>
    Object.entries(m ?? {}).map(([reason, count]) => ({ reason, count })).sort((a, b) => a.reason.localeCompare(b.reason));
  return {
    version: deps.version,
    mode: deps.mode,
    clickhouse: { reachable, mode: deps.clickhouseMode, url: withoutCredentials(deps.clickhouseUrl), database: deps.database, latencyMs, error },
    kafka: { mode: deps.kafkaBrokers.length > 0 ? 'brokers' : 'none', brokers: deps.kafkaBrokers },
    rowsIngested: rows,
    eventsAccepted: snapshot?.accepted ?? null,
    deadLettered: reasons(snapshot?.deadLettered),
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
