import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { describe, expect } from 'vitest';
import { createKafka } from '../../../ingest/kafka/kafka-client.ts';
import { registerKafkaCodecs } from '../../../ingest/kafka/kafka-codecs.ts';
import { startKafkaIngest } from '../../../ingest/kafka/start-kafka-ingest.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { spanJson } from '../../support/span-fixtures.ts';
import { createTopics, kafkaIt, migratedDatabase, services, uniqueName, waitFor } from '../../support/test-services.ts';

/**
 * A dead consumer must not keep the process alive (issue "Intake that nothing stops",
 * item 3): a crash kafkajs will not restart reaches `onFatal` (sluice ingest then exits
 * non-zero) and health says the consumer is dead; a fatal start-up error exits non-zero
 * with a message naming the cause.
 */

const CLI = fileURLToPath(new URL('../../../bin/sluice.ts', import.meta.url));
const { CompressionCodecs, CompressionTypes } = kafkajs;

// gzip batches of this process decompress damaged (the broker refuses corrupt batches on
// produce, so the damage is done on the way in; the codec table is per process)
registerKafkaCodecs();
const codecs = CompressionCodecs as unknown as Record<number, () => { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }>;
const gzip = codecs[CompressionTypes.GZIP]!();
codecs[CompressionTypes.GZIP] = () => ({ compress: (e) => gzip.compress(e), decompress: (b) => gzip.decompress(Buffer.from(b).fill(0x5a, 0, 32)) });

describe('a dead consumer', () => {
  kafkaIt('a batch that cannot be decompressed kills the consumer: onFatal is called and health reports it dead', async (brokers) => {
    const { client } = await migratedDatabase('fatal');
    const kafka = createKafka({ brokers, clientId: uniqueName('fatal'), logger: silentLogger() });
    const topic = uniqueName('spans_fatal');
    await createTopics(kafka, [{ topic, numPartitions: 1 }]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, compression: CompressionTypes.GZIP, messages: Array.from({ length: 50 }, (_, i) => ({ value: JSON.stringify(spanJson(i)) })) });
    await producer.disconnect();
    const fatal: Error[] = [];
    const ingest = await startKafkaIngest({
      brokers, clientId: uniqueName('w'), groupId: uniqueName('g'), routes: [{ topic, signal: 'spans', encoding: 'json' }], deadLetterTopic: `${topic}.dlq`,
      clickhouse: client, logger: silentLogger(), batchMaxRows: 100, batchMaxDelayMs: 100, maxMessageBytes: 65_536,
      onFatal: (err) => void fatal.push(err),
    });
    try {
      await waitFor(() => fatal.length > 0, 30_000, 'the fatal crash');
      expect(fatal[0]!.message).toMatch(/cannot decompress a gzip record batch/);
      expect(ingest.worker.health()).toMatchObject({ state: 'dead', crash: expect.stringMatching(/gzip/) });
    } finally {
      await ingest.stop();
      await client.close();
    }
  });

  kafkaIt('sluice ingest exits non-zero at start-up on a topic name Kafka refuses, naming it', async (brokers) => {
    const r = spawnSync(process.execPath, [CLI, 'ingest'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...process.env,
        KAFKA_BROKERS: brokers.join(','),
        CLICKHOUSE_URL: services().clickhouseUrl,
        CLICKHOUSE_PASSWORD: services().clickhousePassword,
        CLICKHOUSE_DATABASE: uniqueName('t_fatal'),
        SLUICE_TOPIC_SPANS: 'not a valid topic!',
        SLUICE_HTTP_PORT: '0',
      },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/start-up failed/);
    expect(r.stderr).toMatch(/not a valid topic!|INVALID_TOPIC|invalid/i);
  });
});
