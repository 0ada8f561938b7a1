import type { ClickHouseClient } from '@clickhouse/client';
import type { Producer } from 'kafkajs';
import { toDateTime64 } from '../../platform/clickhouse/clickhouse-time.ts';
import type { PubSub } from '../../platform/pubsub/typed-pubsub.ts';
import type { BreachPublisher, EngineTopics, PublishedTransition } from './breach-publisher.ts';

/** Writes transitions to the `slo_transitions` table. */
export class ClickHouseTransitionSink implements BreachPublisher {
  readonly name = 'clickhouse';
  private readonly client: ClickHouseClient;

  constructor(client: ClickHouseClient) {
    this.client = client;
  }

  async publish(transitions: readonly PublishedTransition[]): Promise<void> {
    await this.client.insert({
      table: 'slo_transitions',
      format: 'JSONEachRow',
      values: transitions.map((t) => ({
        transition_id: t.transitionId,
        slo: t.sloName,
        service: t.key.service ?? '',
        environment: t.key.environment ?? '',
        version: t.key.version ?? '',
        from_status: t.from,
        to_status: t.to,
        at: toDateTime64(t.atMs),
        reason: t.reason,
        rule: t.rule ?? '',
        basis: t.basis,
        details: JSON.stringify({ windows: t.windows, budget: t.budget, freshness: t.freshness }),
        published_at: toDateTime64(t.publishedAtMs),
      })),
    });
  }
}

/** Publishes transitions to the breach topic (key = SLO name, so one SLO's transitions stay ordered). */
export class KafkaBreachPublisher implements BreachPublisher {
  readonly name = 'kafka';
  private readonly producer: Producer;
  private readonly topic: string;

  constructor(producer: Producer, topic: string) {
    this.producer = producer;
    this.topic = topic;
  }

  async publish(transitions: readonly PublishedTransition[]): Promise<void> {
    await this.producer.send({
      topic: this.topic,
      messages: transitions.map((t) => ({ key: t.sloName, value: JSON.stringify(t), headers: { 'sluice-transition-id': t.transitionId } })),
    });
  }
}

/** Hands transitions to in-process subscribers (GraphQL subscriptions, tests). */
export class PubSubBreachPublisher implements BreachPublisher {
  readonly name = 'pubsub';
  private readonly pubsub: PubSub<EngineTopics>;

  constructor(pubsub: PubSub<EngineTopics>) {
    this.pubsub = pubsub;
  }

  async publish(transitions: readonly PublishedTransition[]): Promise<void> {
    for (const t of transitions) this.pubsub.publish('breachTransition', t);
  }
}

/** Keeps published transitions in memory, in order (the standard fake; tests read `transitions`). */
export class InMemoryBreachPublisher implements BreachPublisher {
  readonly name = 'memory';
  readonly transitions: PublishedTransition[] = [];

  async publish(transitions: readonly PublishedTransition[]): Promise<void> {
    this.transitions.push(...transitions);
  }
}
