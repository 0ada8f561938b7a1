import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { isTransientStoreError } from '../../platform/clickhouse/clickhouse-error-kind.ts';
import { yieldTurn } from '../../platform/event-loop/yield-turn.ts';
import { SluiceError, errorMessage, isRetriable } from '../../platform/errors/sluice-error.ts';
import type { Signal } from '../../schema/events/v1/signal.ts';
import type { DecodedItem } from '../decode/decoder.ts';
import type { RowWriter } from '../sink/clickhouse-row-writer.ts';
import { DEAD_LETTER_TABLE, SIGNAL_TABLES, deadLetterRow, type Row, type SignalTable } from '../sink/signal-rows.ts';
import type { BatchParticipant } from './batch-participant.ts';
import { IngestSegment, type DeadLetter } from './ingest-segment.ts';
import type { IngestMetrics } from './ingest-metrics.ts';
import { claimPartitions, type ClaimRequest, type PartitionClaim } from './partition-claim.ts';
import type { ProgressRow, ProgressStore } from './partition-progress.ts';
import { backoffDelayMs, type BackoffOptions } from './retry-backoff.ts';
import { partitionKey, type SourcePosition } from './source-position.ts';

export type { DeadLetter } from './ingest-segment.ts';

/** Decides whether a valid event is stored as a raw row, and with which weight (1/p). */
export type RowSampler = (item: Extract<DecodedItem, { ok: true }>['value']) => { keep: boolean; weight: number; reason?: string };

export interface DeadLetterPublisher {
  publish(letters: DeadLetter[]): Promise<void>;
}

/**
 * Event-time and duration bounds of valid events (issue "verdicts": one span dated year
 * 9999 or with a duration of 1e16 ms must not poison a batch or a window). Events outside
 * are dead-lettered with their reason.
 */
export interface TimeBounds {
  /** Oldest accepted event time, as an age from now, ms (the longest retention: the 400-day rollups). */
  maxAgeMs: number;
  /** Allowed clock skew of producers: newest accepted event time after now, ms. */
  maxFutureMs: number;
  /** Longest accepted span / check duration, ms. */
  maxDurationMs: number;
}

export const DEFAULT_TIME_BOUNDS: TimeBounds = {
  maxAgeMs: 400 * 86_400_000,
  maxFutureMs: 600_000,
  maxDurationMs: 86_400_000,
};

export interface IngestPipelineOptions {
  writer: RowWriter;
  /** The progress log (partition-progress.ts): claims, pending/done segments, fencing. */
  progress: ProgressStore;
  /** Who writes (process and member), on progress rows. */
  writerId: string;
  metrics: IngestMetrics;
  logger: Logger;
  /** Epoch ms; injected so tests control time. */
  now: () => number;
  /** Flush when this many rows are pending. */
  batchMaxRows: number;
  /** …or when the oldest pending input has waited this long, ms. */
  batchMaxDelayMs: number;
  retry?: BackoffOptions;
  sampler?: RowSampler;
  participants?: BatchParticipant[];
  deadLetterPublisher?: DeadLetterPublisher;
  timeBounds?: TimeBounds;
  /** Embedded inputs are refused (backpressure) while more rows than this wait. Default 50 × batchMaxRows. */
  maxPendingRows?: number;
  /** How long a new owner waits for an older owner's segment in flight, ms. Default 30 000. */
  claimWaitMs?: number;
  /** Concurrent inserts of one flush. Default 4. */
  insertConcurrency?: number;
  /**
   * Flushes `flushConcurrently` runs at the same time, each on sources (partitions) the
   * others are not writing: a partition has at most one segment in flight, so its progress
   * rows stay in order. Default 4.
   */
  maxConcurrentFlushes?: number;
  /** Called when an embedded caller starts waiting for durability (group commit: flush now). */
  onWaiting?: () => void;
  sleep?: (ms: number) => Promise<void>;
}

/** Next offset to commit per (source, partition) after a flush. */
export type FlushedPositions = Map<string, { source: string; partition: number; offset: number }>;

export interface FlushHooks {
  /** Called before each retry wait (e.g. to pause the Kafka consumer and heartbeat). */
  onRetry?: (attempt: number, err: unknown) => Promise<void> | void;
  /** Called once when a flush that needed retries succeeds. */
  onRecovered?: () => Promise<void> | void;
  /** Partitions this worker has lost without noticing (a newer owner claimed them): stop reading them. */
  onFenced?: (keys: string[]) => void;
  /** Called while a claim waits for an older owner's segment (e.g. to heartbeat the consumer group). */
  onWaiting?: () => void;
}

interface PartitionState extends PartitionClaim {
  signal: Signal;
  /** Next sequence number of this owner's progress rows. */
  seq: number;
  /** Sealed end of the replay segment, until it is written. */
  sealAt?: number | undefined;
}

/**
 * Positions of one generation of an embedded source: the process that claims generation g
 * numbers its inputs g·1e9, g·1e9 + 1, … — so no process ever reuses a position (nor,
 * therefore, a segment's deduplication token) of an earlier one, whatever it recorded
 * before it stopped or crashed.
 */
