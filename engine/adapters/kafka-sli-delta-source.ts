import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { errorMessage, SluiceError } from '../../platform/errors/sluice-error.ts';
import { decodeSliTopicMessage } from '../../schema/kafka/sli-delta-message.ts';
import type { SliSignal } from '../core/sli/indicator-strategy.ts';
import type { SliHistory } from './sli-history.ts';
import type { SloJudge } from './slo-judge.ts';
import type { ExpectedSource } from './source-progress-table.ts';

export interface KafkaSliDeltaSourceOptions {
  kafka: Kafka;
  /** The judges' consumer group (`<KAFKA_GROUP_ID>-judges` by default). */
  groupId: string;
  /** The SLI-delta topic. */
  topic: string;
  judge: SloJudge;
  logger: Logger;
  /** Raw topics whose events feed SLIs: each of their partitions holds every lane's watermark back until it reports. */
  upstream: readonly { topic: string; signal: SliSignal }[];
  /** Durable progress of the upstream partitions (shown until they report). */
  history?: SliHistory;
  /** Called when the consumer crashed beyond kafkajs' own restarts (the process should exit non-zero). */
  onFatal?: (err: Error) => void;
}

/** Counts of the topic's messages that could not be used. */
export interface KafkaSliDeltaSourceMetrics {
  messages: number;
  /** Messages that are not valid SLI-delta topic messages (logged and skipped). */
  malformed: number;
  commits: number;
}

/**
 * Cluster-mode ownership of SLOs (docs/time-and-ownership.md): a member of the judges'
 * consumer group on the SLI-delta topic. The partitions Kafka assigns are this judge's
 * lanes, and it judges exactly the SLOs whose `sloPartition(name, P)` is one of them, so
 * each SLO has one judge however many `sluice ingest` processes run. On every assignment
 * the judge drops the SLOs of lanes it lost and restores those of lanes it gained (state,
 * buckets and applied positions from ClickHouse). Each batch of messages is applied in
 * order, evaluated, published and persisted before its offset is committed.
 */
export class KafkaSliDeltaSource {
  readonly metrics: KafkaSliDeltaSourceMetrics = { messages: 0, malformed: 0, commits: 0 };
  private readonly opts: KafkaSliDeltaSourceOptions;
  private readonly consumer: Consumer;
  private lanes: number[] = [];
  private restored: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(opts: KafkaSliDeltaSourceOptions) {
    this.opts = opts;
    this.consumer = opts.kafka.consumer({ groupId: opts.groupId, sessionTimeout: 30_000, heartbeatInterval: 3_000 });
  }

  /**
   * Partition count of the SLI-delta topic: SLO ownership depends on it, so judges and
   * producers read it from the topic itself (an error when the topic does not exist).
   */
  static async partitionsOf(kafka: Kafka, topic: string): Promise<number> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      const partitions = meta.topics[0]?.partitions.length ?? 0;
      if (partitions < 1) throw new SluiceError('SLI_DELTA_TOPIC_MISSING', `SLI-delta topic ${topic} has no partitions (SLUICE_TOPIC_SLI_DELTAS)`);
      return partitions;
    } finally {
      await admin.disconnect();
    }
  }

  /** The lanes (SLI-delta topic partitions) this judge owns now. */
  assignedLanes(): number[] {
    return [...this.lanes];
  }

  /** Resolves once the SLOs of the latest assignment are restored. */
  ready(): Promise<void> {
    return this.restored;
  }

  async start(): Promise<void> {
    const { consumer, opts } = this;
    opts.judge.expectSources(await this.upstreamSources());
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.lanes = [...(e.payload.memberAssignment[opts.topic] ?? [])].sort((a, b) => a - b);
      opts.logger.info({ lanes: this.lanes }, 'SLI-delta partitions assigned: judging their SLOs');
      this.restored = opts.judge.assignLanes(this.lanes);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (e.payload.restart) {
        opts.logger.warn({ err: errorMessage(e.payload.error) }, 'judge consumer crashed; kafkajs restarts it');
        return;
      }
      opts.logger.fatal({ err: errorMessage(e.payload.error) }, 'judge consumer crashed and cannot recover');
      opts.onFatal?.(e.payload.error);
    });
    await consumer.connect();
    // from the beginning for a new group: what ClickHouse holds is restored, the rest is skipped by position
    await consumer.subscribe({ topic: opts.topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.onBatch(payload) });
  }

  /** Leaves the group after the batch in hand is published, persisted and committed. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer.stop();
    await this.consumer.disconnect();
  }

  private async onBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
    const lane = batch.partition;
    let last: string | undefined;
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || this.stopped) break;
      this.metrics.messages++;
      const decoded = decodeSliTopicMessage(message.value ?? new Uint8Array(0));
      if (!decoded.ok) {
        this.metrics.malformed++;
        this.opts.logger.warn({ partition: lane, offset: message.offset, error: decoded.error }, 'malformed SLI-delta message skipped');
      } else if (decoded.message.type === 'delta') {
        const { sloName, position, buckets } = decoded.message;
        this.opts.judge.applyDelta({ sloName, position, buckets });
      } else {
        const { type: _type, v: _v, ...progress } = decoded.message;
        this.opts.judge.applyProgress(progress, lane);
      }
      resolveOffset(message.offset);
      last = message.offset;
    }
    if (last === undefined) return;
    // evaluated, published and persisted before the offset is committed; keep the group
    // membership alive while a publisher or ClickHouse is retried
    const beat = setInterval(() => void heartbeat().catch(() => undefined), 3_000);
    try {
      this.opts.judge.tick();
      await this.opts.judge.settle();
    } finally {
      clearInterval(beat);
    }
    try {
      await this.consumer.commitOffsets([{ topic: this.opts.topic, partition: lane, offset: String(BigInt(last) + 1n) }]);
      this.metrics.commits++;
    } catch (err) {
      // the state is persisted: a replay from the older offset skips what was applied
      this.opts.logger.warn({ err: errorMessage(err), partition: lane }, 'judge offset commit failed; the messages will be read again and skipped');
    }
    await heartbeat();
  }

  /** Every partition of the upstream topics (with its durable progress, when known). */
  private async upstreamSources(): Promise<ExpectedSource[]> {
    const { opts } = this;
    const admin = opts.kafka.admin();
    await admin.connect();
    const out: ExpectedSource[] = [];
    try {
      const existing = new Set(await admin.listTopics());
      const topics = opts.upstream.filter((u) => existing.has(u.topic));
      if (topics.length === 0) return [];
      const meta = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
      for (const t of meta.topics) {
        const signal = topics.find((u) => u.topic === t.name)!.signal;
        for (const p of t.partitions) out.push({ source: t.name, partition: p.partitionId, signal });
      }
    } finally {
      await admin.disconnect();
    }
    const durable = opts.history ? await opts.history.loadProgress().catch((err) => {
      opts.logger.warn({ err: errorMessage(err) }, 'could not read ingest_progress; sources start unknown');
      return [];
    }) : [];
    return out.map((s) => {
      const d = durable.find((p) => p.source === s.source && p.partition === s.partition && p.signal === s.signal);
      return d === undefined ? s : { ...s, hi: d.hi, maxEventTimeMs: d.maxEventTimeMs };
    });
  }
}
