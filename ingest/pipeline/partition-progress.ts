import { TupleParam, type ClickHouseClient } from '@clickhouse/client';
import { toDateTime64 } from '../../platform/clickhouse/clickhouse-time.ts';
import { partitionKey } from './source-position.ts';

/**
 * Exactly-once ingest across crashes, restarts and rebalances (DESIGN.md guarantee 3):
 * a progress log per upstream (source, partition) in `ingest_progress`
 * (schema/clickhouse/0006; its latest row read in O(1)), after the design of ClickHouse's Kafka Connect sink
 * (ClickHouse/clickhouse-kafka-connect, docs "Exactly-once": a per-partition state of the
 * last range and whether it was written, and a replay of the same range with the same
 * insert deduplication token), with owner fencing by generation.
 *
 * Protocol of one partition:
 *  1. **claim** (new owner, on assignment): read the latest row; write `claim` with
 *     generation + 1; then read what older generations wrote around it. A `pending` segment
 *     of an older owner without its `done` / `aborted` was in flight: wait for it — until
 *     the segment is claimWaitMs old (its `in_flight_since_ms`, carried on by claims that
 *     inherit it), heartbeating the consumer group meanwhile, so owners changing every few
 *     seconds do not each wait the whole time again; if it never finishes (that owner died
 *     mid-flush), replay exactly its range (lo..hi) first — same rows, same insert tokens, so
 *     whatever of it landed is dropped by ClickHouse as a duplicate.
 *  2. **pending** (every flush): written before the segment's rows. Then the writer reads
 *     the latest rows of its partitions: a newer generation means it has lost the partition
 *     (a rebalance it has not noticed yet) — it is *fenced*, writes `aborted` and nothing
 *     else of it.
 *  3. rows, with tokens `table:source:partition:lo-hi`;
 *  4. **done** (through = hi) after the rows (and after the segment's SLI deltas are
 *     published); Kafka offsets are committed after that.
 * Why this cannot double count: an old owner writes `pending` before it checks for a newer
 * claim, and a new owner writes its claim before it reads for a pending segment, so either
 * the old owner sees the claim (and stops) or the new owner sees the pending segment (and
 * waits for it, or replays it exactly). ClickHouse answers reads after writes on one server
 * (use `select_sequential_consistency` on a replicated cluster).
 *
 * Embedded sources (HTTP, OTLP/HTTP, simulator: partition 0, one writer, nothing to replay)
 * use the log differently (ingest-pipeline.ts): each process writes a `claim` with a new
 * generation before it numbers inputs from generation · 1e9, so it never reuses a position
 * or an insert token of an earlier process; its `done` rows only record progress, at most
 * every second, after the rows they cover are durable.
 */

export type ProgressState = 'claim' | 'pending' | 'done' | 'aborted';

/** The latest row of one (source, partition). */
export interface ProgressRow {
  source: string;
  partition: number;
  signal: string;
  /** Owner generation: each claim adds one. */
  generation: number;
  /** Order of rows within a generation. */
  seq: number;
  state: ProgressState;
  /**
   * The segment of a `pending` / `done` row (inclusive positions); for a `claim`, the older
   * owner's segment it found pending (to be waited for or replayed), else -1.
   */
  lo: number;
  hi: number;
  /** Every position at or below this is durable. -1 before any. */
  through: number;
  /** Highest event time seen from the partition, epoch ms; -1 when unknown. */
  maxEventTimeMs: number;
  /** Who wrote the row (process id + member), for operators. */
  writer: string;
  /**
   * When the segment this row leaves in flight began, epoch ms (the writer's clock): a
   * `pending` row's own write time (set by the store when absent), or what a `claim` that
   * inherited the segment carries on. -1 / absent: unknown (rows from before 0026).
   */
  inFlightSinceMs?: number;
}

/** Port over the progress log; ClickHouse in production, in memory in unit tests. */
export interface ProgressStore {
  /** Latest row of each (source, partition) asked for (missing keys: never written). */
  latest(keys: readonly { source: string; partition: number }[]): Promise<Map<string, ProgressRow>>;
  /** Every row of one partition with a version above `afterVersion`, oldest first. */
  rowsAfter(source: string, partition: number, afterVersion: number): Promise<ProgressRow[]>;
  write(rows: readonly ProgressRow[]): Promise<void>;
}

/** generation · 1e9 + seq: the ReplacingMergeTree version (< 2^53 for 9 million generations). */
export function progressVersion(row: Pick<ProgressRow, 'generation' | 'seq'>): number {
  return row.generation * 1_000_000_000 + row.seq;
}

