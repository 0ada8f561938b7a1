import type { BreachState } from '../breach/breach-state-machine.ts';

/**
 * What a replay knows about a boundary before evaluating it in full — each computed exactly
 * with the core's arithmetic (rule-firing.ts; the adapter's freshness judge), including
 * the budget (see budgetExhausted).
 */
export interface MinuteFacts {
  /** A page rule fires. */
  pageFiring: boolean;
  /** A ticket rule fires. */
  ticketFiring: boolean;
  /**
   * The whole period's error budget is exhausted (the evaluator's `budget.exhausted`). A
   * replay first tries a sufficient bound for "not exhausted" — fewer than minEvents events,
   * no bad event, or bad < (1 − target) · observed total (the allowance is (1 − target) ·
   * expected total, and the expected total is never below the observed one, error-budget.ts)
   * — and asks the evaluator's own periodBudget only when the bound does not settle it.
   */
  budgetExhausted: boolean;
  /** The compliance window holds at least the SLO's minEvents events. */
  enoughEvents: boolean;
}

/**
 * True when the breach state machine's `step`, given an evaluation with these facts and the
 * scope's freshness (`fresh()`, asked last: it is the dearest fact), provably
 * publishes no transition and leaves the state as it is but for its reason text (which no
 * later step reads). A replay may then skip the full evaluation of the boundary: the cases
 * below are read off `step` (breach-state-machine.ts) and checked against it for every
 * combination of state and facts (test/engine/core/history/quiet-step.test.ts).
 *
 *  - OK stays OK, unchanged: fresh, no rule firing, budget left, enough events;
 *  - WARNING stays WARNING: fresh, a ticket rule and no page rule firing, budget left, no
 *    hold running;
 *  - BREACHED stays BREACHED: fresh, a page rule firing or the budget exhausted, the ticket
 *    condition as it was, no hold running;
 *  - BREACHED / WARNING stay through silence ("no data since …") when no hold runs;
 *  - UNKNOWN stays UNKNOWN on stale data (unless it just recovered and data is fresh), and
 *    on fresh data with too few events and nothing firing when it never knew anything worse
 *    than OK.
 * Anything else (RECOVERED, holds running, conditions changing) is evaluated in full.
 */
export function quietStep(state: BreachState, f: MinuteFacts, fresh: () => boolean): boolean {
  const status = state.status;
  if (status === 'OK') return !f.pageFiring && !f.ticketFiring && !f.budgetExhausted && f.enoughEvents && fresh();
  if (status === 'UNKNOWN') {
    return !fresh() || ((state.lastKnownStatus === null || state.lastKnownStatus === 'OK') && !f.pageFiring && !f.ticketFiring && !f.budgetExhausted && !f.enoughEvents);
  }
  if (state.breachClearingSinceMs !== undefined || state.warningClearingSinceMs !== undefined) return false;
  if (status === 'WARNING') return !fresh() || (!f.pageFiring && f.ticketFiring && !f.budgetExhausted);
  if (status === 'BREACHED') return !fresh() || ((f.pageFiring || f.budgetExhausted) && f.ticketFiring === state.warningActive);
  return false;
}
