import type { Producer } from 'kafkajs';
import type { PubSub } from '../../platform/pubsub/typed-pubsub.ts';
import type { RollbackRequest } from '../core/release/rollback-request.ts';
import type { RollbackSink } from './rollback-dispatcher.ts';

/** Topics of the in-process pub/sub that release decisions are published on (the `rollbackRequests` subscription reads it). */
export interface ReleaseTopics extends Record<string, unknown> {
  rollbackRequest: RollbackRequest;
}

/**
 * The rollback topic (cluster mode): one message per request, key = service (one service's
 * requests stay ordered), value = the request JSON, header `sluice-request-id` = the
 * idempotency key consumers deduplicate on.
 */
export class KafkaRollbackSink implements RollbackSink {
  readonly target: string;
  private readonly producer: Producer;
  private readonly topic: string;

  constructor(producer: Producer, topic: string) {
    this.producer = producer;
    this.topic = topic;
    this.target = `kafka:${topic}`;
  }

  async send(request: RollbackRequest, body: string): Promise<void> {
    await this.producer.send({ topic: this.topic, messages: [{ key: request.service, value: body, headers: { 'sluice-request-id': request.requestId } }] });
  }
}

/** Hands requests to in-process subscribers (GraphQL `rollbackRequests`). */
export class PubSubRollbackSink implements RollbackSink {
  readonly target = 'subscription';
  private readonly pubsub: PubSub<ReleaseTopics>;

  constructor(pubsub: PubSub<ReleaseTopics>) {
    this.pubsub = pubsub;
  }

  async send(request: RollbackRequest): Promise<void> {
    this.pubsub.publish('rollbackRequest', request);
  }
}
