import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { errorMessage } from '../../platform/errors/sluice-error.ts';
import type { Signal } from '../../schema/events/v1/signal.ts';
import type { DecodedItem } from '../decode/decoder.ts';
import type { RowWriter } from '../sink/clickhouse-row-writer.ts';
import { DEAD_LETTER_TABLE, SIGNAL_TABLES, deadLetterRow, type Row, type SignalTable } from '../sink/signal-rows.ts';
import type { BatchParticipant } from './batch-participant.ts';
import type { IngestMetrics } from './ingest-metrics.ts';
import { backoffDelayMs, type BackoffOptions } from './retry-backoff.ts';
import { NO_OFFSET, partitionKey, type SourcePosition } from './source-position.ts';

/** Decides whether a valid event is stored as a raw row, and with which weight (1/p). */
export type RowSampler = (item: Extract<DecodedItem, { ok: true }>['value']) => { keep: boolean; weight: number; reason?: string };

/** A dead-lettered input, handed to publishers (e.g. the Kafka dead-letter topic). */
export interface DeadLetter {
  signal: Signal;
  reason: string;
  detail: string;
  raw: Uint8Array;
  position: SourcePosition;
}

export interface DeadLetterPublisher {
  publish(letters: DeadLetter[]): Promise<void>;
}

export interface IngestPipelineOptions {
  writer: RowWriter;
  metrics: IngestMetrics;
  logger: Logger;
  /** Epoch ms; injected so tests control time. */
  now: () => number;
  /** Flush when this many rows are pending. */
  batchMaxRows: number;
  /** …or when the oldest pending row has waited this long, ms. */
  batchMaxDelayMs: number;
  retry?: BackoffOptions;
  sampler?: RowSampler;
  participants?: BatchParticipant[];
  deadLetterPublisher?: DeadLetterPublisher;
  sleep?: (ms: number) => Promise<void>;
}

/** Highest offset per (source, partition) covered by a flush: what may be committed. */
export type FlushedPositions = Map<string, { source: string; partition: number; offset: number }>;

export interface FlushHooks {
  /** Called before each retry wait (e.g. to pause the Kafka consumer and heartbeat). */
  onRetry?: (attempt: number, err: unknown) => Promise<void> | void;
  /** Called once when a flush that needed retries succeeds. */
  onRecovered?: () => Promise<void> | void;
}

interface Batch {
  rows: Map<string, Row[]>;
  deadLetters: DeadLetter[];
  positions: FlushedPositions;
  rowCount: number;
  /** True once anything was added (rows, positions, or events counted by participants). */
  started: boolean;
  /** When the batch started, epoch ms. */
  firstAtMs: number;
}

/**
 * Buffers decoded items into per-table rows and writes them in batches (≥ batchMaxRows
 * rows or ≤ batchMaxDelayMs old). Guarantees (DESIGN.md 3):
 * - a flush resolves only once every row is durable; failures are retried with backoff
 *   for as long as it takes (never dropped, never a crash);
 * - positions already durable in a table are skipped (`prepare` loads them), so a replay
 *   from committed offsets after a crash writes nothing twice; a retried insert whose
 *   response was lost is dropped by the server through its deduplication token.
 */
export class IngestPipeline {
  private readonly opts: Required<Omit<IngestPipelineOptions, 'sampler' | 'deadLetterPublisher'>> &
    Pick<IngestPipelineOptions, 'sampler' | 'deadLetterPublisher'>;
  private batch: Batch = emptyBatch();
  /** `table|source#partition` → highest offset durable in that table. */
  private readonly written = new Map<string, number>();
  private readonly prepared = new Set<string>();
  private flushing: Promise<FlushedPositions> = Promise.resolve(new Map());

  constructor(opts: IngestPipelineOptions) {
    this.opts = {
      retry: { initialMs: 100, maxMs: 5_000 },
      participants: [],
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      ...opts,
    };
  }

  private tablesFor(signal: Signal): string[] {
    return [SIGNAL_TABLES[signal].table, DEAD_LETTER_TABLE, ...this.opts.participants.flatMap((p) => p.tables)];
  }

