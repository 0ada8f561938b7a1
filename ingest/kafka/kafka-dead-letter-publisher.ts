import type { Producer } from 'kafkajs';
import type { DeadLetterPublisher } from '../pipeline/ingest-pipeline.ts';
import type { DeadLetter } from '../pipeline/ingest-segment.ts';

/** Largest payload copied to the dead-letter topic, bytes; longer ones are cut (the table keeps them whole). */
export const MAX_DEAD_LETTER_VALUE_BYTES = 256 * 1024;
/** Bytes of letters per produce request, below the broker's default 1 MB message.max.bytes. */
const MAX_SEND_BYTES = 768 * 1024;

/**
 * Publishes dead letters to the dead-letter topic: the original bytes as the value (cut to
 * MAX_DEAD_LETTER_VALUE_BYTES, with `sluice-truncated-from` naming the original size, so an
 * oversized input cannot wedge the topic), the original key and headers, and the reason and
 * origin as `sluice-*` headers, so a fixed consumer can re-drive them. The `dead_letters`
 * table always holds the whole input.
 */
export class KafkaDeadLetterPublisher implements DeadLetterPublisher {
  private readonly producer: Producer;
  private readonly topic: string;

  constructor(producer: Producer, topic: string) {
    this.producer = producer;
    this.topic = topic;
  }

  async publish(letters: DeadLetter[]): Promise<void> {
    let chunk: { key: Buffer | null; value: Buffer; headers: Record<string, string | Buffer> }[] = [];
    let bytes = 0;
    for (const l of letters) {
      const raw = Buffer.from(l.raw.buffer, l.raw.byteOffset, l.raw.byteLength);
      const value = raw.byteLength > MAX_DEAD_LETTER_VALUE_BYTES ? raw.subarray(0, MAX_DEAD_LETTER_VALUE_BYTES) : raw;
      const original = Object.fromEntries(Object.entries(l.headers ?? {}).filter((e): e is [string, string | Buffer] => e[1] !== undefined && !e[0].startsWith('sluice-')));
      const headers: Record<string, string | Buffer> = {
        ...original,
        'sluice-signal': l.signal,
        'sluice-reason': l.reason,
        'sluice-detail': l.detail.slice(0, 4096),
        'sluice-source': l.position.source,
        'sluice-partition': String(l.position.partition),
        'sluice-offset': String(l.position.offset),
        ...(value !== raw ? { 'sluice-truncated-from': String(raw.byteLength) } : {}),
      };
      if (chunk.length > 0 && bytes + value.byteLength > MAX_SEND_BYTES) {
        await this.producer.send({ topic: this.topic, messages: chunk });
        chunk = [];
        bytes = 0;
      }
      chunk.push({ key: l.key ?? null, value, headers });
      bytes += value.byteLength + 4_096;
    }
    if (chunk.length > 0) await this.producer.send({ topic: this.topic, messages: chunk });
  }
}
