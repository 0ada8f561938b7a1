import type { ClickHouseClient } from '@clickhouse/client';
import type { SloStateSnapshot } from '../../engine/adapters/slo-state-snapshot.ts';
import type { SloStateReader } from '../../engine/adapters/slo-state-store.ts';
import { deadLettersBySignalQuery, durablePositionsQuery, sourceProgressQuery, type SqlQuery } from './analytics-queries.ts';
import { readRows, storageRead } from './clickhouse-read.ts';
import { RATE_WINDOW_MS, type IngestRateMeter } from './ingest-rate-meter.ts';

/** Window of the recent dead-letter counts, ms (the last hour). */
export const RECENT_DEAD_LETTERS_MS = 3_600_000;

export interface IngestHealthDeps {
  clickhouse: ClickHouseClient;
  /** SLO states: each carries the per-source watermarks its judge saw. */
  states: SloStateReader;
  /** This process's ingest; absent where it ingests nothing. */
  rates?: IngestRateMeter | undefined;
  now: () => number;
}

/** One row of sourceProgressQuery. */
export interface ProgressRow {
  source: string;
  partition: number;
  signal: string;
  state: string;
  through: number;
  /** ≤ 0 when no finished segment reported one. */
  maxEventTimeMs: number;
  writtenAtMs: number;
  writer: string;
}

/** The GraphQL `SourceLag`: where one upstream source stands, durably and as the judges see it. */
export interface SourceLag {
  source: string;
  partition: number;
  signal: string;
  durableThrough: number | null;
  maxEventTime: number | null;
  eventTimeLagMs: number | null;
  lastWriteAt: number | null;
  writer: string | null;
  judgedEventTime: number | null;
  judgedLagMs: number | null;
  caughtUp: boolean | null;
  idle: boolean | null;
  reportedAt: number | null;
  judgedAsOf: number | null;
}

/**
 * Every upstream source with its lag, from two places: `ingest_progress` (what every writer
 * made durable: the position it is durable through, the highest event time of its finished
 * segments, when and by whom) and the SLO judges' per-source watermarks (the freshest
 * snapshot that names the source: the event time it vouches for, caught up or not, idle or
 * not — what the `sluice ingest` worker owning the partition last reported). Lags are taken
 * against `nowMs`; sources known only to one side have the other side's fields null.
 */
export function sourceLags(progress: readonly ProgressRow[], snapshots: readonly SloStateSnapshot[], nowMs: number): SourceLag[] {
  const key = (source: string, partition: number) => `${source}#${partition}`;
  const judged = new Map<string, { view: SloStateSnapshot['sources'][number]; asOf: number }>();
  for (const s of snapshots) {
    for (const view of s.sources) {
      const k = key(view.source, view.partition);
      const seen = judged.get(k);
      if (!seen || s.takenAtMs > seen.asOf) judged.set(k, { view, asOf: s.takenAtMs });
    }
  }
  const out = new Map<string, SourceLag>();
  const blank = (source: string, partition: number, signal: string): SourceLag => ({
    source, partition, signal, durableThrough: null, maxEventTime: null, eventTimeLagMs: null, lastWriteAt: null, writer: null,
    judgedEventTime: null, judgedLagMs: null, caughtUp: null, idle: null, reportedAt: null, judgedAsOf: null,
  });
  for (const p of progress) {
    const maxEventTime = p.maxEventTimeMs > 0 ? p.maxEventTimeMs : null;
    out.set(key(p.source, p.partition), {
      ...blank(p.source, p.partition, p.signal),
      durableThrough: p.through, maxEventTime, eventTimeLagMs: maxEventTime === null ? null : nowMs - maxEventTime, lastWriteAt: p.writtenAtMs, writer: p.writer,
    });
  }
  for (const [k, { view, asOf }] of judged) {
    const row = out.get(k) ?? blank(view.source, view.partition, view.signal);
    out.set(k, {
      ...row,
      judgedEventTime: view.eventTimeMs ?? null, judgedLagMs: view.eventTimeMs === undefined ? null : nowMs - view.eventTimeMs,
      caughtUp: view.caughtUp, idle: view.idle, reportedAt: view.reportedAtMs ?? null, judgedAsOf: asOf,
    });
  }
  return [...out.values()].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.partition - b.partition));
}

/**
 * `health { ingest { … } }`: throughput, lag per source and dead letters by signal and
 * reason. Each field reads only when asked; one that cannot be read resolves to
 * UNAVAILABLE with the cause (never 0 for "unknown"), the others still answer.
 */
export function resolveIngestHealth(deps: IngestHealthDeps) {
  const read = <T>(q: SqlQuery) => readRows<T>(deps.clickhouse, q);
  return {
    rates: () => deps.rates?.rates() ?? null,
    durableRates: async () => {
      const rows = await read<{ source: string; signal: string; positions: number | string; segments: number | string }>(durablePositionsQuery({ sinceMs: deps.now() - RATE_WINDOW_MS }));
      return rows.map((r) => ({ source: r.source, signal: r.signal, positionsPerSecond: Number(r.positions) / (RATE_WINDOW_MS / 1000), segments: Number(r.segments) }));
    },
    sources: async () => {
      const rows = await read<{
        source: string; partition: number | string; latest_signal: string; latest_state: string; durable_through: number | string;
        done_max_event_time_ms: number | string; written_ms: number | string; latest_writer: string;
      }>(sourceProgressQuery());
      const progress = rows.map((r): ProgressRow => ({
        source: r.source, partition: Number(r.partition), signal: r.latest_signal, state: r.latest_state, through: Number(r.durable_through),
        maxEventTimeMs: Number(r.done_max_event_time_ms), writtenAtMs: Number(r.written_ms), writer: r.latest_writer,
      }));
      return sourceLags(progress, await storageRead('SLO state', () => deps.states.list()), deps.now());
    },
    deadLetters: async () => {
      const rows = await read<{ signal: string; reason: string; n: number | string; recent: number | string; last_ms: number | string }>(deadLettersBySignalQuery({ recentSinceMs: deps.now() - RECENT_DEAD_LETTERS_MS }));
      return rows.map((r) => ({ signal: r.signal, reason: r.reason, count: Number(r.n), lastHour: Number(r.recent), lastAt: Number(r.last_ms) }));
    },
  };
}
