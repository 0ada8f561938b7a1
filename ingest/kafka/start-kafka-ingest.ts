import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import type { Encoding } from '../decode/decoder-registry.ts';
import { createDecoder } from '../decode/decoder-registry.ts';
import type { Decoder } from '../decode/decoder.ts';
import type { BatchParticipant } from '../pipeline/batch-participant.ts';
import { IngestMetrics } from '../pipeline/ingest-metrics.ts';
import { IngestPipeline, type RowSampler, type TimeBounds } from '../pipeline/ingest-pipeline.ts';
import { ClickHouseRowWriter } from '../sink/clickhouse-row-writer.ts';
import type { Signal } from '../../schema/events/v1/signal.ts';
import type { Kafka } from 'kafkajs';
import { createKafka } from './kafka-client.ts';
import { KafkaDeadLetterPublisher } from './kafka-dead-letter-publisher.ts';
import { KafkaIngestWorker } from './kafka-ingest-worker.ts';
import { hostname } from 'node:os';
import { ClickHouseProgressStore } from '../pipeline/partition-progress.ts';
import type { PartitionClaim } from '../pipeline/partition-claim.ts';

export interface KafkaIngestOptions {
  brokers: string[];
  clientId: string;
  groupId: string;
  routes: { topic: string; signal: Signal; encoding: Encoding }[];
  deadLetterTopic: string;
  clickhouse: ClickHouseClient;
  logger: Logger;
  batchMaxRows: number;
  batchMaxDelayMs: number;
  maxMessageBytes: number;
  sampler?: RowSampler;
  participants?: BatchParticipant[];
  timeBounds?: TimeBounds;
  /** Other topics this process writes (e.g. the breach topic), created if missing. */
  extraTopics?: TopicSpec[];
  /** After partitions were claimed (e.g. to register them as sources of the judges' watermarks). */
  onClaimed?: (claims: PartitionClaim[], owned: ReadonlySet<string>) => void;
  /** Every second: report the owned partitions' progress, idle ones too. */
  onHeartbeat?: (owned: ReadonlySet<string>) => Promise<void>;
  /** The consumer crashed beyond recovery: the process should exit non-zero. */
  onFatal?: (err: Error) => void;
  /** Consumer session timeout, ms. */
  sessionTimeoutMs?: number;
  /** Who this worker is (on progress rows); default host:pid. */
  writerId?: string;
}

/** A topic to create when missing: its name, and optionally its own partition count and configs. */
export type TopicSpec = string | { topic: string; numPartitions: number; configEntries?: { name: string; value: string }[] };

/**
 * Creates missing topics (4 partitions unless the spec says otherwise; replication 1 on a
 * single broker, else up to 3), so a worker can start before any producer has written:
 * subscribing to a missing topic fails in kafkajs. An invalid topic name fails start-up.
 */
export async function ensureTopics(kafka: Kafka, topics: TopicSpec[], logger: Logger): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const specs = new Map<string, Exclude<TopicSpec, string>>();
    for (const t of topics) {
      const spec = typeof t === 'string' ? { topic: t, numPartitions: 4 } : t;
      if (!existing.has(spec.topic) && !specs.has(spec.topic)) specs.set(spec.topic, spec);
    }
    if (specs.size === 0) return;
    const { brokers } = await admin.describeCluster();
    await admin.createTopics({
      topics: [...specs.values()].map((s) => ({ ...s, replicationFactor: Math.min(3, brokers.length) })),
      waitForLeaders: true,
    });
    logger.info({ topics: [...specs.keys()] }, 'created missing topics');
  } finally {
    await admin.disconnect();
  }
}

export interface KafkaIngest {
  worker: KafkaIngestWorker;
  pipeline: IngestPipeline;
  metrics: IngestMetrics;
  stop(): Promise<void>;
}

/** Wires decoders, pipeline, ClickHouse writer and dead-letter producer into a running ingest worker. */
export async function startKafkaIngest(opts: KafkaIngestOptions & { kafka?: Kafka }): Promise<KafkaIngest> {
  const kafka = opts.kafka ?? createKafka({ brokers: opts.brokers, clientId: opts.clientId, logger: opts.logger });
  await ensureTopics(kafka, [...opts.routes.map((r) => r.topic), opts.deadLetterTopic, ...(opts.extraTopics ?? [])], opts.logger);
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  const metrics = new IngestMetrics();
  const pipeline = new IngestPipeline({
    writer: new ClickHouseRowWriter(opts.clickhouse),
    progress: new ClickHouseProgressStore(opts.clickhouse),
    writerId: opts.writerId ?? `${hostname()}:${process.pid}`,
    metrics,
    logger: opts.logger.child({ component: 'ingest-pipeline' }),
    now: Date.now,
    batchMaxRows: opts.batchMaxRows,
    batchMaxDelayMs: opts.batchMaxDelayMs,
    deadLetterPublisher: new KafkaDeadLetterPublisher(producer, opts.deadLetterTopic),
    ...(opts.sampler ? { sampler: opts.sampler } : {}),
    ...(opts.timeBounds ? { timeBounds: opts.timeBounds } : {}),
    ...(opts.participants ? { participants: opts.participants } : {}),
  });
  const decoders = new Map<string, Decoder>(
    opts.routes.map((r) => [r.topic, createDecoder(r.signal, r.encoding, opts.maxMessageBytes)]),
  );
  const worker = new KafkaIngestWorker({
    kafka,
    groupId: opts.groupId,
    decoders,
    pipeline,
    logger: opts.logger.child({ component: 'kafka-ingest' }),
    ...(opts.onClaimed ? { onClaimed: opts.onClaimed } : {}),
    ...(opts.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: opts.sessionTimeoutMs } : {}),
    ...(opts.onHeartbeat ? { onHeartbeat: opts.onHeartbeat } : {}),
    ...(opts.onFatal ? { onFatal: opts.onFatal } : {}),
  });
  await worker.start();
  return {
    worker,
    pipeline,
    metrics,
    async stop() {
      await worker.stop();
      await producer.disconnect();
    },
  };
}
