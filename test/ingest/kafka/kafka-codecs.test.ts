import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { registerKafkaCodecs } from '../../../ingest/kafka/kafka-codecs.ts';
import { SluiceError } from '../../../platform/errors/sluice-error.ts';

const { CompressionCodecs, CompressionTypes } = kafkajs;

interface PluggedCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

registerKafkaCodecs();
/** The codec kafkajs looks up for codec id `id` (what `lookupCodecByAttributes` calls). */
const codecFor = (id: number): PluggedCodec => (CompressionCodecs as unknown as Record<number, () => PluggedCodec>)[id]!();

/**
 * The compressed records section of a 3-record batch written by the Java producer of
 * Kafka 3.9.1 (kafka.tools.ConsoleProducer --compression-codec …), as fetched from the
 * broker: "sluice codec fixture 1", "… 2", "… 3".
 */
const JAVA_BATCHES = [
  { codec: 'snappy', id: CompressionTypes.Snappy, base64: 'glNOQVBQWQAAAAABAAAAAQAAADNXgDgAAAABLHNsdWljZSBjb2RlYyBmaXh0dXJlIDEAOABOAlodABQyADgAUARaHQAEMwA=' },
  { codec: 'lz4', id: CompressionTypes.LZ4, base64: 'BCJNGGBAgjUAAAD/EjgAAAABLHNsdWljZSBjb2RlYyBmaXh0dXJlIDEAOAAwAh0ABBAyHQAfBB0AAVByZSAzAAAAAAA=' },
  { codec: 'zstd', id: CompressionTypes.ZSTD, base64: 'KLUv/QBYhAEAVAI4AAAAASxzbHVpY2UgY29kZWMgZml4dHVyZSAxADgANgIyBDMAAwCgBLA3oFZPAQAA' },
];

const CODECS = [
  { codec: 'gzip', id: CompressionTypes.GZIP },
  { codec: 'snappy', id: CompressionTypes.Snappy },
  { codec: 'lz4', id: CompressionTypes.LZ4 },
  { codec: 'zstd', id: CompressionTypes.ZSTD },
];

/** Text-like records, so compression has something to find: 200 KiB spans several snappy chunks and lz4 blocks. */
function records(bytes: number): Buffer {
  const line = Buffer.from('{"service":"checkout","route":"/orders/{id}","durationMs":42,"traceId":"');
  const out = Buffer.alloc(bytes);
  for (let at = 0; at < bytes; at += line.length + 32) {
    line.copy(out, at);
    Buffer.from(randomBytes(16).toString('hex')).copy(out, at + line.length);
  }
  return out;
}

describe('Kafka compression codecs plugged into kafkajs', () => {
  it.each(JAVA_BATCHES)('reads a $codec batch written by the Java producer', async ({ id, base64 }) => {
    const records = (await codecFor(id).decompress(Buffer.from(base64, 'base64'))).toString('latin1');
    for (const n of [1, 2, 3]) expect(records).toContain(`sluice codec fixture ${n}`);
  });

  describe.each(CODECS)('$codec', ({ codec, id }) => {
    it.each([0, 1, 1_000, 200 * 1024])('round-trips %i bytes through kafkajs\' codec interface', async (bytes) => {
      const data = records(bytes);
      const compressed = await codecFor(id).compress({ buffer: data });
      if (bytes >= 1_000) expect(compressed.length).toBeLessThan(data.length);
      expect((await codecFor(id).decompress(compressed)).equals(data)).toBe(true);
    });

    it('round-trips bytes that are not text', async () => {
      const data = randomBytes(50_000);
      expect((await codecFor(id).decompress(await codecFor(id).compress({ buffer: data }))).equals(data)).toBe(true);
    });

    it('rejects a corrupt batch with a non-retriable KAFKA_BATCH_UNDECODABLE error naming the codec', async () => {
      const compressed = await codecFor(id).compress({ buffer: records(10_000) });
      compressed.fill(0x5a, 0, 24);
      const err = await codecFor(id).decompress(compressed).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(SluiceError);
      expect(err).toMatchObject({ code: 'KAFKA_BATCH_UNDECODABLE', retriable: false });
      expect((err as Error).message).toMatch(new RegExp(`^cannot decompress a ${codec} record batch \\(${compressed.length} compressed bytes\\): .+`));
    });
  });

  it.each([5, 6, 7])('reports a batch with codec id %i, which Kafka does not define, instead of reading it as uncompressed', (id) => {
    expect(() => codecFor(id)).toThrow(SluiceError);
    expect(() => codecFor(id)).toThrow(`record batch with compression codec id ${id}, which Kafka does not define`);
  });

  it('registers once: a second call keeps the same codecs', () => {
    const before = codecFor(CompressionTypes.LZ4);
    registerKafkaCodecs();
    expect(codecFor(CompressionTypes.LZ4)).toBe(before);
  });
});