export const EMBEDDED_POSITIONS_PER_GENERATION = 1_000_000_000;
/** How often, at most, embedded sources' durable progress is recorded in `done` rows, ms. */
export const EMBEDDED_PROGRESS_INTERVAL_MS = 1_000;

interface EmbeddedState {
  signal: Signal;
  /** This process's generation of the source (its claim row). */
  generation: number;
  /** Next position (sequence number) of this embedded source. */
  next: number;
  maxEventTimeMs: number;
  /** Positions made durable since the last `done` row (lowest, highest), with their highest event time. */
  unrecorded: { lo: number; hi: number; maxEventTimeMs: number } | undefined;
}

/**
 * Buffers decoded inputs into segments — per upstream source, a contiguous range of
 * positions with its rows per table — and writes them in batches (≥ batchMaxRows rows,
 * ≤ batchMaxDelayMs old, or at once when an embedded caller waits: group commit).
 * Guarantees (DESIGN.md 3):
 * - a flush resolves only once every row is durable; failures of the store are retried with
 *   backoff for as long as it takes (never dropped, never a crash); a row the store refuses
 *   for its content is isolated by halving the insert and dead-lettered alone
 *   (`storage_rejected`) — one row never poisons a batch;
 * - Kafka positions are claimed, fenced and replayed exactly (partition-progress.ts), so
 *   nothing is written twice across crashes, restarts and rebalances; every segment is one
 *   insert per table with a deterministic deduplication token;
 * - embedded inputs (HTTP, OTLP/HTTP, simulator) get sequence numbers as positions and are
 *   acknowledged only once durable. Each process claims a new generation of every embedded
 *   source it takes input from (a `claim` row, written before its first position is used)
 *   and numbers positions within it (EMBEDDED_POSITIONS_PER_GENERATION), so positions and
 *   tokens are never reused across restarts; their `done` rows only record progress (the
 *   highest event time, for judges restarting) and are written at most every
 *   EMBEDDED_PROGRESS_INTERVAL_MS, off the acknowledgement's path, and by every `flush()`.
 */
export class IngestPipeline {
  private readonly opts: IngestPipelineOptions & Required<Pick<IngestPipelineOptions, 'retry' | 'participants' | 'timeBounds' | 'sleep'>>;
  /** Segments of the open batch, in arrival order (at most one open per source at a time). */
  private segments: IngestSegment[] = [];
  private readonly open = new Map<string, IngestSegment>();
  private rowCount = 0;
  private batchStartedAtMs: number | undefined;
  private flushing: Promise<unknown> = Promise.resolve();
  /** Sources (partition keys) with a segment being written: at most one each. */
  private readonly writing = new Set<string>();
  /** Flushes running (serial and concurrent ones). */
  private readonly running = new Set<Promise<unknown>>();
  /** While a serial flush waits for the running ones, no concurrent flush starts. */
  private exclusive = 0;
  /** The write of embedded sources' `done` rows under way, if any. */
  private recording: Promise<void> | undefined;
  /** When embedded progress was last recorded (performance.now(), ms); the first record is due an interval after start. */
  private recordedAtMs = performance.now();
  private readonly partitions = new Map<string, PartitionState>();
  private readonly embedded = new Map<string, Promise<EmbeddedState>>();
  private readonly embeddedReady = new Map<string, EmbeddedState>();
  /** True while a write is failing and being retried (embedded inputs are refused meanwhile). */
  private retrying = false;
  private stopped = false;

  constructor(opts: IngestPipelineOptions) {
    this.opts = {
      retry: { initialMs: 100, maxMs: 5_000 },
      participants: [],
      timeBounds: DEFAULT_TIME_BOUNDS,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      ...opts,
    };
  }

  // ---- Kafka partitions -------------------------------------------------------------

  /**
   * Takes over partitions (after a Kafka assignment): claims them with a new generation,
   * waits for an older owner's segment in flight, and learns where to resume. Must be
   * awaited before the first `add` of a partition.
   */
  async claim(requests: readonly (ClaimRequest & { signal: Signal })[], hooks: FlushHooks = {}): Promise<PartitionClaim[]> {
    if (requests.length === 0) return [];
    const claims = await this.withRetry(
      () => claimPartitions(requests, { store: this.opts.progress, writer: this.opts.writerId, waitMs: this.opts.claimWaitMs ?? 30_000, sleep: this.opts.sleep, onWaiting: hooks.onWaiting }),
      hooks,
    );
    for (const [i, claim] of claims.entries()) {
      const req = requests[i]!;
      const key = partitionKey(claim.source, claim.partition);
      this.partitions.set(key, { ...claim, signal: req.signal, seq: 1, sealAt: claim.replay?.hi });
      if (claim.reset) {
        this.opts.metrics.progressResets++;
        this.opts.logger.warn({ partition: key, reason: claim.reset }, 'partition progress reset');
      }
      if (claim.replay) this.opts.logger.warn({ partition: key, replay: claim.replay }, 'an earlier owner died mid-flush: replaying its segment with the same bounds');
    }
    return claims;
  }

