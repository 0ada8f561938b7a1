import { promisify } from 'node:util';
import { gzip, unzip, zstdCompress, zstdDecompress } from 'node:zlib';
import kafkajs from 'kafkajs';
import { compressFrame, decompressFrame } from 'lz4-napi';
import { errorMessage, SluiceError } from '../../platform/errors/sluice-error.ts';
import { compressXerialSnappy, decompressKafkaSnappy } from './xerial-snappy.ts';

const { CompressionCodecs, CompressionTypes } = kafkajs;

/**
 * Every compression codec Kafka defines (record batch attribute bits 0–2: 1 gzip,
 * 2 snappy, 3 lz4, 4 zstd), plugged into kafkajs, which ships only gzip. Without them
 * one snappy/lz4/zstd batch — the OpenTelemetry Collector's Kafka exporter offers all
 * four — fails every fetch of the consumer, on every topic.
 *
 * Wire formats, as the Java client writes them (KIP-110 for zstd, KIP-57 for lz4):
 * - gzip: one gzip stream.
 * - snappy: snappy-java's stream framing, or one raw block from other clients (see
 *   xerial-snappy.ts).
 * - lz4: one standard LZ4 frame (Java: independent 64 KiB blocks, no block or content
 *   checksum). lz4-napi's default frame is the same kind — independent blocks, no
 *   checksums — with 64 KiB or, for larger batches, 256 KiB blocks. The Java reader
 *   (Lz4BlockInputStream) refuses dependent blocks and accepts block sizes 64 KiB–4 MiB.
 * - zstd: one standard zstd frame (Node's zlib, ≥ 22.15).
 *
 * A batch that cannot be decompressed — corrupt bytes, or codec id 5–7, which Kafka
 * does not define — rejects with a non-retriable SluiceError `KAFKA_BATCH_UNDECODABLE`
 * naming the codec. kafkajs' retrier gives up at once on `retriable: false` and crashes
 * the consumer without restarting it, so the fault is reported instead of the consumer
 * fetching the same batch forever. kafkajs does not tell a codec which topic or partition
 * the batch came from, and it decodes a whole fetch (every partition led by one broker)
 * at once: the error names the codec and the batch size, the consumer's crash handler
 * names the partitions.
 */

/** One codec: what kafkajs calls, by Kafka's codec id. */
interface KafkaCodec {
  readonly type: number;
  readonly name: string;
  compress(data: Buffer): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

const CODECS: readonly KafkaCodec[] = [
  { type: CompressionTypes.GZIP, name: 'gzip', compress: promisify(gzip), decompress: promisify(unzip) },
  { type: CompressionTypes.Snappy, name: 'snappy', compress: compressXerialSnappy, decompress: decompressKafkaSnappy },
  { type: CompressionTypes.LZ4, name: 'lz4', compress: (data) => compressFrame(data), decompress: (data) => decompressFrame(data) },
  { type: CompressionTypes.ZSTD, name: 'zstd', compress: promisify(zstdCompress), decompress: promisify(zstdDecompress) },
];

/** Codec ids the three attribute bits can hold that Kafka does not define. */
const UNDEFINED_CODEC_IDS = [5, 6, 7];

/** The codec object kafkajs expects: `compress` gets its Encoder, `decompress` the batch's records. */
interface KafkajsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

function toKafkajs(codec: KafkaCodec): KafkajsCodec {
  return {
    compress: (encoder) => codec.compress(encoder.buffer),
    async decompress(buffer) {
      try {
        return await codec.decompress(buffer);
      } catch (err) {
        throw undecodable(`cannot decompress a ${codec.name} record batch (${buffer.length} compressed bytes): ${errorMessage(err)}`);
      }
    },
  };
}

/**
 * The error kafkajs surfaces. No `cause`: kafkajs' retrier wraps what it gives up on as
 * `new KafkaJSNonRetriableError(e, { cause: e.cause || e })`, so a cause here would push
 * this error (and its code) out of the chain; the underlying reason is in the message.
 */
function undecodable(message: string): SluiceError {
  return new SluiceError('KAFKA_BATCH_UNDECODABLE', `${message} — the consumer stops: kafkajs cannot skip a batch it cannot read`);
}

let registered = false;

/** Registers the codecs with kafkajs, once per process; every client of the process shares them. */
export function registerKafkaCodecs(): void {
  if (registered) return;
  const table = CompressionCodecs as unknown as Record<number, () => KafkajsCodec>;
  for (const codec of CODECS) {
    const plugged = toKafkajs(codec);
    table[codec.type] = () => plugged;
  }
  for (const id of UNDEFINED_CODEC_IDS) {
    table[id] = () => {
      throw undecodable(`record batch with compression codec id ${id}, which Kafka does not define (1 gzip, 2 snappy, 3 lz4, 4 zstd)`);
    };
  }
  registered = true;
}
