import type { BreachTransition } from '../core/breach/breach-state-machine.ts';

/**
 * What a published transition is based on (docs/time-and-ownership.md):
 *  - `event-time`: a step of the SLO's breach state machine at a minute boundary M of its
 *    event-time watermark (`atMs` = M). A pure function of the data: live processing, a
 *    replay and a backlog publish the same ones.
 *  - `wall-clock`: a change of the SLO's *effective* status made by the staleness overlay
 *    (the SLO's watermark fell more than its maxStaleness behind the wall clock, or caught
 *    up again); `atMs` is the judge's wall clock, `from` / `to` are effective statuses.
 */
export const TRANSITION_BASES = ['event-time', 'wall-clock'] as const;
export type TransitionBasis = (typeof TRANSITION_BASES)[number];

/** A transition as published: with its basis, deterministic id and publication time. */
export interface PublishedTransition extends BreachTransition {
  basis: TransitionBasis;
  /** `slo|from|to|atMs|basis`: the same transition re-published after a crash has the same id. */
  transitionId: string;
  /** When it was published, epoch ms (wall clock of the judge). */
  publishedAtMs: number;
}

/** The deterministic id of a transition (`slo|from|to|atMs|basis`). */
export function transitionId(t: Pick<BreachTransition, 'sloName' | 'from' | 'to' | 'atMs'>, basis: TransitionBasis): string {
  return `${t.sloName}|${t.from}|${t.to}|${t.atMs}|${basis}`;
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