  /** Keeps only the partitions in `owned` (after a rebalance): others' pending segments are dropped (their new owner replays them). */
  release(owned: ReadonlySet<string>): void {
    for (const key of [...this.partitions.keys()]) if (!owned.has(key)) this.partitions.delete(key);
    const keep = (s: IngestSegment) => s.generation === undefined || owned.has(s.key);
    const dropped = this.segments.filter((s) => !keep(s));
    this.segments = this.segments.filter(keep);
    for (const s of dropped) if (this.open.get(s.key) === s) this.open.delete(s.key);
    this.rowCount = this.segments.reduce((n, s) => n + s.rowCount, 0);
  }

  /** Whether a partition is claimed by this pipeline. */
  owns(source: string, partition: number): boolean {
    return this.partitions.has(partitionKey(source, partition));
  }

  /** Adds the items decoded from one Kafka message. The partition must be claimed. */
  add(position: SourcePosition, items: DecodedItem[], extra: Pick<DeadLetter, 'key' | 'headers'> = {}): void {
    const key = partitionKey(position.source, position.partition);
    const state = this.partitions.get(key);
    if (!state) throw new SluiceError('PARTITION_NOT_CLAIMED', `partition ${key} is not claimed by this worker`);
    if (position.offset <= state.through) {
      this.opts.metrics.replaySkipped += items.length;
      return;
    }
    let segment = this.open.get(key);
    if (segment?.replayIncomplete && segment.sealAt !== undefined && position.offset > segment.sealAt) segment.closeAtSeal();
    if (!segment || segment.sealed) {
      segment = this.startSegment(new IngestSegment({ source: position.source, partition: position.partition, signal: state.signal, generation: state.generation, sealAt: state.sealAt }));
      state.sealAt = undefined;
    }
    this.addTo(segment, position.offset, items, extra);
  }

  // ---- embedded sources -------------------------------------------------------------

  /**
   * Accepts the items of one embedded input (an HTTP request, a simulator tick) from
   * `source` (e.g. `http/spans`) as the next position of that source. With `wait`, resolves
   * once they are durable (group commit: the caller's flusher writes as soon as it can).
   * Refused while the store is failing or too much is waiting (SluiceError, retriable: the
   * HTTP layer answers 503).
   */
  async accept(source: string, signal: Signal, items: DecodedItem[], opts: { wait?: boolean } = {}): Promise<void> {
    this.admit();
    const durables = new Map<IngestSegment, Promise<void>>();
    await this.addEmbedded(source, signal, items, opts.wait ? durables : undefined);
    if (opts.wait) {
      this.opts.onWaiting?.();
      await Promise.all(durables.values());
    }
  }

  /**
   * `accept` with `wait` for a large input (an NDJSON body of thousands of lines): the items
   * are taken in slices of `sliceItems` (default 256), each the next position of the source,
   * with a turn of the event loop between slices, so one request never holds the loop for
   * long (a gate behind it waits for one slice, not for the request). Admission is decided
   * once, before the first slice: the input is refused whole or taken whole. Resolves once
   * every slice is durable.
   */
  async acceptInSlices(source: string, signal: Signal, items: DecodedItem[], opts: { sliceItems?: number } = {}): Promise<void> {
    const size = opts.sliceItems ?? 256;
    if (items.length <= size) return this.accept(source, signal, items, { wait: true });
    this.admit();
    const durables = new Map<IngestSegment, Promise<void>>();
    for (let i = 0; i < items.length; i += size) {
      if (i > 0) await yieldTurn();
      await this.addEmbedded(source, signal, items.slice(i, i + size), durables);
    }
    items = []; // taken: the decoded events need not live while this waits for durability
    this.opts.onWaiting?.();
    await Promise.all(durables.values());
  }

  /** Refuses an embedded input while stopping, while the store is failing, or while too much waits (retriable). */
  private admit(): void {
    if (this.stopped) throw new SluiceError('INGEST_STOPPED', 'ingest is stopping', { retriable: true });
    if (this.retrying) throw new SluiceError('STORE_UNAVAILABLE', 'the store is failing; retry later', { retriable: true });
    if (this.rowCount > (this.opts.maxPendingRows ?? 50 * this.opts.batchMaxRows)) {
      throw new SluiceError('INGEST_BACKPRESSURE', `${this.rowCount} rows are waiting to be written; retry later`, { retriable: true });
    }
  }

