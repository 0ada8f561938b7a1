import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { errorMessage } from '../../platform/errors/sluice-error.ts';
import type { Decoder } from '../decode/decoder.ts';
import type { FlushedPositions, IngestPipeline } from '../pipeline/ingest-pipeline.ts';
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
  /**
   * Called after every (re)assignment of partitions, once this worker's earlier writes are
   * durable and before the first message of the new assignment is counted (awaited).
   */
  onAssigned?: (owned: ReadonlySet<string>) => Promise<void> | void;
}

/**
 * A member of the ingest consumer group. Decodes each message, hands the items to the
 * pipeline, and commits a partition's offset only after the pipeline has made every row
 * up to it durable. While ClickHouse is unreachable the pipeline retries; the worker
 * pauses fetching and keeps heart-beating so it stays in the group.
 */
export class KafkaIngestWorker {
  private readonly opts: KafkaIngestWorkerOptions;
  private readonly consumer: Consumer;
  private timer: NodeJS.Timeout | undefined;
  /** The flush being written, if any: at most one is in flight while the next batch is decoded. */
  private inflight: Promise<void> | undefined;
  private heartbeat: (() => Promise<void>) | undefined;
  private paused = false;
  private stopped = false;
  /** Partitions of the latest assignment, until the first batch after it has settled them. */
  private rejoined: Set<string> | undefined;
  /** Messages consumed (all, valid or not). */
  consumed = 0;
  /** Per partition: messages behind the high watermark, and the last consumed message's timestamp (epoch ms). */
  private readonly lag = new Map<string, { messages: number; lastTimestampMs: number }>();

  constructor(opts: KafkaIngestWorkerOptions) {
    this.opts = opts;
    this.consumer = opts.kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: 4 * 1024 * 1024,
    });
  }

  async start(): Promise<void> {
    const { consumer, opts } = this;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const owned = new Set<string>();
      for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) {
        for (const p of partitions) owned.add(partitionKey(topic, p));
      }
      opts.logger.info({ assignment: e.payload.memberAssignment }, 'partitions assigned');
      // partitions that moved away: their new owner replays them from the committed offset
      opts.pipeline.retainPartitions(owned);
      for (const key of [...this.lag.keys()]) if (!owned.has(key)) this.lag.delete(key);
      // kafkajs refetches every partition from its committed offset after a rejoin; the
      // first batch settles writes in flight before anything is counted again
      this.rejoined = owned;
    });
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
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { pipeline } = this.opts;
    const decoder = this.opts.decoders.get(batch.topic);
    if (!decoder) return;
    this.heartbeat = heartbeat;
    if (this.stopped) return;
    if (this.rejoined) await this.settleAssignment(this.rejoined);
    await pipeline.prepare(batch.topic, batch.partition, decoder.signal, { onRetry: () => heartbeat().catch(() => undefined) });
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || this.stopped) break;
      const bytes = message.value ?? new Uint8Array(0);
      pipeline.add({ source: batch.topic, partition: batch.partition, offset: Number(message.offset) }, decoder.decode(bytes));
      this.consumed++;
      resolveOffset(message.offset);
      this.lag.set(partitionKey(batch.topic, batch.partition), {
        messages: Math.max(0, Number(batch.highWatermark) - Number(message.offset) - 1),
        lastTimestampMs: Number(message.timestamp),
      });
      if (pipeline.isFull()) {
        // decoding the next batch overlaps the write of this one (ClickHouse works
        // elsewhere: another process, or chdb's worker thread); one write in flight at most
        await this.inflight;
        if (this.stopped) break;
        this.startFlush();
      }
    }
    await heartbeat();
  }

  /**
   * After a (re)assignment: wait for the write in flight, write what is pending for the
   * partitions still owned, forget which positions were durable (the refetch from the
   * committed offsets is then skipped exactly where writes landed), and let the owner
   * resync derived state (the SLI engine's buckets) — all before counting resumes.
   */
  private async settleAssignment(owned: Set<string>): Promise<void> {
    await this.inflight;
    await this.flushAndCommit();
    this.opts.pipeline.forgetDurable();
    if (this.rejoined === owned) this.rejoined = undefined;
    await this.opts.onAssigned?.(owned);
  }

  /**
   * Consumer lag in time, ms: for partitions with unconsumed messages, how old the last
   * consumed message is (0 when caught up). Feeds SLO freshness.
   */
  consumerLagMs(nowMs = Date.now()): number {
    let lagMs = 0;
    for (const p of this.lag.values()) if (p.messages > 0) lagMs = Math.max(lagMs, nowMs - p.lastTimestampMs);
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
    const offsets = [...positions.values()].map((p) => ({ topic: p.source, partition: p.partition, offset: String(p.offset + 1) }));
    try {
      await this.consumer.commitOffsets(offsets);
    } catch (err) {
      // rows are durable; after a rebalance the new owner replays and skips them
      this.opts.logger.warn({ err: errorMessage(err), offsets }, 'offset commit failed; replayed positions will be skipped');
    }
  }

  /**
   * Stops fetching, writes what is pending and commits it while still a group member,
   * then leaves the group (so the next owner starts after what was written).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.setPaused(true);
    await this.inflight;
    await this.flushAndCommit();
    await this.consumer.stop();
    await this.consumer.disconnect();
  }
}
