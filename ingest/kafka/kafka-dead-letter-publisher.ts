import type { Producer } from 'kafkajs';
import type { DeadLetter, DeadLetterPublisher } from '../pipeline/ingest-pipeline.ts';

/**
 * Publishes dead letters to the dead-letter topic: the original bytes as the value, the
 * reason and origin as headers, so a fixed consumer can re-drive them.
 */
export class KafkaDeadLetterPublisher implements DeadLetterPublisher {
  private readonly producer: Producer;
  private readonly topic: string;

  constructor(producer: Producer, topic: string) {
    this.producer = producer;
    this.topic = topic;
  }

  async publish(letters: DeadLetter[]): Promise<void> {
    await this.producer.send({
      topic: this.topic,
      messages: letters.map((l) => ({
        value: Buffer.from(l.raw.buffer, l.raw.byteOffset, l.raw.byteLength),
        headers: {
          'sluice-signal': l.signal,
          'sluice-reason': l.reason,
          'sluice-detail': l.detail.slice(0, 4096),
          'sluice-source': l.position.source,
          'sluice-partition': String(l.position.partition),
          'sluice-offset': String(l.position.offset),
        },
      })),
    });
  }
}