  /**
   * Adds the items as the next position of an embedded source, to its open segment; with
   * `durables`, waits on that segment (once per segment) in the same turn as the add: a
   * segment written later would already have settled its waiters.
   */
  private async addEmbedded(source: string, signal: Signal, items: DecodedItem[], durables?: Map<IngestSegment, Promise<void>>): Promise<void> {
    let state = this.embeddedReady.get(source) ?? (await this.embeddedState(source, signal));
    if (state.next >= (state.generation + 1) * EMBEDDED_POSITIONS_PER_GENERATION) {
      // a billion inputs in one run: the next generation continues the numbering
      this.embedded.delete(source);
      this.embeddedReady.delete(source);
      state = await this.embeddedState(source, signal);
    }
    let segment = this.open.get(partitionKey(source, 0));
    if (!segment) segment = this.startSegment(new IngestSegment({ source, partition: 0, signal }));
    const position = state.next++;
    this.addTo(segment, position, items, {});
    if (segment.maxEventTimeMs > state.maxEventTimeMs) state.maxEventTimeMs = segment.maxEventTimeMs;
    if (durables !== undefined && !durables.has(segment)) {
      const durable = segment.durable();
      durable.catch(() => undefined); // awaited once every slice is in; a failure before then is not unhandled
      durables.set(segment, durable);
    }
  }

  /**
   * Claims the next generation of an embedded source — one past the newest of its progress
   * rows (a fresh source starts at generation 0) — and continues at that generation's first
   * position.
   */
  private embeddedState(source: string, signal: Signal): Promise<EmbeddedState> {
    let pending = this.embedded.get(source);
    if (!pending) {
      pending = (async () => {
        const latest = (await this.withRetry(() => this.opts.progress.latest([{ source, partition: 0 }]), {})).get(partitionKey(source, 0));
        // rows of the sequential numbering before generations (generation 0) count by their positions
        const generation = latest === undefined ? 0 : Math.max(latest.generation, Math.floor((latest.through + 1) / EMBEDDED_POSITIONS_PER_GENERATION)) + 1;
        const maxEventTimeMs = latest?.maxEventTimeMs ?? -1;
        await this.withRetry(() => this.opts.progress.write([{
          source, partition: 0, signal, generation, seq: 0, state: 'claim', lo: -1, hi: -1,
          through: latest?.through ?? -1, maxEventTimeMs, writer: this.opts.writerId,
        }]), {});
        const state: EmbeddedState = { signal, generation, next: generation * EMBEDDED_POSITIONS_PER_GENERATION, maxEventTimeMs, unrecorded: undefined };
        this.embeddedReady.set(source, state);
        return state;
      })();
      this.embedded.set(source, pending);
      pending.catch(() => this.embedded.delete(source));
    }
    return pending;
  }

  // ---- common -----------------------------------------------------------------------

  private startSegment(segment: IngestSegment): IngestSegment {
    this.segments.push(segment);
    this.open.set(segment.key, segment);
    this.batchStartedAtMs ??= this.opts.now();
    return segment;
  }

  private addTo(segment: IngestSegment, position: number, items: DecodedItem[], extra: Pick<DeadLetter, 'key' | 'headers'>): void {
    const now = this.opts.now();
    segment.cover(position);
    const before = segment.rowCount;
    const pos: SourcePosition = { source: segment.source, partition: segment.partition, offset: position };
    for (const decoded of items) {
      const item = decoded.ok ? this.checkBounds(decoded, now) : decoded;
      if (!item.ok) {
        this.opts.metrics.countDeadLetter(item.reason);
        segment.push(DEAD_LETTER_TABLE, deadLetterRow(item.signal, item.reason, item.detail, item.raw, pos, now));
        segment.deadLetters.push({ signal: item.signal, reason: item.reason, detail: item.detail, raw: item.raw, position: pos, ...extra });
        continue;
      }
      const { signal } = item.value;
      this.opts.metrics.accepted[signal]++;
      const spec = SIGNAL_TABLES[signal] as SignalTable<Signal>;
      const eventTimeMs = spec.eventTimeMs(item.value.event);
      if (eventTimeMs > segment.maxEventTimeMs) segment.maxEventTimeMs = eventTimeMs;
      const truncated = (item.value.event as { truncated?: string[] }).truncated;
      if (truncated) for (const field of truncated) this.opts.metrics.countTruncated(field);
      for (const participant of this.opts.participants) participant.observe(item.value, segment, position);
      if (spec.retentionMs !== undefined && eventTimeMs < now - spec.retentionMs) {
        this.opts.metrics.countNotStored('older_than_raw_retention');
        continue;
      }
      const decision = this.opts.sampler?.(item.value) ?? { keep: true, weight: 1 };
      if (!decision.keep) {
        this.opts.metrics.countNotStored(decision.reason ?? 'sampled_out');
        continue;
      }
      const toRow = spec.toRow as (e: unknown, p: SourcePosition, w: number, n: number) => Row;
      segment.push(spec.table, toRow(item.value.event, pos, decision.weight, now));
    }
    this.rowCount += segment.rowCount - before;
  }

