import type { BreachTransition } from '../core/breach/breach-state-machine.ts';

/** A transition as published: with its deterministic id and publication time. */
export interface PublishedTransition extends BreachTransition {
  /** `slo|from|to|atMs`: the same transition re-published after a restart has the same id. */
  transitionId: string;
  /** When it was published, epoch ms. */
  publishedAtMs: number;
}

/** Where breach transitions go: ClickHouse, a Kafka topic, the in-process pub/sub. */
export interface BreachPublisher {
  readonly name: string;
  publish(transitions: readonly PublishedTransition[]): Promise<void>;
}

/** Topics of the in-process pub/sub that the API subscribes to. */
export interface EngineTopics extends Record<string, unknown> {
  breachTransition: PublishedTransition;
}
