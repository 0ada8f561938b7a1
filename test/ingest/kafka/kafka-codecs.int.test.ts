import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { createKafka } from '../../../ingest/kafka/kafka-client.ts';
import { registerKafkaCodecs } from '../../../ingest/kafka/kafka-codecs.ts';
import { startKafkaIngest, type KafkaIngest } from '../../../ingest/kafka/start-kafka-ingest.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { spanJson } from '../../support/span-fixtures.ts';
import { countRows, createTopics, kafkaIt, migratedDatabase, uniqueName, waitFor } from '../../support/test-services.ts';

const { CompressionCodecs, CompressionTypes } = kafkajs;

/** Spans per codec and producer; sent 1,000 at a time, so a partition's batch is ~70 KiB (several snappy chunks, lz4 blocks). */
const MESSAGES = 4_000;

const CODECS = [
  { codec: 'gzip', id: CompressionTypes.GZIP },
  { codec: 'snappy', id: CompressionTypes.Snappy },
  { codec: 'lz4', id: CompressionTypes.LZ4 },
  { codec: 'zstd', id: CompressionTypes.ZSTD },
];

interface PluggedCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}
const codecTable = CompressionCodecs as unknown as Record<number, () => PluggedCodec>;

/**
 * Batches decompressed per codec id in this process, so a test can tell that its messages
 * really arrived compressed. The registered codecs are wrapped, not replaced; createKafka's
 * registerKafkaCodecs() finds them registered and keeps them.
 */
const decompressedBatches = new Map<number, number>();
registerKafkaCodecs();
for (const { id } of CODECS) {
  const plugged = codecTable[id]!();
  const counted: PluggedCodec = {
    compress: (encoder) => plugged.compress(encoder),
    decompress: (buffer) => {
      decompressedBatches.set(id, (decompressedBatches.get(id) ?? 0) + 1);
      return plugged.decompress(buffer);
    },
  };
  codecTable[id] = () => counted;
}

/** Where scripts/kafka-start.sh caches the Kafka jars (the Java producer's classpath). */
function kafkaLibs(): string {
  const cache = process.env.SLUICE_CACHE_DIR ?? path.join(homedir(), '.cache', 'sluice');
  return path.join(cache, `kafka-${process.env.KAFKA_VERSION ?? '3.9.1'}`, 'libs');
}

/** Runs Kafka's own Java producer (kafka.tools.ConsoleProducer), one message a line. */
async function javaProduce(brokers: string[], topic: string, codec: string, lines: string[]): Promise<void> {
  const libs = kafkaLibs();
  if (!existsSync(path.join(libs, '.complete'))) {
    throw new Error(`Kafka's Java jars are not in ${libs}: run scripts/kafka-start.sh once (it fetches and caches them there)`);
  }
  const child = spawn('java', [
    '-cp', `${libs}/*`, '-Dlog4j.configuration=file:/dev/null',
    'kafka.tools.ConsoleProducer', '--bootstrap-server', brokers.join(','), '--topic', topic,
    '--compression-codec', codec, '--producer-property', 'batch.size=262144', '--producer-property', 'linger.ms=20',
  ], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT'
      ? new Error('java not found: the Java interop test needs Java 17+ (apt-get install -y openjdk-17-jre-headless; .ci/run installs it)')
      : err));
    child.on('exit', resolve);
  });
  child.stdin.end(lines.map((l) => `${l}\n`).join(''));
  const code = await exited;
  if (code !== 0) throw new Error(`Java ConsoleProducer (${codec}) exited with ${code}: ${stderr.slice(-2_000)}`);
}

const spanLines = () => Array.from({ length: MESSAGES }, (_, i) => JSON.stringify(spanJson(i)));