  /** A valid event outside the time and duration bounds becomes a dead letter with its reason. */
  private checkBounds(item: Extract<DecodedItem, { ok: true }>, now: number): DecodedItem {
    const { signal, event } = item.value;
    const bounds = this.opts.timeBounds;
    const eventTimeMs = (SIGNAL_TABLES[signal] as SignalTable<Signal>).eventTimeMs(event);
    const duration = (event as { durationMs?: number }).durationMs;
    const reject = (reason: 'event_time_in_future' | 'event_time_too_old' | 'duration_out_of_range', detail: string): DecodedItem => ({
      ok: false, signal, reason, detail, raw: Buffer.from(JSON.stringify(event)),
    });
    if (duration !== undefined && duration > bounds.maxDurationMs) {
      return reject('duration_out_of_range', `durationMs ${duration} exceeds ${bounds.maxDurationMs} ms (SLUICE_MAX_DURATION_MS)`);
    }
    if (eventTimeMs > now + bounds.maxFutureMs) {
      return reject('event_time_in_future', `event time ${new Date(eventTimeMs).toISOString()} is more than ${bounds.maxFutureMs} ms after now (SLUICE_MAX_CLOCK_SKEW_MS)`);
    }
    if (eventTimeMs < now - bounds.maxAgeMs) {
      return reject('event_time_too_old', `event time ${new Date(eventTimeMs).toISOString()} is older than the ${Math.round(bounds.maxAgeMs / 86_400_000)}-day retention`);
    }
    return item;
  }

  /** Rows waiting to be written. */
  get pendingRows(): number {
    return this.rowCount;
  }

  /** True when the open batch holds batchMaxRows rows or more. */
  isFull(): boolean {
    return this.rowCount >= this.opts.batchMaxRows;
  }

  /** Rows of a full batch. */
  get batchMaxRows(): number {
    return this.opts.batchMaxRows;
  }

  /**
   * Rows of one source waiting to be written (not those in flight). A replayed segment that
   * has not reached its end does not count: no flush can take it before more of its
   * messages are read, so its reader must not wait for one.
   */
  pendingRowsOf(source: string, partition: number): number {
    const key = partitionKey(source, partition);
    let rows = 0;
    for (const s of this.segments) if (s.key === key && !s.replayIncomplete) rows += s.rowCount;
    return rows;
  }

  /** True when the open batch is due: full, old enough, or a caller waits for it. */
  isDue(nowMs = this.opts.now()): boolean {
    if (this.segments.length === 0) return false;
    if (this.rowCount >= this.opts.batchMaxRows) return true;
    if (this.segments.some((s) => s.hasWaiters)) return true;
    return this.batchStartedAtMs !== undefined && nowMs - this.batchStartedAtMs >= this.opts.batchMaxDelayMs;
  }

  /** True while a write is being retried. */
  get inOutage(): boolean {
    return this.retrying;
  }

  /**
   * Writes the open batch, after every flush already running: when it resolves, everything
   * added before the call is durable (but a second segment of one source, after a sealed
   * replay segment, which waits for the next flush). Serial flushes run one at a time;
   * inputs added meanwhile go to the next batch. Resolves with the next offsets to commit
   * per Kafka partition.
   */
  flush(hooks: FlushHooks = {}): Promise<FlushedPositions> {
    this.exclusive++;
    const run = this.flushing.then(async () => {
      try {
        while (this.running.size > 0) await Promise.allSettled([...this.running]);
        const positions = await this.track(this.flushOpen(hooks));
        await this.recordEmbeddedProgress();
        return positions;
      } finally {
        this.exclusive--;
      }
    });
    this.flushing = run.catch(() => undefined);
    return run;
  }

  /**
   * Starts writing the open batch's segments of sources that have none in flight, alongside
   * the flushes already running (at most `maxConcurrentFlushes`): the hot path, so one
   * flush's round trips overlap the next one's. Undefined when nothing could start (no slot,
   * a serial flush waiting, or every open segment's source is being written).
   */
  flushConcurrently(hooks: FlushHooks = {}): Promise<FlushedPositions> | undefined {
    if (this.exclusive > 0 || this.running.size >= (this.opts.maxConcurrentFlushes ?? 4)) return undefined;
    if (!this.segments.some((s) => !this.writing.has(s.key) && !s.replayIncomplete)) return undefined;
    return this.track(this.flushOpen(hooks));
  }

  /** Flushes running now (serial and concurrent). */
  get flushesInFlight(): number {
    return this.running.size;
  }

  /** Resolves when no flush is running. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private track<T>(run: Promise<T>): Promise<T> {
    this.running.add(run);
    const forget = () => void this.running.delete(run);
    run.then(forget, forget);
    return run;
  }

  /**
   * Records embedded sources' durable progress in `done` rows when the last record is
   * EMBEDDED_PROGRESS_INTERVAL_MS old (called after flushes and by the embedded flusher's
   * timer); in the background: nothing waits for it.
   */
  recordProgressWhenDue(): void {
    if (this.recording || performance.now() - this.recordedAtMs < EMBEDDED_PROGRESS_INTERVAL_MS) return;
    if (![...this.embeddedReady.values()].some((s) => s.unrecorded)) return;
    void this.recordEmbeddedProgress().catch((err: unknown) => this.opts.logger.warn({ err: errorMessage(err) }, 'could not record embedded progress; retrying later'));
  }

