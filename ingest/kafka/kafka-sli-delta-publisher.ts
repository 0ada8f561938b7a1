import type { Kafka, Producer } from 'kafkajs';
import type { SliDeltaBatch, SliDeltaPublisher } from '../../engine/adapters/sli-delta-bus.ts';
import { sloPartition } from '../../engine/core/window/sli-segment.ts';
import { encodeDelta, encodeProgress } from '../../schema/kafka/sli-delta-message.ts';

/**
 * Cluster-mode side of the repartition to judges (schema/kafka/sli-delta-message.ts): each
 * durable segment's per-SLO delta goes to partition `sloPartition(slo, P)` of the SLI-delta
 * topic, keyed by the SLO; each source's progress to every partition, after the deltas, in
 * the same send (one producer, idempotent, one request in flight: order within a partition
 * is publish order).
 */
export class KafkaSliDeltaPublisher implements SliDeltaPublisher {
  private readonly producer: Producer;
  private readonly topic: string;
  private readonly partitions: number;

  private constructor(producer: Producer, topic: string, partitions: number) {
    this.producer = producer;
    this.topic = topic;
    this.partitions = partitions;
  }

  /** Connects a producer of its own and reads the topic's partition count (ownership depends on it). */
  static async connect(kafka: Kafka, topic: string): Promise<KafkaSliDeltaPublisher> {
    const admin = kafka.admin();
    await admin.connect();
    let partitions: number;
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      partitions = meta.topics[0]?.partitions.length ?? 0;
    } finally {
      await admin.disconnect();
    }
    if (partitions < 1) throw new Error(`SLI-delta topic ${topic} has no partitions`);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    return new KafkaSliDeltaPublisher(producer, topic, partitions);
  }

  async publish(batch: SliDeltaBatch): Promise<void> {
    const messages = [
      ...batch.deltas.map((d) => ({ partition: sloPartition(d.sloName, this.partitions), key: d.sloName, value: encodeDelta(d) })),
      ...batch.progress.flatMap((p) => {
        const value = encodeProgress(p);
        const key = `progress:${p.source}#${p.partition}`;
        return Array.from({ length: this.partitions }, (_, partition) => ({ partition, key, value }));
      }),
    ];
    if (messages.length > 0) await this.producer.send({ topic: this.topic, acks: -1, messages });
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