  /**
   * Loads which offsets of (source, partition) are already durable. Must be awaited
   * before the first `add` of a Kafka partition (after every assignment).
   */
  async prepare(source: string, partition: number, signal: Signal, hooks: FlushHooks = {}): Promise<void> {
    const key = partitionKey(source, partition);
    if (this.prepared.has(key)) return;
    for (const table of this.tablesFor(signal)) {
      const offset = await this.withRetry(() => this.opts.writer.maxWrittenOffset(table, source, partition), hooks);
      this.written.set(`${table}|${key}`, offset);
    }
    this.prepared.add(key);
  }

  /** Forgets which positions are durable; the next `prepare` of each partition reloads them. */
  forgetDurable(): void {
    this.prepared.clear();
    this.written.clear();
  }

  /** Forgets what `prepare` learnt (e.g. after a rebalance) and drops pending rows of partitions no longer owned. */
  retainPartitions(owned: ReadonlySet<string>): void {
    this.prepared.clear();
    this.written.clear();
    for (const [table, rows] of this.batch.rows) {
      this.batch.rows.set(table, rows.filter((r) => r.source_offset === NO_OFFSET || owned.has(partitionKey(String(r.source), Number(r.source_partition)))));
    }
    this.batch.deadLetters = this.batch.deadLetters.filter((d) => d.position.offset === NO_OFFSET || owned.has(partitionKey(d.position.source, d.position.partition)));
    for (const key of [...this.batch.positions.keys()]) if (!owned.has(key)) this.batch.positions.delete(key);
    this.batch.rowCount = [...this.batch.rows.values()].reduce((n, r) => n + r.length, 0);
    for (const participant of this.opts.participants) participant.retainPartitions?.(owned);
  }

  private isDurable(table: string, p: SourcePosition): boolean {
    if (p.offset === NO_OFFSET) return false;
    return p.offset <= (this.written.get(`${table}|${partitionKey(p.source, p.partition)}`) ?? -1);
  }

  /** Adds the items decoded from one input at `position`. */
  add(position: SourcePosition, items: DecodedItem[]): void {
    const now = this.opts.now();
    const b = this.batch;
    if (!b.started) {
      b.started = true;
      b.firstAtMs = now;
    }
    for (const item of items) {
      if (!item.ok) {
        if (this.isDurable(DEAD_LETTER_TABLE, position)) {
          this.opts.metrics.replaySkipped++;
          continue;
        }
        this.opts.metrics.countDeadLetter(item.reason);
        push(b.rows, DEAD_LETTER_TABLE, deadLetterRow(item.signal, item.reason, item.detail, item.raw, position, now));
        b.deadLetters.push({ signal: item.signal, reason: item.reason, detail: item.detail, raw: item.raw, position });
        b.rowCount++;
        continue;
      }
      const { signal } = item.value;
      this.opts.metrics.accepted[signal]++;
      for (const participant of this.opts.participants) {
        if (!participant.tables.some((t) => this.isDurable(t, position))) participant.observe(item.value, position);
      }
      const table = SIGNAL_TABLES[signal].table;
      if (this.isDurable(table, position)) {
        this.opts.metrics.replaySkipped++;
        continue;
      }
      const spec = SIGNAL_TABLES[signal] as SignalTable<Signal>;
      if (spec.retentionMs !== undefined && spec.eventTimeMs(item.value.event) < now - spec.retentionMs) {
        this.opts.metrics.countNotStored('older_than_raw_retention');
        continue;
      }
      const decision = this.opts.sampler?.(item.value) ?? { keep: true, weight: 1 };
      if (!decision.keep) {
        this.opts.metrics.countNotStored(decision.reason ?? 'sampled_out');
        continue;
      }
      const toRow = SIGNAL_TABLES[signal].toRow as (e: unknown, p: SourcePosition, w: number, n: number) => Row;
      push(b.rows, table, toRow(item.value.event, position, decision.weight, now));
      b.rowCount++;
    }
    if (position.offset !== NO_OFFSET) {
      const key = partitionKey(position.source, position.partition);
      const seen = b.positions.get(key);
      if (!seen || seen.offset < position.offset) b.positions.set(key, { source: position.source, partition: position.partition, offset: position.offset });
    }
  }

