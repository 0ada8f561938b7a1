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
