import type { RuleEvaluation } from '../alerting/alert-rules.ts';
import type { ErrorBudget } from '../budget/error-budget.ts';
import type { SloEvaluation } from '../slo-evaluator.ts';
import type { BucketSelector } from '../window/minute-bucket-store.ts';

/**
 * Breach state of one SLO key (SLO × service × environment [× version]).
 *
 *   UNKNOWN ──data ok──▶ OK ──ticket rule──▶ WARNING ──page rule / budget exhausted──▶ BREACHED
 *                         ▲                     │  ▲                                     │
 *                         │                     ▼  └──── page stops, ticket still ───────┘
 *                         └──quiet period── RECOVERED ◀──── no rule firing ───────────────┘
 *
 *  - OK → WARNING when a ticket rule fires; → BREACHED when a page rule fires or the
 *    error budget is exhausted (from any known state, also RECOVERED).
 *  - WARNING / BREACHED → RECOVERED as soon as no rule fires and budget is left.
 *  - RECOVERED → OK once it has stayed quiet for `recoveredQuietPeriodMs` (default 30 min,
 *    chosen so a flapping burn does not announce "OK" and "BREACHED" every few minutes;
 *    set 0 to return to OK on the next quiet evaluation).
 *  - any → UNKNOWN when the evaluation is UNKNOWN (stale data, too few events), with the
 *    evaluation's reason. UNKNOWN never leads to, or counts as, BREACHED.
 *  - UNKNOWN → when data returns, the evaluation is judged afresh against the last known
 *    state: firing rules give WARNING / BREACHED; quiet after WARNING / BREACHED /
 *    RECOVERED gives RECOVERED (its quiet period keeps running from when it started);
 *    quiet otherwise gives OK.
 * The initial state is UNKNOWN ("not evaluated yet"), so the first evaluation emits one
 * transition (usually UNKNOWN → OK) that records the starting point.
 */
export const BREACH_STATUSES = ['OK', 'WARNING', 'BREACHED', 'RECOVERED', 'UNKNOWN'] as const;
export type BreachStatus = (typeof BREACH_STATUSES)[number];
type KnownStatus = Exclude<BreachStatus, 'UNKNOWN'>;

export interface BreachState {
  sloName: string;
  key: BucketSelector;
  status: BreachStatus;
  /** When the current status was entered, epoch ms. */
  sinceMs: number;
  reason: string;
  /** The last status other than UNKNOWN (null before the first known one). */
  lastKnownStatus: KnownStatus | null;
  /** When RECOVERED was entered, epoch ms (kept across UNKNOWN for the quiet period). */
  recoveredAtMs?: number | undefined;
}

/** One burn-rate window as explained in a transition. */
export interface TransitionWindow {
  /** Rule the window belongs to. */
  rule: string;
  /** Window label, e.g. `1h`. */
  window: string;
  durationMs: number;
  burnRate: number;
  /** bad / total, ratio 0–1. */
  badRatio: number;
  good: number;
  total: number;
  /** The rule's burn-rate threshold. */
  thresholdBurnRate: number;
}

/** A change of breach status: what the breach stream, webhooks and subscriptions carry. */
export interface BreachTransition {
  sloName: string;
  key: BucketSelector;
  from: BreachStatus;
  to: BreachStatus;
  /** Time of the evaluation that caused it, epoch ms. */
  atMs: number;
  reason: string;
  /** Name of the alert rule behind WARNING / BREACHED, when a rule caused it. */
  rule?: string | undefined;
  /** The triggering rule's two windows, or every rule's windows when no rule caused it. */
  windows: TransitionWindow[];
  budget: ErrorBudget;
  freshness: { fresh: boolean; reason?: string | undefined };
}

export interface BreachOptions {
  /** How long RECOVERED must stay quiet before OK, ms; default 1 800 000 (30 min). */
  recoveredQuietPeriodMs?: number;
}

/** Default quiet period of RECOVERED before OK, ms (30 minutes). */
export const DEFAULT_RECOVERED_QUIET_PERIOD_MS = 1_800_000;

/** The state of a key that was never evaluated. */
export function initialBreachState(sloName: string, key: BucketSelector, nowMs: number): BreachState {
  return { sloName, key, status: 'UNKNOWN', sinceMs: nowMs, reason: 'not evaluated yet', lastKnownStatus: null };
}

function windowsOf(rules: readonly RuleEvaluation[]): TransitionWindow[] {
  return rules.flatMap((r) =>
    [r.long, r.short].map((w) => ({
      rule: r.rule.name,
      window: w.window,
      durationMs: w.durationMs,
      burnRate: w.burnRate,
      badRatio: w.badRatio,
      good: w.good,
      total: w.total,
      thresholdBurnRate: r.rule.burnRateThreshold,
    })),
  );
}

/**
 * Advances the state of one key with an evaluation made at nowMs (epoch ms). Pure:
 * returns the new state and the transitions (zero or one) it took.
 */
export function step(
  state: BreachState,
  evaluation: SloEvaluation,
  nowMs: number,
  options: BreachOptions = {},
): { state: BreachState; transitions: BreachTransition[] } {
  const quietMs = options.recoveredQuietPeriodMs ?? DEFAULT_RECOVERED_QUIET_PERIOD_MS;
  const known: KnownStatus | null = state.status === 'UNKNOWN' ? state.lastKnownStatus : state.status;

  let to: BreachStatus;
  let reason = evaluation.reason;
  let recoveredAtMs = state.recoveredAtMs;
  switch (evaluation.status) {
    case 'UNKNOWN':
    case 'BREACHED':
    case 'WARNING':
      to = evaluation.status;
      break;
    case 'OK':
      if (known === 'WARNING' || known === 'BREACHED') {
        to = 'RECOVERED';
        recoveredAtMs = nowMs;
        reason = `no alert rule firing any more (was ${known})`;
      } else if (known === 'RECOVERED' && recoveredAtMs !== undefined && nowMs - recoveredAtMs < quietMs) {
        to = 'RECOVERED';
        reason = `recovered, quiet for ${Math.round((nowMs - recoveredAtMs) / 1000)} s of ${Math.round(quietMs / 1000)} s`;
      } else {
        to = 'OK';
        if (known === 'RECOVERED') reason = `quiet for ${Math.round(quietMs / 1000)} s after recovering`;
      }
      break;
  }
  if (to !== 'RECOVERED') recoveredAtMs = to === 'UNKNOWN' ? recoveredAtMs : undefined;

  const next: BreachState = {
    sloName: state.sloName,
    key: state.key,
    status: to,
    sinceMs: to === state.status ? state.sinceMs : nowMs,
    reason,
    lastKnownStatus: to === 'UNKNOWN' ? state.lastKnownStatus : to,
    recoveredAtMs,
  };
  if (to === state.status) return { state: next, transitions: [] };

  const cause = to === 'WARNING' || to === 'BREACHED' ? evaluation.rule : undefined;
  const transition: BreachTransition = {
    sloName: state.sloName,
    key: state.key,
    from: state.status,
    to,
    atMs: nowMs,
    reason,
    rule: cause?.rule.name,
    windows: windowsOf(cause === undefined ? evaluation.rules : [cause]),
    budget: evaluation.budget,
    freshness: { fresh: evaluation.freshness.fresh, reason: evaluation.freshness.reason },
  };
  return { state: next, transitions: [transition] };
}