  get pendingRows(): number {
    return this.batch.rowCount;
  }

  /** True when the pending batch holds batchMaxRows rows or more. */
  isFull(): boolean {
    return this.batch.rowCount >= this.opts.batchMaxRows;
  }

  /** True when the pending batch is due: full, or its oldest row waited batchMaxDelayMs. */
  isDue(nowMs = this.opts.now()): boolean {
    const b = this.batch;
    if (b.rowCount >= this.opts.batchMaxRows) return true;
    // started, not rowCount > 0: a batch whose events were all sampled out still carries
    // participant counts and offsets to commit
    return b.started && nowMs - b.firstAtMs >= this.opts.batchMaxDelayMs;
  }

  /**
   * Writes everything pending. Flushes are serialised; items added meanwhile go to the
   * next batch. Resolves with the positions now safe to commit.
   */
  flush(hooks: FlushHooks = {}): Promise<FlushedPositions> {
    const run = this.flushing.then(() => this.flushDetached(hooks));
    this.flushing = run.catch(() => new Map());
    return run;
  }

  /**
   * Detaches the pending batch and writes it. If writing throws (a hook failed; writes
   * themselves are retried), the batch goes back in front of what arrived meanwhile, so
   * nothing is lost and no later commit can skip past it.
   */
  private async flushDetached(hooks: FlushHooks): Promise<FlushedPositions> {
    const batch = this.batch;
    this.batch = emptyBatch();
    for (const participant of this.opts.participants) {
      for (const { table, rows } of participant.drain()) for (const row of rows) push(batch.rows, table, row);
    }
    try {
      return await this.flushBatch(batch, hooks);
    } catch (err) {
      this.batch = mergeBatches(batch, this.batch);
      throw err;
    }
  }

  private async flushBatch(batch: Batch, hooks: FlushHooks): Promise<FlushedPositions> {
    let retried = false;
    const retryHooks = (onRetry?: (attempt: number, err: unknown) => Promise<void>): FlushHooks => ({
      onRetry: async (attempt, err) => {
        retried = true;
        await hooks.onRetry?.(attempt, err);
        await onRetry?.(attempt, err);
      },
    });
    // the dead-letter topic first: a crash after it and before the table insert replays the
    // letter (at-least-once on the topic) instead of skipping it as already durable
    if (batch.deadLetters.length > 0 && this.opts.deadLetterPublisher) {
      const publisher = this.opts.deadLetterPublisher;
      await this.withRetry(() => this.publishDeadLetters(publisher, batch.deadLetters), retryHooks());
    }
    for (const [table, rows] of batch.rows) {
      if (rows.length === 0) continue;
      const token = dedupToken(table, rows);
      let inserted = 0;
      await this.withRetry(async () => {
        const pending = rows.filter((r) => !this.isDurable(table, rowPosition(r)));
        if (pending.length === 0) return;
        await this.opts.writer.insert(table, pending, token);
        inserted = pending.length;
      }, retryHooks(async () => {
        // the failed insert may have landed (response lost): re-learn what is durable
        await this.reloadWritten(table, rows).catch(() => undefined);
      }));
      this.markWritten(table, rows);
      const signal = signalOfTable(table);
      if (signal) this.opts.metrics.written[signal] += inserted;
    }
    for (const participant of this.opts.participants) participant.onDurable?.();
    if (retried) await hooks.onRecovered?.();
    this.opts.metrics.flushes++;
    this.opts.metrics.lastFlushAtMs = this.opts.now();
    return batch.positions;
  }