export class ClickHouseProgressStore implements ProgressStore {
  private readonly client: ClickHouseClient;

  constructor(client: ClickHouseClient) {
    this.client = client;
  }

  async latest(keys: readonly { source: string; partition: number }[]): Promise<Map<string, ProgressRow>> {
    const out = new Map<string, ProgressRow>();
    if (keys.length === 0) return out;
    const rows = await this.select(
      `WHERE has({keys:Array(Tuple(String, Int32))}, (source, partition))
       ORDER BY source, partition, version DESC LIMIT 1 BY source, partition`,
      { keys: keys.map((k) => new TupleParam([k.source, k.partition])) },
    );
    for (const row of rows) out.set(partitionKey(row.source, row.partition), row);
    return out;
  }

  rowsAfter(source: string, partition: number, afterVersion: number): Promise<ProgressRow[]> {
    return this.select(
      'WHERE source = {source:String} AND partition = {partition:Int32} AND toInt64(version) > {after:Int64} ORDER BY version',
      { source, partition, after: afterVersion },
    );
  }

  private async select(where: string, params: Record<string, unknown>): Promise<ProgressRow[]> {
    const rs = await this.client.query({
      query: `SELECT source, partition, signal, generation, seq, state, lo, hi, through, max_event_time_ms, in_flight_since_ms, writer
              FROM ingest_progress ${where}`,
      query_params: params,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    return (await rs.json<Record<string, string | number>>()).map((r) => ({
      source: String(r.source),
      partition: Number(r.partition),
      signal: String(r.signal),
      generation: Number(r.generation),
      seq: Number(r.seq),
      state: r.state as ProgressState,
      lo: Number(r.lo),
      hi: Number(r.hi),
      through: Number(r.through),
      maxEventTimeMs: Number(r.max_event_time_ms),
      inFlightSinceMs: Number(r.in_flight_since_ms),
      writer: String(r.writer),
    }));
  }

  async write(rows: readonly ProgressRow[]): Promise<void> {
    if (rows.length === 0) return;
    const nowMs = Date.now();
    const writtenAt = toDateTime64(nowMs);
    await this.client.insert({
      table: 'ingest_progress',
      format: 'JSONEachRow',
      values: rows.map((r) => ({
        source: r.source,
        partition: r.partition,
        signal: r.signal,
        generation: r.generation,
        seq: r.seq,
        version: progressVersion(r),
        state: r.state,
        lo: r.lo,
        hi: r.hi,
        through: r.through,
        max_event_time_ms: r.maxEventTimeMs,
        in_flight_since_ms: inFlightSince(r, nowMs),
        writer: r.writer,
        written_at: writtenAt,
      })),
    });
  }
}

/** In-memory ProgressStore: the standard fake for unit tests (same ordering by version). */
export class InMemoryProgressStore implements ProgressStore {
  /** Every row written, in write order. */
  readonly history: ProgressRow[] = [];

  async latest(keys: readonly { source: string; partition: number }[]): Promise<Map<string, ProgressRow>> {
    const out = new Map<string, ProgressRow>();
    for (const k of keys) {
      const rows = this.history.filter((r) => r.source === k.source && r.partition === k.partition);
      const top = rows.reduce<ProgressRow | undefined>((best, r) => (!best || progressVersion(r) > progressVersion(best) ? r : best), undefined);
      if (top) out.set(partitionKey(k.source, k.partition), { ...top });
    }
    return out;
  }

  async rowsAfter(source: string, partition: number, afterVersion: number): Promise<ProgressRow[]> {
    return this.history
      .filter((r) => r.source === source && r.partition === partition && progressVersion(r) > afterVersion)
      .sort((a, b) => progressVersion(a) - progressVersion(b))
      .map((r) => ({ ...r }));
  }

  /** Wall clock of `write`, epoch ms (what stamps `pending` rows' inFlightSinceMs). */
  now: () => number = Date.now;

  async write(rows: readonly ProgressRow[]): Promise<void> {
    const nowMs = this.now();
    for (const row of rows) this.history.push({ ...row, inFlightSinceMs: inFlightSince(row, nowMs) });
  }
}

/** A row's `in_flight_since_ms` as stored: a pending row's own write time unless it carries one. */
function inFlightSince(row: ProgressRow, nowMs: number): number {
  const given = row.inFlightSinceMs ?? -1;
  return row.state === 'pending' && given < 0 ? nowMs : given;
}
