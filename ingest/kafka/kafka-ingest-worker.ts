import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Admin, Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { errorMessage } from '../../platform/errors/sluice-error.ts';
import type { DecodedItem, Decoder } from '../decode/decoder.ts';
import type { FlushedPositions, IngestPipeline } from '../pipeline/ingest-pipeline.ts';
import type { PartitionClaim } from '../pipeline/partition-claim.ts';
import { partitionKey } from '../pipeline/source-position.ts';

export interface KafkaIngestWorkerOptions {
  kafka: Kafka;
  groupId: string;
  /** Topic → decoder (each decoder knows its signal and encoding). */
  decoders: Map<string, Decoder>;
  pipeline: IngestPipeline;
  logger: Logger;
  /** Start from the earliest offset when the group has no committed offset (default true). */
  fromBeginning?: boolean;
  /** How often the batch-age timer checks for a due flush, ms. */
  tickMs?: number;
  /** Consumer session timeout, ms (default 30 000): a killed member's partitions move after it. */
  sessionTimeoutMs?: number;
  /** After partitions were claimed (e.g. to register them as sources of the judges' watermarks). */
  onClaimed?: (claims: PartitionClaim[], owned: ReadonlySet<string>) => void;
  /** Every `heartbeatMs`: report the owned partitions' progress (idle ones too). */
  onHeartbeat?: (owned: ReadonlySet<string>) => Promise<void>;
  heartbeatMs?: number;
  /**
   * The consumer crashed in a way retrying cannot fix (kafkajs does not restart it): the
   * process should stop with a non-zero exit code so its supervisor restarts it.
   */
  onFatal?: (err: Error) => void;
}

/**
 * Longest stretch of decoding without yielding to the event loop, ms: the flushes in flight
 * move on only when this thread takes their store answers.
 */
const DECODE_SLICE_MS = 4;
const NO_EXTRA = {};

/** Partitions whose fetched batches are decoded at the same time (kafkajs partitionsConsumedConcurrently). */
const PARTITIONS_CONSUMED_CONCURRENTLY = 4;

/** What `health`, `/healthz` and `/readyz` report about the consumer. */
export interface KafkaWorkerHealth {
  state: 'starting' | 'running' | 'rebalancing' | 'dead' | 'stopped';
  /** Restarts kafkajs made after retriable crashes. */
  restarts: number;
  /** Why the consumer died, when it did. */
  crash?: string | undefined;
  /** Partitions owned now (`topic#partition`). */
  owned: string[];
  /** Messages consumed, valid or not. */
  consumed: number;
  lastBatchAtMs: number | undefined;
}

interface PartitionLag {
  /** Next offset this worker will read (last consumed + 1). */
  position: number;
  /** Log-end offset of the partition at the last look. */
  highWatermark: number;
  /** Kafka timestamp of the last consumed message, epoch ms. */
  lastTimestampMs: number | undefined;
  /** Wall clock of the last consumed message, epoch ms. */
  lastActivityAtMs: number | undefined;
}

/**
 * A member of the ingest consumer group. On assignment it claims its partitions in the
 * progress log (fencing older owners, waiting for or replaying a segment one had in
 * flight); it decodes each message, hands the items to the pipeline, and commits a
 * partition's offset only after the pipeline has made everything up to it durable. While
 * ClickHouse is unreachable the pipeline retries; the worker pauses fetching and keeps
 * heart-beating so it stays in the group. A crash kafkajs cannot recover from is reported
 * through `onFatal` (the process exits non-zero).
 */
export class KafkaIngestWorker {
  private readonly opts: KafkaIngestWorkerOptions;
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private timer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private offsetsTimer: NodeJS.Timeout | undefined;
  /**
   * Flushes being written (each with its commit), while the next batch is decoded: up to
   * the pipeline's `maxConcurrentFlushes`, on different partitions.
   */
  private readonly inflight = new Set<Promise<void>>();
  /** Offset commits, issued one after the other so a partition's committed offset never moves back. */
  private commits: Promise<void> = Promise.resolve();
  private heartbeat: (() => Promise<void>) | undefined;
  private paused = false;
  private stopped = false;
  /** Assignment to settle (claim) before the next message is read. */
  private assignment: Set<string> | undefined;
  /** The settling of `assignment` under way (partitions' batches run concurrently and share it). */
  private settling: Promise<void> | undefined;
  private owned = new Set<string>();
  private readonly lag = new Map<string, PartitionLag>();
  private readonly status: KafkaWorkerHealth = { state: 'starting', restarts: 0, owned: [], consumed: 0, lastBatchAtMs: undefined };

