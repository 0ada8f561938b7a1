import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import type { Encoding } from '../decode/decoder-registry.ts';
import { createDecoder } from '../decode/decoder-registry.ts';
import type { Decoder } from '../decode/decoder.ts';
import type { BatchParticipant } from '../pipeline/batch-participant.ts';
import { IngestMetrics } from '../pipeline/ingest-metrics.ts';
import { IngestPipeline, type RowSampler } from '../pipeline/ingest-pipeline.ts';
import { ClickHouseRowWriter } from '../sink/clickhouse-row-writer.ts';
import type { Signal } from '../../schema/events/v1/signal.ts';
import type { Kafka } from 'kafkajs';
import { createKafka } from './kafka-client.ts';
import { KafkaDeadLetterPublisher } from './kafka-dead-letter-publisher.ts';
import { KafkaIngestWorker } from './kafka-ingest-worker.ts';

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
  /** Other topics this process writes (e.g. the breach topic), created if missing. */
  extraTopics?: string[];
  /** Called after every (re)assignment of partitions (e.g. to resync the SLI engine). */
  onAssigned?: (owned: ReadonlySet<string>) => void;
}

/**
 * Creates missing topics (4 partitions; replication 1 on a single broker, else the
 * broker default), so a worker can start before any producer has written: subscribing
 * to a missing topic fails in kafkajs.
 */
export async function ensureTopics(kafka: Kafka, topics: string[], logger: Logger): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    const { brokers } = await admin.describeCluster();
    await admin.createTopics({
      topics: missing.map((topic) => ({ topic, numPartitions: 4, replicationFactor: Math.min(3, brokers.length) })),
      waitForLeaders: true,
    });
    logger.info({ topics: missing }, 'created missing topics');
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
export async function startKafkaIngest(opts: KafkaIngestOptions): Promise<KafkaIngest> {
  const kafka = createKafka({ brokers: opts.brokers, clientId: opts.clientId, logger: opts.logger });
  await ensureTopics(kafka, [...opts.routes.map((r) => r.topic), opts.deadLetterTopic, ...(opts.extraTopics ?? [])], opts.logger);
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  const metrics = new IngestMetrics();
  const pipeline = new IngestPipeline({
    writer: new ClickHouseRowWriter(opts.clickhouse),
    metrics,
    logger: opts.logger.child({ component: 'ingest-pipeline' }),
    now: Date.now,
    batchMaxRows: opts.batchMaxRows,
    batchMaxDelayMs: opts.batchMaxDelayMs,
    deadLetterPublisher: new KafkaDeadLetterPublisher(producer, opts.deadLetterTopic),
    ...(opts.sampler ? { sampler: opts.sampler } : {}),
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
    ...(opts.onAssigned ? { onAssigned: opts.onAssigned } : {}),
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