  /** Writes a `done` row for every embedded source with durable positions not yet recorded. */
  private async recordEmbeddedProgress(): Promise<void> {
    while (this.recording) await this.recording.catch(() => undefined);
    const taken: [EmbeddedState, NonNullable<EmbeddedState['unrecorded']>][] = [];
    const rows: ProgressRow[] = [];
    for (const [source, state] of this.embeddedReady) {
      const range = state.unrecorded;
      if (!range) continue;
      state.unrecorded = undefined;
      taken.push([state, range]);
      rows.push({
        source, partition: 0, signal: state.signal, generation: state.generation,
        // within a generation, rows are ordered by position
        seq: range.hi - state.generation * EMBEDDED_POSITIONS_PER_GENERATION + 1,
        state: 'done', lo: range.lo, hi: range.hi, through: range.hi,
        maxEventTimeMs: Math.max(range.maxEventTimeMs, state.maxEventTimeMs), writer: this.opts.writerId,
      });
    }
    if (rows.length === 0) return;
    this.recordedAtMs = performance.now();
    const run = this.withRetry(() => this.opts.progress.write(rows), {});
    this.recording = run;
    try {
      await run;
    } catch (err) {
      for (const [state, range] of taken) state.unrecorded = mergeRange(range, state.unrecorded);
      throw err;
    } finally {
      if (this.recording === run) this.recording = undefined;
    }
  }

  /** Refuses new embedded input; what is open can still be flushed. */
  stopAccepting(): void {
    this.stopped = true;
  }

  private async flushOpen(hooks: FlushHooks): Promise<FlushedPositions> {
    // one segment per source per flush, and none of a source already being written: a
    // second one (after a sealed replay segment, or while the first is in flight) waits; a
    // replayed segment waits until it reaches its end (its bounds, hence its insert tokens,
    // must be the dead owner's: written early, what of the original landed would count twice)
    let taken: IngestSegment[] = [];
    const seen = new Set<string>();
    let rest: IngestSegment[] = [];
    for (const s of this.segments) {
      if (seen.has(s.key) || this.writing.has(s.key) || s.replayIncomplete) rest.push(s);
      else {
        seen.add(s.key);
        taken.push(s);
        if (this.open.get(s.key) === s) this.open.delete(s.key);
      }
    }
    // a write group (embedded segments that shared inserts) is retried whole or waits: its
    // inserts carry one token for all its members
    const incomplete = incompleteGroups(taken);
    const flushed = incomplete.size === 0 ? taken : taken.filter((s) => !incomplete.has(s.group!.id));
    if (flushed.length < taken.length) rest = this.segments.filter((s) => !flushed.includes(s));
    taken = flushed;
    if (taken.length === 0) return new Map();
    for (const s of taken) this.writing.add(s.key);
    this.segments = rest;
    this.rowCount = rest.reduce((n, s) => n + s.rowCount, 0);
    this.batchStartedAtMs = rest.length > 0 ? this.opts.now() : undefined;
    const startedAtMs = performance.now();
    try {
      const positions = await this.writeSegments(taken, hooks);
      for (const s of taken) s.settle();
      this.opts.metrics.observeFlush(performance.now() - startedAtMs);
      this.recordProgressWhenDue();
      return positions;
    } catch (err) {
      // a hook failed (writes themselves are retried): the segments go back in front, so
      // nothing is lost and no later commit skips past them; rewriting them is idempotent
      this.segments = [...taken, ...this.segments];
      this.rowCount += taken.reduce((n, s) => n + s.rowCount, 0);
      this.batchStartedAtMs ??= this.opts.now();
      throw err;
    } finally {
      for (const s of taken) this.writing.delete(s.key);
    }
  }

