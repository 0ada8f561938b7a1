import type { AlertSeverity } from '../../engine/core/alerting/alert-rules.ts';
import type { PublishedTransition } from '../../engine/adapters/breach-publisher.ts';
import type { SloDirectoryEntry } from '../../engine/adapters/slo-definition-directory.ts';

/** A transition as the GraphQL `SloTransition` type. */
export interface TransitionView {
  id: string;
  slo: string;
  from: string;
  to: string;
  at: number;
  basis: string;
  reason: string;
  rule: string | null;
  /** JSON: the rule's windows, the error budget and freshness at the transition. */
  details: string;
}

/** A transition with what subscribers filter on: the GraphQL `SloStateChange` type. */
export interface SloStateChangeView {
  transition: TransitionView;
  service: string;
  environment: string;
  /** `metadata.labels.team` of the SLO's definition; null when it names none (or the definition is not known). */
  team: string | null;
  /** page or ticket for a transition into BREACHED or WARNING; null for any other. */
  severity: AlertSeverity | null;
}

/** Statuses a breach is made of: a page condition (BREACHED) or a ticket condition (WARNING). */
export const BREACH_TARGETS = ['BREACHED', 'WARNING'] as const;

/**
 * The severity behind a transition into BREACHED or WARNING: the severity of its rule in the
 * SLO's definition when the rule is known there; otherwise what the status means in the
 * breach state machine (engine/core/breach/breach-state-machine.ts, docs/verdict-semantics.md):
 * BREACHED is entered only by a page rule or an exhausted budget (page), WARNING only by a
 * ticket rule (ticket). Null for transitions into any other status.
 */
export function severityOf(to: string, rule: string | null | undefined, entry: SloDirectoryEntry | undefined): AlertSeverity | null {
  if (to !== 'BREACHED' && to !== 'WARNING') return null;
  const declared = rule ? entry?.ruleSeverities[rule] : undefined;
  return declared ?? (to === 'BREACHED' ? 'page' : 'ticket');
}

/** A published transition as TransitionView (the same text the `slo_transitions` table stores in `details`). */
export function transitionView(t: PublishedTransition): TransitionView {
  return {
    id: t.transitionId, slo: t.sloName, from: t.from, to: t.to, at: t.atMs, basis: t.basis, reason: t.reason, rule: t.rule ?? null,
    details: JSON.stringify({ windows: t.windows, budget: t.budget, freshness: t.freshness }),
  };
}

/** A transition with its service, environment, team and severity. */
export function stateChangeView(transition: TransitionView, where: { service?: string | undefined; environment?: string | undefined }, entry: SloDirectoryEntry | undefined): SloStateChangeView {
  return {
    transition,
    service: where.service || entry?.service || '',
    environment: where.environment || entry?.environment || '',
    team: entry?.team ?? null,
    severity: severityOf(transition.to, transition.rule, entry),
  };
}
