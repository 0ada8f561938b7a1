import { compress, uncompress } from 'snappy';

/**
 * Snappy as Kafka carries it. The Java client wraps record batches in snappy-java's
 * stream framing (xerial, `SnappyOutputStream`): a 16-byte header — the magic
 * `\x82SNAPPY\0`, then version and minimum compatible version as int32 — and then
 * chunks, each an int32 big-endian length followed by one raw snappy block of at most
 * 32 KiB of input. librdkafka, Sarama and franz-go write a single raw snappy block
 * instead; every one of those clients, and the Java consumer (`SnappyInputStream` falls
 * back to a raw block when the magic is missing), reads both. So: write what the Java
 * producer writes, read both.
 */

const MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
/** Header length, bytes: magic (8), version (int32), compatible version (int32). */
const HEADER_BYTES = 16;
/** snappy-java's default chunk of input, bytes (SnappyOutputStream.DEFAULT_BLOCK_SIZE). */
const CHUNK_BYTES = 32 * 1024;

/** Compresses `data` in snappy-java's framing, as the Java producer does. */
export async function compressXerialSnappy(data: Buffer): Promise<Buffer> {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  const chunks: Promise<Buffer>[] = [];
  for (let at = 0; at < data.length; at += CHUNK_BYTES) chunks.push(compress(data.subarray(at, at + CHUNK_BYTES)));
  const parts: Buffer[] = [header];
  for (const block of await Promise.all(chunks)) {
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length, 0);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

/** Decompresses snappy-java framing or a single raw snappy block; throws on corrupt input. */
export async function decompressKafkaSnappy(data: Buffer): Promise<Buffer> {
  if (!isXerialFramed(data)) return asBuffer(await uncompress(data, { asBuffer: true }));
  const blocks: Buffer[] = [];
  let at = HEADER_BYTES;
  while (at < data.length) {
    if (at + 4 > data.length) throw new Error(`truncated snappy-java chunk length at byte ${at} of ${data.length}`);
    const length = data.readInt32BE(at);
    at += 4;
    if (length < 0 || at + length > data.length) {
      throw new Error(`snappy-java chunk of ${length} bytes at byte ${at} overruns the ${data.length}-byte batch`);
    }
    blocks.push(data.subarray(at, at + length));
    at += length;
  }
  return Buffer.concat((await Promise.all(blocks.map((b) => uncompress(b, { asBuffer: true })))).map(asBuffer));
}

function isXerialFramed(data: Buffer): boolean {
  return data.length >= HEADER_BYTES && data.subarray(0, MAGIC.length).equals(MAGIC);
}

/** snappy's `uncompress` is typed `string | Buffer`; with `asBuffer: true` it is a Buffer. */
function asBuffer(out: string | Buffer): Buffer {
  return typeof out === 'string' ? Buffer.from(out) : out;
}
