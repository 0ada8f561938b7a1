import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from 'pino';

/**
 * One active member among several processes, elected by Kafka (no home-made distribution,
 * DESIGN.md): every candidate joins the consumer group `groupId` on `topic`, and the
 * member assigned partition 0 leads. A rebalance (a member joins, leaves or dies) moves the
 * lead within the group's session timeout. Leadership is dropped at the start of every
 * rebalance and taken up only after the join that assigns partition 0, so two members do
 * not lead at once while the group is stable; across a hand-over the old leader may still
 * finish the step it was in — callers make their steps idempotent (the rollback watcher
 * records each request under a deterministic id before sending it).
 */
export class KafkaLeadership {
  private leader = false;
  private readonly consumer: Consumer;
  private readonly topic: string;
  private readonly logger: Logger;
  private readonly onLead: (() => void) | undefined;

  private constructor(consumer: Consumer, topic: string, logger: Logger, onLead?: () => void) {
    this.consumer = consumer;
    this.topic = topic;
    this.logger = logger;
    this.onLead = onLead;
  }

  /** Joins the election (the topic must exist). `onLead` runs each time this member becomes the leader. */
  static async start(opts: { kafka: Kafka; groupId: string; topic: string; logger: Logger; sessionTimeoutMs?: number; onLead?: () => void }): Promise<KafkaLeadership> {
    const consumer = opts.kafka.consumer({ groupId: opts.groupId, ...(opts.sessionTimeoutMs !== undefined ? { sessionTimeout: opts.sessionTimeoutMs } : {}) });
    const election = new KafkaLeadership(consumer, opts.topic, opts.logger, opts.onLead);
    consumer.on(consumer.events.REBALANCING, () => election.set(false, 'rebalancing'));
    consumer.on(consumer.events.CRASH, () => election.set(false, 'consumer crashed'));
    consumer.on(consumer.events.STOP, () => election.set(false, 'stopped'));
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const partitions = e.payload.memberAssignment[opts.topic] ?? [];
      election.set(partitions.includes(0), `group joined, assigned ${opts.topic} partitions [${partitions.join(', ')}]`);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: opts.topic, fromBeginning: false });
    // the messages themselves are not this consumer's business: it only holds a partition
    await consumer.run({ eachMessage: async () => undefined });
    return election;
  }

  private set(leader: boolean, why: string): void {
    if (leader === this.leader) return;
    this.leader = leader;
    this.logger.info({ topic: this.topic, leader, why }, leader ? 'leading: this process decides' : 'not leading');
    if (leader) this.onLead?.();
  }

  isLeader(): boolean {
    return this.leader;
  }

  async stop(): Promise<void> {
    this.leader = false;
    await this.consumer.disconnect();
  }
}