  constructor(opts: KafkaIngestWorkerOptions) {
    this.opts = opts;
    this.consumer = opts.kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.max(500, Math.floor((opts.sessionTimeoutMs ?? 30_000) / 10)),
      maxBytesPerPartition: 4 * 1024 * 1024,
    });
    this.admin = opts.kafka.admin();
  }

  /** Messages consumed (all, valid or not). */
  get consumed(): number {
    return this.status.consumed;
  }

  health(): KafkaWorkerHealth {
    return { ...this.status, owned: [...this.owned].sort() };
  }

  async start(): Promise<void> {
    const { consumer, opts } = this;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const owned = new Set<string>();
      for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) {
        for (const p of partitions) owned.add(partitionKey(topic, p));
      }
      opts.logger.info({ assignment: e.payload.memberAssignment }, 'partitions assigned');
      // partitions that moved away: their new owner claims them and replays from the committed offset
      opts.pipeline.release(owned);
      for (const key of [...this.lag.keys()]) if (!owned.has(key)) this.lag.delete(key);
      this.owned = owned;
      this.assignment = owned;
      this.status.state = 'running';
    });
    consumer.on(consumer.events.REBALANCING, () => {
      this.status.state = 'rebalancing';
    });
    consumer.on(consumer.events.CRASH, (e) => {
      const err = e.payload.error;
      if (e.payload.restart) {
        this.status.restarts++;
        opts.logger.warn({ err: errorMessage(err), restarts: this.status.restarts }, 'consumer crashed; kafkajs restarts it');
        return;
      }
      this.status.state = 'dead';
      this.status.crash = errorMessage(err);
      const unread = [...this.lag.entries()].filter(([, l]) => l.position < l.highWatermark).map(([k]) => k);
      opts.logger.fatal({ err: errorMessage(err), cause: errorMessage(err.cause), partitionsWithUnreadMessages: unread }, 'consumer crashed and cannot recover; stopping');
      opts.onFatal?.(err);
    });
    await this.admin.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [...opts.decoders.keys()], fromBeginning: opts.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // a partition waiting for its write in flight lets the others be decoded meanwhile
      partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.timer = setInterval(() => {
      if (!this.stopped && opts.pipeline.isDue()) this.startFlush();
    }, opts.tickMs ?? 100);
    this.heartbeatTimer = setInterval(() => {
      if (this.stopped || !opts.onHeartbeat || this.owned.size === 0) return;
      opts.onHeartbeat(this.owned).catch((err) => opts.logger.warn({ err: errorMessage(err) }, 'progress heartbeat failed'));
    }, opts.heartbeatMs ?? 1_000);
    this.offsetsTimer = setInterval(() => void this.refreshHighWatermarks(), 5_000);
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { pipeline } = this.opts;
    const decoder = this.opts.decoders.get(batch.topic);
    if (!decoder) return;
    this.heartbeat = heartbeat;
    if (this.stopped) return;
    if (this.assignment) await (this.settling ??= this.settleAssignment(this.assignment).finally(() => (this.settling = undefined)));
    const key = partitionKey(batch.topic, batch.partition);
    const lag = this.lag.get(key);
    if (lag) lag.highWatermark = Number(batch.highWatermark);
    this.status.lastBatchAtMs = Date.now();
    /** The last message taken, not yet reported to kafkajs and the lag. */
    let last: KafkaMessage | undefined;
    const report = () => {
      if (!last) return;
      resolveOffset(last.offset);
      if (lag) {
        lag.position = Number(last.offset) + 1;
        lag.lastTimestampMs = Number(last.timestamp);
        lag.lastActivityAtMs = Date.now();
      }
      last = undefined;
    };
    let sliceStartedAt = performance.now();
    // ownership changes only between awaits (a fence found by a flush, a rebalance): checked after each
    let owned = pipeline.owns(batch.topic, batch.partition);
    const position = { source: batch.topic, partition: batch.partition, offset: 0 }; // add() keeps none of it
    for (const message of batch.messages) {
      if (!owned || !isRunning() || isStale() || this.stopped || this.assignment) break; // not owned: fenced or revoked, its new owner reads it
      const items: DecodedItem[] = message.value === null
        ? [{ ok: false, signal: decoder.signal, reason: 'tombstone', detail: 'Kafka tombstone: the message value is null', raw: new Uint8Array(0) }]
        : decoder.decode(message.value);
      // key and headers are kept with dead letters only
      const extra = allValid(items) ? NO_EXTRA : { key: message.key, headers: stringHeaders(message.headers) };
      position.offset = Number(message.offset);
      pipeline.add(position, items, extra);
      this.status.consumed++;
      last = message;
      // decoding the next messages overlaps the writes of earlier batches
      if (pipeline.isFull()) this.startFlush();
      if (pipeline.isFull() && pipeline.pendingRowsOf(batch.topic, batch.partition) >= pipeline.batchMaxRows) {
        report();
        await this.waitForBacklog(batch.topic, batch.partition);
        if (this.stopped) break;
        owned = pipeline.owns(batch.topic, batch.partition);
        sliceStartedAt = performance.now();
      } else if (performance.now() - sliceStartedAt >= DECODE_SLICE_MS) {
        // let the store's answers in: each step of a flush in flight waits for this thread
        report();
        await yieldToEventLoop();
        owned = pipeline.owns(batch.topic, batch.partition);
        sliceStartedAt = performance.now();
      }
    }
    report();
    await heartbeat();
  }

  /**
   * After a (re)assignment: wait for the write in flight, write and commit what is pending
   * for partitions still owned, then claim every owned partition (fencing older owners and
   * learning where to resume) — all before a message of the new assignment is read.
   */
  private async settleAssignment(owned: Set<string>): Promise<void> {
    await this.drainInflight();
    await this.flushAndCommit();
    const topics = [...new Set([...owned].map((k) => k.slice(0, k.lastIndexOf('#'))))];
    const ends = new Map<string, number>();
    for (const topic of topics) {
      try {
        for (const p of await this.admin.fetchTopicOffsets(topic)) ends.set(partitionKey(topic, p.partition), Number(p.high));
      } catch (err) {
        this.opts.logger.warn({ topic, err: errorMessage(err) }, 'could not read log-end offsets; a recreated topic cannot be detected now');
      }
    }
    const requests = [...owned].map((key) => {
      const topic = key.slice(0, key.lastIndexOf('#'));
      const partition = Number(key.slice(key.lastIndexOf('#') + 1));
      return { source: topic, partition, signal: this.opts.decoders.get(topic)!.signal, logEndOffset: ends.get(key) };
    });
    // heartbeat while retrying or waiting for an older owner's segment: a claim that waits
    // longer than the session timeout without one would be thrown out of the group, and the
    // rebalance that follows would start the wait again
    const keepAlive = () => void this.heartbeat?.().catch(() => undefined);
    const claims = await this.opts.pipeline.claim(requests, { onRetry: keepAlive, onWaiting: keepAlive });
    for (const claim of claims) {
      const key = partitionKey(claim.source, claim.partition);
      this.lag.set(key, { position: claim.through + 1, highWatermark: ends.get(key) ?? claim.through + 1, lastTimestampMs: undefined, lastActivityAtMs: undefined });
    }
    this.opts.onClaimed?.(claims, owned);
    if (this.assignment === owned) this.assignment = undefined;
  }

  private async refreshHighWatermarks(): Promise<void> {
    if (this.stopped) return;
    const topics = [...new Set([...this.lag.keys()].map((k) => k.slice(0, k.lastIndexOf('#'))))];
    for (const topic of topics) {
      try {
        for (const p of await this.admin.fetchTopicOffsets(topic)) {
          const lag = this.lag.get(partitionKey(topic, p.partition));
          if (lag) lag.highWatermark = Math.max(lag.highWatermark, Number(p.high));
        }
      } catch {
        // next time
      }
    }
  }

  /** Backlog and activity of an owned partition (for the judges' watermarks). */
  sourceStatus(source: string, partition: number): { caughtUp: boolean; lastActivityAtMs?: number | undefined } {
    const lag = this.lag.get(partitionKey(source, partition));
    if (!lag) return { caughtUp: false };
    return { caughtUp: lag.position >= lag.highWatermark, lastActivityAtMs: lag.lastActivityAtMs };
  }

  /**
   * Consumer lag in time, ms: for partitions with unconsumed messages, how old the last
   * consumed message is (0 when caught up).
   */
  consumerLagMs(nowMs = Date.now()): number {
    let lagMs = 0;
    for (const p of this.lag.values()) {
      if (p.position < p.highWatermark && p.lastTimestampMs !== undefined) lagMs = Math.max(lagMs, nowMs - p.lastTimestampMs);
    }
    return lagMs;
  }

  /**
   * A full batch of this partition waits to be written — its previous segment is in flight,
   * or every flush slot is taken: its reader waits for flushes to finish (starting the next
   * one as soon as it can), while other partitions' readers go on
   * (partitionsConsumedConcurrently). So a partition holds at most one segment in flight
   * and one batch waiting.
   */
  private async waitForBacklog(topic: string, partition: number): Promise<void> {
    const { pipeline } = this.opts;
    while (!this.stopped && this.inflight.size > 0 && pipeline.pendingRowsOf(topic, partition) >= pipeline.batchMaxRows) {
      await Promise.race(this.inflight);
      if (pipeline.isFull()) this.startFlush();
    }
  }

  /** Starts a concurrent flush (and its commit); false when the pipeline could not start one now. */
  private startFlush(): boolean {
    const flushing = this.opts.pipeline.flushConcurrently(this.flushHooks());
    if (!flushing) return false;
    const run: Promise<void> = flushing
      .then((positions) => this.commit(positions))
      .catch((err) => this.opts.logger.error({ err: errorMessage(err) }, 'flush failed'))
      .finally(() => this.inflight.delete(run));
    this.inflight.add(run);
    return true;
  }

  private async drainInflight(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Writes the pending batch (after the flushes in flight), then commits the offsets it covers. */
  async flushAndCommit(): Promise<void> {
    const positions = await this.opts.pipeline.flush(this.flushHooks());
    await this.commit(positions);
  }

  private flushHooks() {
    return {
      onRetry: async () => {
        if (!this.paused) {
          this.paused = true;
          this.setPaused(true);
        }
        await this.heartbeat?.().catch(() => undefined);
      },
      onRecovered: () => {
        this.opts.logger.info('writes recovered; resuming consumption');
        this.paused = false;
        if (!this.stopped) this.setPaused(false);
      },
      onFenced: (keys: string[]) => {
        for (const key of keys) this.owned.delete(key);
      },
    };
  }

  /** Pauses or resumes fetching; a consumer between group generations may refuse, which is harmless. */
  private setPaused(paused: boolean): void {
    const topics = [...this.opts.decoders.keys()].map((topic) => ({ topic }));
    try {
      if (paused) this.consumer.pause(topics);
      else this.consumer.resume(topics);
    } catch (err) {
      this.opts.logger.warn({ err: errorMessage(err), paused }, 'could not change fetching state');
    }
  }

  private commit(positions: FlushedPositions): Promise<void> {
    if (positions.size === 0) return this.commits;
    const offsets = [...positions.values()].map((p) => ({ topic: p.source, partition: p.partition, offset: String(p.offset) }));
    this.commits = this.commits.then(async () => {
      try {
        await this.consumer.commitOffsets(offsets);
      } catch (err) {
        // rows are durable and marked done; the next owner resumes after them
        this.opts.logger.warn({ err: errorMessage(err), offsets }, 'offset commit failed; the progress log still says where to resume');
      }
    });
    return this.commits;
  }

  /**
   * Stops fetching, writes what is pending and commits it while still a group member,
   * then leaves the group (so the next owner starts after what was written).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of [this.timer, this.heartbeatTimer, this.offsetsTimer]) if (t) clearInterval(t);
    if (this.status.state !== 'dead') {
      this.setPaused(true);
      await this.drainInflight();
      await this.flushAndCommit();
    }
    this.status.state = 'stopped';
    await this.consumer.stop().catch(() => undefined);
    await this.consumer.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
  }
}

function allValid(items: readonly DecodedItem[]): boolean {
  for (const item of items) if (!item.ok) return false;
  return true;
}

/** Kafka headers as strings (kept with dead letters). */
function stringHeaders(headers: IHeaders | undefined): Record<string, string> | undefined {
  if (!headers) return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.map((v) => v.toString()).join(',') : value.toString();
  }
  return out;
}