  private async writeSegments(segments: IngestSegment[], hooks: FlushHooks): Promise<FlushedPositions> {
    let retried = false;
    const retryHooks: FlushHooks = {
      onRetry: async (attempt, err) => {
        retried = true;
        await hooks.onRetry?.(attempt, err);
      },
    };
    for (const segment of segments) {
      if (segment.scratch.has(this)) continue; // rows of a re-queued segment were taken already
      segment.scratch.set(this, true);
      for (const participant of this.opts.participants) {
        for (const { table, rows } of participant.rowsOf(segment)) for (const row of rows) segment.push(table, row);
      }
    }
    // the dead-letter topic first: a crash after it and before the table insert replays the
    // letter (at-least-once on the topic) instead of skipping it as already durable
    const letters = segments.flatMap((s) => s.deadLetters);
    if (letters.length > 0 && this.opts.deadLetterPublisher) {
      const publisher = this.opts.deadLetterPublisher;
      await this.withRetry(() => this.publishDeadLetters(publisher, letters), retryHooks);
    }

    const live = await this.fence(segments, retryHooks, hooks);
    const tasks: (() => Promise<void>)[] = [];
    for (const segment of live) {
      if (segment.generation === undefined) continue;
      const signalOf = () => segment.signal;
      for (const [table, rows] of segment.rows) {
        if (rows.length > 0) tasks.push(() => this.insertIsolating(table, rows, segment.token(table), signalOf, retryHooks));
      }
    }
    // embedded segments share one insert per table: each insert costs ClickHouse a new part
    // (~5 ms of CPU whatever its size, and merges later), and HTTP sources make many small
    // segments. Their positions are never reused (generations), so only a retry of the same
    // group must find the same token; Kafka segments keep theirs, which a new owner replays.
    for (const group of writeGroups(live.filter((s) => s.generation === undefined))) {
      for (const [table, rows] of group.rows) {
        if (rows.length > 0) tasks.push(() => this.insertIsolating(table, rows, group.token(table), group.signalOf, retryHooks));
      }
    }
    await runLimited(tasks, this.opts.insertConcurrency ?? 4);
    for (const participant of this.opts.participants) {
      if (participant.durable) await this.withRetry(() => participant.durable!(live), retryHooks);
    }
    // Kafka segments are done now (their offsets are committed after this); embedded ones are
    // recorded later (recordProgressWhenDue): their generation already keeps positions unique
    const claimedLive = live.filter((s) => s.generation !== undefined);
    if (claimedLive.length > 0) await this.withRetry(() => this.opts.progress.write(claimedLive.map((s) => this.progressRow(s, 'done'))), retryHooks);
    for (const segment of live) {
      const embedded = segment.generation === undefined ? this.embeddedReady.get(segment.source) : undefined;
      if (embedded) embedded.unrecorded = mergeRange({ lo: segment.lo, hi: segment.hi, maxEventTimeMs: segment.maxEventTimeMs }, embedded.unrecorded);
    }

    const positions: FlushedPositions = new Map();
    for (const segment of live) {
      const state = this.partitions.get(segment.key);
      if (segment.generation !== undefined && state?.generation === segment.generation) {
        state.through = Math.max(state.through, segment.hi);
        state.maxEventTimeMs = Math.max(state.maxEventTimeMs, segment.maxEventTimeMs);
        positions.set(segment.key, { source: segment.source, partition: segment.partition, offset: segment.hi + 1 });
      }
    }
    if (retried) await hooks.onRecovered?.();
    this.opts.metrics.flushes++;
    this.opts.metrics.lastFlushAtMs = this.opts.now();
    return positions;
  }

  /**
   * Writes `pending` for the Kafka segments, then reads the partitions' latest rows: a
   * segment whose partition a newer generation has claimed is fenced — `aborted`, not
   * written, and reported. Embedded segments pass through.
   */
  private async fence(segments: IngestSegment[], retryHooks: FlushHooks, hooks: FlushHooks): Promise<IngestSegment[]> {
    const claimed = segments.filter((s) => s.generation !== undefined && this.partitions.get(s.key)?.generation === s.generation);
    const orphaned = segments.filter((s) => s.generation !== undefined && !claimed.includes(s));
    if (claimed.length > 0) {
      await this.withRetry(() => this.opts.progress.write(claimed.map((s) => this.progressRow(s, 'pending'))), retryHooks);
      const latest = await this.withRetry(() => this.opts.progress.latest(claimed.map((s) => ({ source: s.source, partition: s.partition }))), retryHooks);
      const fenced = claimed.filter((s) => (latest.get(s.key)?.generation ?? 0) > s.generation!);
      if (fenced.length > 0) {
        await this.withRetry(() => this.opts.progress.write(fenced.map((s) => this.progressRow(s, 'aborted'))), retryHooks);
        for (const s of fenced) this.partitions.delete(s.key);
        orphaned.push(...fenced);
        this.opts.metrics.fencedSegments += fenced.length;
        this.opts.logger.warn({ partitions: fenced.map((s) => s.key) }, 'fenced: a newer owner claimed these partitions; their segments are left to it');
        hooks.onFenced?.(fenced.map((s) => s.key));
      }
    }
    return segments.filter((s) => !orphaned.includes(s));
  }

  /** A progress row of a Kafka segment (embedded sources record theirs in recordEmbeddedProgress). */
  private progressRow(segment: IngestSegment, state: 'pending' | 'done' | 'aborted'): ProgressRow {
    const claimed = segment.generation !== undefined ? this.partitions.get(segment.key) : undefined;
    const priorThrough = claimed?.through ?? segment.lo - 1;
    const maxEventTimeMs = Math.max(segment.maxEventTimeMs, claimed?.maxEventTimeMs ?? -1);
    return {
      source: segment.source,
      partition: segment.partition,
      signal: segment.signal,
      generation: segment.generation ?? 0,
      seq: claimed ? claimed.seq++ : segment.hi,
      state,
      lo: segment.lo,
      hi: segment.hi,
      through: state === 'done' ? segment.hi : priorThrough,
      maxEventTimeMs,
      writer: this.opts.writerId,
    };
  }