describe('every Kafka compression codec through the ingest worker, on the real broker', () => {
  let client: ClickHouseClient;
  const running: KafkaIngest[] = [];

  beforeAll(async () => {
    ({ client } = await migratedDatabase('codecs'));
  });
  afterAll(async () => {
    await Promise.all(running.map((r) => r.stop().catch(() => undefined)));
    await client?.close();
  });

  async function newTopic(brokers: string[]): Promise<string> {
    const topic = uniqueName('codec');
    await createTopics(createKafka({ brokers, clientId: uniqueName('admin'), logger: silentLogger() }), [
      { topic, numPartitions: 4 },
      { topic: `${topic}.dlq`, numPartitions: 1 },
    ]);
    return topic;
  }

  /**
   * Runs sluice's ingest worker on `topic` until `MESSAGES` rows are in ClickHouse (or 30 s
   * pass); returns what it counted. The worker is stopped after the last test: a kafkajs
   * consumer's stop waits out its fetch in flight (up to 5 s).
   */
  async function ingest(brokers: string[], topic: string): Promise<{ rows: number; deadLetters: number; consumed: number }> {
    const worker = await startKafkaIngest({
      brokers,
      clientId: uniqueName('worker'),
      groupId: uniqueName('group'),
      routes: [{ topic, signal: 'spans', encoding: 'json' }],
      deadLetterTopic: `${topic}.dlq`,
      clickhouse: client,
      logger: silentLogger(),
      batchMaxRows: 1_000,
      batchMaxDelayMs: 200,
      maxMessageBytes: 16_384,
    });
    running.push(worker);
    const rows = () => countRows(client, 'SELECT count() FROM spans_raw WHERE source = {t:String}', { t: topic });
    await waitFor(async () => (await rows()) >= MESSAGES, 30_000, `${MESSAGES} rows from ${topic}`).catch(() => undefined);
    return {
      rows: await rows(),
      deadLetters: await countRows(client, 'SELECT count() FROM dead_letters WHERE source = {t:String}', { t: topic }),
      consumed: worker.worker.consumed,
    };
  }

  describe.each(CODECS)('$codec', ({ codec, id }) => {
    kafkaIt(`kafkajs producer: ${MESSAGES} ${codec} spans produced, ${MESSAGES} rows counted`, async (brokers) => {
      const topic = await newTopic(brokers);
      const producer = createKafka({ brokers, clientId: uniqueName('producer'), logger: silentLogger() }).producer();
      await producer.connect();
      const lines = spanLines();
      for (let i = 0; i < lines.length; i += 1_000) {
        await producer.send({ topic, compression: id, messages: lines.slice(i, i + 1_000).map((value, j) => ({ key: `k${(i + j) % 7}`, value })) });
      }
      await producer.disconnect();

      const before = decompressedBatches.get(id) ?? 0;
      const counted = await ingest(brokers, topic);
      console.log(`[codecs] kafkajs ${codec}: produced ${MESSAGES}, counted ${counted.rows} rows (${(decompressedBatches.get(id) ?? 0) - before} ${codec} batches decompressed)`);
      expect(counted).toEqual({ rows: MESSAGES, deadLetters: 0, consumed: MESSAGES });
      expect(decompressedBatches.get(id) ?? 0).toBeGreaterThan(before);
    });

    kafkaIt(`Java producer (Kafka's ConsoleProducer): ${MESSAGES} ${codec} spans produced, ${MESSAGES} rows counted`, async (brokers) => {
      const topic = await newTopic(brokers);
      await javaProduce(brokers, topic, codec, spanLines());

      const before = decompressedBatches.get(id) ?? 0;
      const counted = await ingest(brokers, topic);
      console.log(`[codecs] Java ${codec}: produced ${MESSAGES}, counted ${counted.rows} rows (${(decompressedBatches.get(id) ?? 0) - before} ${codec} batches decompressed)`);
      expect(counted).toEqual({ rows: MESSAGES, deadLetters: 0, consumed: MESSAGES });
      expect(decompressedBatches.get(id) ?? 0).toBeGreaterThan(before);
    });
  });

  // The Java side of reading what kafkajs writes: the broker decompresses every compressed
  // batch it appends (LogValidator, with the Java client's codecs; its log shows e.g.
  // snappy-java's FAILED_TO_UNCOMPRESS for a bad one), so the batches the tests above
  // produced were read by Java's decoders. Shown here: a batch is accepted with the real
  // codec and refused when its bytes are not what its codec id says.
  describe.each(CODECS.filter((c) => c.codec !== 'gzip'))('$codec', ({ codec, id }) => {
    kafkaIt(`the broker decompresses what kafkajs writes: accepts a real ${codec} batch, refuses a fake one`, async (brokers) => {
      const topic = await newTopic(brokers);
      const producer = createKafka({ brokers, clientId: uniqueName('producer'), logger: silentLogger() }).producer({ retry: { retries: 0 } });
      await producer.connect();
      const real = codecTable[id]!;
      try {
        await producer.send({ topic, compression: id, acks: -1, messages: [{ value: JSON.stringify(spanJson(0)) }] });
        codecTable[id] = () => ({ compress: () => Promise.resolve(Buffer.from('these bytes are not compressed by any codec')), decompress: (b) => Promise.resolve(b) });
        await expect(producer.send({ topic, compression: id, acks: -1, messages: [{ value: JSON.stringify(spanJson(1)) }] }))
          .rejects.toMatchObject({ name: 'KafkaJSProtocolError', type: 'UNKNOWN', retriable: false });
      } finally {
        codecTable[id] = real;
        await producer.disconnect();
      }
    });
  });
});
