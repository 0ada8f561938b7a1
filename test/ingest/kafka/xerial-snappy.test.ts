import { compressSync } from 'snappy';
import { describe, expect, it } from 'vitest';
import { compressXerialSnappy, decompressKafkaSnappy } from '../../../ingest/kafka/xerial-snappy.ts';

const MAGIC = Buffer.from('82534e4150505900', 'hex');

/** The int32 length of each chunk after the 16-byte header. */
function chunkLengths(framed: Buffer): number[] {
  const lengths: number[] = [];
  for (let at = 16; at < framed.length; at += 4 + framed.readInt32BE(at)) lengths.push(framed.readInt32BE(at));
  return lengths;
}

describe('snappy as Kafka carries it', () => {
  it('writes snappy-java framing like the Java producer: magic, version 1, compatible 1, one chunk per 32 KiB of input', async () => {
    const data = Buffer.alloc(100 * 1024, 'abcdefgh');
    const framed = await compressXerialSnappy(data);
    expect(framed.subarray(0, 8).equals(MAGIC)).toBe(true);
    expect([framed.readInt32BE(8), framed.readInt32BE(12)]).toEqual([1, 1]);
    expect(chunkLengths(framed)).toHaveLength(4); // 32 + 32 + 32 + 4 KiB
    expect((await decompressKafkaSnappy(framed)).equals(data)).toBe(true);
  });

  it('reads a single raw snappy block, as librdkafka, Sarama and franz-go write it', async () => {
    const data = Buffer.from('{"service":"checkout"}'.repeat(500));
    expect((await decompressKafkaSnappy(compressSync(data))).equals(data)).toBe(true);
  });

  it('reads empty framing (header only) as no bytes', async () => {
    expect((await decompressKafkaSnappy(await compressXerialSnappy(Buffer.alloc(0)))).length).toBe(0);
  });

  it.each([
    ['a truncated chunk length', (f: Buffer) => f.subarray(0, 18), /truncated snappy-java chunk length at byte 16/],
    ['a chunk running past the end', (f: Buffer) => f.subarray(0, f.length - 1), /overruns the \d+-byte batch/],
    ['a corrupt chunk', (f: Buffer) => Buffer.concat([f.subarray(0, 20), Buffer.alloc(f.length - 20, 0xff)]), /snappy/],
  ])('rejects %s', async (_name, mangle, message) => {
    const framed = await compressXerialSnappy(Buffer.from('x'.repeat(5_000)));
    await expect(decompressKafkaSnappy(mangle(framed))).rejects.toThrow(message);
  });
});