  /**
   * Inserts one table's rows of a segment; a refusal of the rows' content (not of the
   * store) is narrowed down by halving — each half with a token derived from the whole, so
   * a replay halves the same way — until the offending row is dead-lettered alone.
   */
  private async insertIsolating(table: string, rows: Row[], token: string, signalOf: (row: Row) => Signal, retryHooks: FlushHooks): Promise<void> {
    try {
      await this.withRetry(() => this.opts.writer.insert(table, rows, token), retryHooks);
      const signal = TABLE_SIGNAL.get(table);
      if (signal) this.opts.metrics.written[signal] += rows.length;
    } catch (err) {
      // only a refusal of the rows' content is isolated; anything else (a hook failed) propagates
      if (!(err instanceof SluiceError && err.code === 'CLICKHOUSE_ROW_REJECTED') || isRetriable(err)) throw err;
      if (rows.length > 1) {
        const half = Math.ceil(rows.length / 2);
        await this.insertIsolating(table, rows.slice(0, half), `${token}/a`, signalOf, retryHooks);
        await this.insertIsolating(table, rows.slice(half), `${token}/b`, signalOf, retryHooks);
        return;
      }
      const row = rows[0]!;
      const reason = table === DEAD_LETTER_TABLE ? 'dead_letter_rejected' : 'storage_rejected';
      this.opts.metrics.countDeadLetter(reason);
      this.opts.logger.warn({ table, err: errorMessage(err) }, 'the store refused a row; it is dead-lettered');
      if (table === DEAD_LETTER_TABLE) return; // a dead letter the store refuses is counted and logged, nothing more to do
      const letter = deadLetterRow(signalOf(row), reason, `${table}: ${errorMessage(err)}`, Buffer.from(JSON.stringify(row)), rowPosition(row), this.opts.now());
      await this.insertIsolating(DEAD_LETTER_TABLE, [letter], `${token}/rejected`, signalOf, retryHooks);
    }
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

  /**
   * Retries `fn` with backoff while the store fails transiently (unreachable, busy); a
   * failure retrying cannot fix (a refused row, a statement ClickHouse rejects) is thrown.
   */
  private async withRetry<T>(fn: () => Promise<T>, hooks: FlushHooks): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await fn();
        if (attempt > 0) this.retrying = false;
        return result;
      } catch (err) {
        if ((err instanceof SluiceError && !err.retriable) || !isTransientStoreError(err)) {
          this.opts.logger.error({ err: errorMessage(err) }, 'write failed and retrying cannot help');
          throw err;
        }
        this.retrying = true;
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

/** The union of two position ranges of one source (with the higher event time). */
function mergeRange(a: { lo: number; hi: number; maxEventTimeMs: number }, b: { lo: number; hi: number; maxEventTimeMs: number } | undefined) {
  return b === undefined ? a : { lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi), maxEventTimeMs: Math.max(a.maxEventTimeMs, b.maxEventTimeMs) };
}

const TABLE_SIGNAL = new Map(Object.entries(SIGNAL_TABLES).map(([signal, t]) => [t.table, signal as Signal]));

function rowPosition(row: Row): SourcePosition {
  return { source: String(row.source), partition: Number(row.source_partition), offset: Number(row.source_offset) };
}

/** Ids of the write groups with members missing from `segments`. */
function incompleteGroups(segments: readonly IngestSegment[]): Set<string> {
  const counts = new Map<string, number>();
  for (const s of segments) if (s.group) counts.set(s.group.id, (counts.get(s.group.id) ?? 0) + 1);
  const incomplete = new Set<string>();
  for (const s of segments) if (s.group && counts.get(s.group.id)! < s.group.size) incomplete.add(s.group.id);
  return incomplete;
}

interface WriteGroup {
  /** Rows per table, members in order. */
  rows: Map<string, Row[]>;
  /** The insert deduplication token of one table's rows: a lone segment keeps its own. */
  token(table: string): string;
  /** The signal of a row's source (for a row the store refuses). */
  signalOf(row: Row): Signal;
}

/**
 * Embedded segments as write groups: those already written together keep their group (a
 * retry); the others form a new one, named by its members' positions — unique, since an
 * embedded source never reuses a position.
 */
function writeGroups(segments: readonly IngestSegment[]): WriteGroup[] {
  const fresh = segments.filter((s) => s.group === undefined);
  if (fresh.length > 0) {
    const id = createHash('sha256').update(fresh.map((s) => `${s.source}:${s.partition}:${s.lo}-${s.hi}`).join('|')).digest('hex').slice(0, 32);
    for (const s of fresh) s.group = { id, size: fresh.length };
  }
  const byId = new Map<string, IngestSegment[]>();
  for (const s of segments) {
    const members = byId.get(s.group!.id);
    if (members) members.push(s);
    else byId.set(s.group!.id, [s]);
  }
  return [...byId].map(([id, members]) => {
    const rows = new Map<string, Row[]>();
    for (const m of members) {
      for (const [table, list] of m.rows) {
        const all = rows.get(table);
        if (all === undefined) rows.set(table, members.length === 1 ? list : list.slice());
        else for (const row of list) all.push(row);
      }
    }
    const signals = new Map(members.map((m) => [m.source, m.signal]));
    return {
      rows,
      token: (table) => (members.length === 1 ? members[0]!.token(table) : `${table}:group:${id}`),
      signalOf: (row) => signals.get(String(row.source)) ?? members[0]!.signal,
    };
  });
}

/** Runs tasks with at most `limit` at a time; rejects with the first failure after all settle. */
async function runLimited(tasks: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++]!;
      try {
        await task();
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  if (failure !== undefined) throw failure;
}
