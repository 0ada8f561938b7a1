import kafkajs, { type ConsumerCrashEvent } from 'kafkajs';
import { describe, expect } from 'vitest';
import { createKafka } from '../../../ingest/kafka/kafka-client.ts';
import { registerKafkaCodecs } from '../../../ingest/kafka/kafka-codecs.ts';
import { SluiceError } from '../../../platform/errors/sluice-error.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { createTopics, kafkaIt, uniqueName, waitFor } from '../../support/test-services.ts';

const { CompressionCodecs, CompressionTypes } = kafkajs;

interface PluggedCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}
const codecTable = CompressionCodecs as unknown as Record<number, () => PluggedCodec>;

const CODECS = [
  { codec: 'gzip', id: CompressionTypes.GZIP },
  { codec: 'snappy', id: CompressionTypes.Snappy },
  { codec: 'lz4', id: CompressionTypes.LZ4 },
  { codec: 'zstd', id: CompressionTypes.ZSTD },
];

/**
 * What a consumer sees when a fetched batch does not decompress. The broker refuses
 * corrupt batches on produce, so the bytes are damaged on the way in: this file's codecs
 * overwrite 32 bytes at the start of each compressed batch and then decompress with the
 * real codec (this process only; kafkajs' codec table is per process).
 */
registerKafkaCodecs();
for (const { id } of CODECS) {
  const real = codecTable[id]!();
  const damaging: PluggedCodec = {
    compress: (encoder) => real.compress(encoder),
    decompress: (buffer) => real.decompress(Buffer.from(buffer).fill(0x5a, 0, 32)),
  };
  codecTable[id] = () => damaging;
}

describe('a batch that does not decompress stops the consumer with a clear error', () => {
  describe.each(CODECS)('$codec', ({ codec, id }) => {
    kafkaIt(`crashes the consumer at once, without restart, with KAFKA_BATCH_UNDECODABLE naming ${codec}`, async (brokers) => {
      const kafka = createKafka({ brokers, clientId: uniqueName('corrupt'), logger: silentLogger() });
      const topic = uniqueName('corrupt');
      await createTopics(kafka, [{ topic, numPartitions: 1 }]);
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, compression: id, messages: Array.from({ length: 100 }, (_, i) => ({ value: `message ${i} `.repeat(20) })) });
      await producer.disconnect();

      const consumer = kafka.consumer({ groupId: uniqueName('corrupt') });
      const crashes: ConsumerCrashEvent['payload'][] = [];
      let consumed = 0;
      consumer.on(consumer.events.CRASH, (e) => void crashes.push(e.payload));
      try {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({ eachMessage: async () => void consumed++ });
        await waitFor(() => crashes.length > 0, 15_000, 'the consumer to crash');
      } finally {
        await consumer.disconnect();
      }

      expect(consumed).toBe(0);
      expect(crashes).toHaveLength(1);
      const [{ error, restart }] = crashes as [ConsumerCrashEvent['payload']];
      // kafkajs' retrier wraps what it gives up on; the SluiceError is its cause
      expect(restart).toBe(false);
      expect(error).toMatchObject({ name: 'KafkaJSNonRetriableError', retriable: false });
      expect(error.cause).toBeInstanceOf(SluiceError);
      expect(error.cause).toMatchObject({ code: 'KAFKA_BATCH_UNDECODABLE', retriable: false });
      expect(error.message).toMatch(new RegExp(`^cannot decompress a ${codec} record batch \\(\\d+ compressed bytes\\): `));
    });
  });
});