  /**
   * Publishes dead letters; a refusal that retrying cannot fix (e.g. MESSAGE_TOO_LARGE) is
   * counted and logged, not retried forever — the letter stays in the dead_letters table.
   */
  private async publishDeadLetters(publisher: DeadLetterPublisher, letters: DeadLetter[]): Promise<void> {
    try {
      await publisher.publish(letters);
    } catch (err) {
      if ((err as { retriable?: unknown }).retriable !== false) throw err;
      this.opts.metrics.deadLetterTopicFailures += letters.length;
      this.opts.logger.error({ err: errorMessage(err), letters: letters.length }, 'dead-letter topic refused the letters; they are kept in the dead_letters table only');
    }
  }

  private markWritten(table: string, rows: Row[]): void {
    for (const row of rows) {
      const p = rowPosition(row);
      if (p.offset === NO_OFFSET) continue;
      const key = `${table}|${partitionKey(p.source, p.partition)}`;
      if ((this.written.get(key) ?? -1) < p.offset) this.written.set(key, p.offset);
    }
  }

  private async reloadWritten(table: string, rows: Row[]): Promise<void> {
    const partitions = new Map<string, SourcePosition>();
    for (const row of rows) {
      const p = rowPosition(row);
      if (p.offset !== NO_OFFSET) partitions.set(partitionKey(p.source, p.partition), p);
    }
    for (const [key, p] of partitions) {
      this.written.set(`${table}|${key}`, await this.opts.writer.maxWrittenOffset(table, p.source, p.partition));
    }
  }

  private async withRetry<T>(fn: () => Promise<T>, hooks: FlushHooks): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        this.opts.metrics.flushRetries++;
        const delay = backoffDelayMs(attempt, this.opts.retry);
        const log = attempt < 3 ? this.opts.logger.warn.bind(this.opts.logger) : this.opts.logger.error.bind(this.opts.logger);
        log({ attempt: attempt + 1, delayMs: delay, err: errorMessage(err) }, 'write failed; pausing ingestion and retrying');
        await hooks.onRetry?.(attempt, err);
        await this.opts.sleep(delay);
      }
    }
  }
}

function emptyBatch(): Batch {
  return { rows: new Map(), deadLetters: [], positions: new Map(), rowCount: 0, started: false, firstAtMs: 0 };
}

/** `first` followed by `second`: rows, letters and the highest positions of both. */
function mergeBatches(first: Batch, second: Batch): Batch {
  const merged = emptyBatch();
  for (const b of [first, second]) {
    for (const [table, rows] of b.rows) for (const row of rows) push(merged.rows, table, row);
    merged.deadLetters.push(...b.deadLetters);
    for (const [key, p] of b.positions) {
      const seen = merged.positions.get(key);
      if (!seen || seen.offset < p.offset) merged.positions.set(key, p);
    }
    merged.rowCount += b.rowCount;
    if (b.started && !merged.started) {
      merged.started = true;
      merged.firstAtMs = b.firstAtMs;
    }
  }
  return merged;
}

function push(map: Map<string, Row[]>, table: string, row: Row): void {
  const list = map.get(table);
  if (list) list.push(row);
  else map.set(table, [row]);
}

function rowPosition(row: Row): SourcePosition {
  return { source: String(row.source), partition: Number(row.source_partition), offset: Number(row.source_offset) };
}

const TABLE_SIGNAL = new Map(Object.entries(SIGNAL_TABLES).map(([signal, t]) => [t.table, signal as Signal]));
function signalOfTable(table: string): Signal | undefined {
  return TABLE_SIGNAL.get(table);
}

/** Same rows → same token: a retried insert is recognised by the server as a duplicate. */
function dedupToken(table: string, rows: Row[]): string {
  const first = rowPosition(rows[0]!);
  const last = rowPosition(rows[rows.length - 1]!);
  if (first.offset !== NO_OFFSET) {
    return `${table}:${first.source}:${first.partition}:${first.offset}-${last.source}:${last.partition}:${last.offset}:${rows.length}`;
  }
  const hash = createHash('sha256');
  for (const row of rows) hash.update(JSON.stringify(row));
  return `${table}:${hash.digest('hex')}`;
}
