import type { Admin, Consumer, EachBatchPayload, IHeaders, Kafka } from 'kafkajs';
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
  /** The flush being written, if any: at most one is in flight while the next batch is decoded. */
  private inflight: Promise<void> | undefined;
  private heartbeat: (() => Promise<void>) | undefined;
  private paused = false;
  private stopped = false;
  /** Assignment to settle (claim) before the next message is read. */
  private assignment: Set<string> | undefined;
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
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.timer = setInterval(() => {
      if (!this.stopped && !this.inflight && opts.pipeline.isDue()) this.startFlush();
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
    if (this.assignment) await this.settleAssignment(this.assignment);
    const key = partitionKey(batch.topic, batch.partition);
    const lag = this.lag.get(key);
    if (lag) lag.highWatermark = Number(batch.highWatermark);
    this.status.lastBatchAtMs = Date.now();
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || this.stopped || this.assignment) break;
      if (!pipeline.owns(batch.topic, batch.partition)) break; // fenced or revoked: its new owner reads it
      const offset = Number(message.offset);
      const items: DecodedItem[] = message.value === null
        ? [{ ok: false, signal: decoder.signal, reason: 'tombstone', detail: 'Kafka tombstone: the message value is null', raw: new Uint8Array(0) }]
        : decoder.decode(message.value);
      pipeline.add({ source: batch.topic, partition: batch.partition, offset }, items, { key: message.key, headers: stringHeaders(message.headers) });
      this.status.consumed++;
      resolveOffset(message.offset);
      if (lag) {
        lag.position = offset + 1;
        lag.lastTimestampMs = Number(message.timestamp);
        lag.lastActivityAtMs = Date.now();
      }
      if (pipeline.isFull()) {
        // decoding the next messages overlaps the write of this batch; one write in flight at most
        await this.inflight;
        if (this.stopped) break;
        this.startFlush();
      }
    }
    await heartbeat();
  }

  /**
   * After a (re)assignment: wait for the write in flight, write and commit what is pending
   * for partitions still owned, then claim every owned partition (fencing older owners and
   * learning where to resume) — all before a message of the new assignment is read.
   */
  private async settleAssignment(owned: Set<string>): Promise<void> {
    await this.inflight;
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
    const claims = await this.opts.pipeline.claim(requests, { onRetry: () => this.heartbeat?.().catch(() => undefined) });
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

  private startFlush(): void {
    const run = this.flushAndCommit()
      .catch((err) => this.opts.logger.error({ err: errorMessage(err) }, 'flush failed'))
      .finally(() => {
        if (this.inflight === run) this.inflight = undefined;
      });
    this.inflight = run;
  }

  /** Writes the pending batch, then commits the offsets it covers. */
  async flushAndCommit(): Promise<void> {
    const positions = await this.opts.pipeline.flush({
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
      onFenced: (keys) => {
        for (const key of keys) this.owned.delete(key);
      },
    });
    await this.commit(positions);
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

  private async commit(positions: FlushedPositions): Promise<void> {
    if (positions.size === 0) return;
    const offsets = [...positions.values()].map((p) => ({ topic: p.source, partition: p.partition, offset: String(p.offset) }));
    try {
      await this.consumer.commitOffsets(offsets);
    } catch (err) {
      // rows are durable and marked done; the next owner resumes after them
      this.opts.logger.warn({ err: errorMessage(err), offsets }, 'offset commit failed; the progress log still says where to resume');
    }
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
      await this.inflight;
      await this.flushAndCommit();
    }
    this.status.state = 'stopped';
    await this.consumer.stop().catch(() => undefined);
    await this.consumer.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
  }
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
