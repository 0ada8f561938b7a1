import { z } from 'zod';
import type { RuleEvaluation } from '../alerting/alert-rules.ts';
import type { ErrorBudget } from '../budget/error-budget.ts';
import type { SloEvaluation } from '../slo-evaluator.ts';
import { formatDurationMs } from '../time/duration.ts';
import type { BucketSelector } from '../window/minute-bucket-store.ts';

/**
 * Breach state of one SLO key (SLO × service × environment [× version]).
 *
 *   UNKNOWN ──data ok──▶ OK ──ticket rule──▶ WARNING ──page rule / budget exhausted──▶ BREACHED
 *                         ▲                     │  ▲                                     │
 *                         │                     ▼  └──── page clear for the hold, ───────┘
 *                         │                                ticket still on
 *                         └──quiet period── RECOVERED ◀──── all clear for the hold ───────┘
 *
 * Two conditions are tracked from each evaluation (docs/verdict-semantics.md):
 *  - the breach condition: a page rule fires or the budget for the whole period is exhausted;
 *  - the warning condition: a ticket rule fires.
 * A condition turns on at once and turns off only after it has stayed false for the SLO's
 * hold (`evaluation.holdMs`, spec.alerting.holdFor, default 10 min) — exactly Prometheus'
 * `keep_firing_for`: the first evaluation at which it is false starts the hold, an
 * evaluation at which it is true again cancels it, and the first evaluation at least
 * holdMs after the start clears it (prometheus/prometheus rules/alerting.go, Eval).
 *
 *  - BREACHED while the breach condition is on; else WARNING while the warning condition is on.
 *  - WARNING / BREACHED → RECOVERED once both are off; RECOVERED → OK once it has stayed
 *    quiet for `recoveredQuietPeriodMs` (default 30 min); a new burn during RECOVERED goes
 *    straight back to WARNING / BREACHED.
 *  - Silence is never recovery. When the SLO's scope is stale (no data, a stalled
 *    watermark, consumer lag), BREACHED and WARNING stay as they are, with the reason
 *    `no data since <ISO time of the scope's last event>`, until data shows recovery: the
 *    hold is not run down by silence, it starts again with the first fresh evaluation on
 *    which the condition is false. A pager must never read silence as "resolved", and a
 *    ticket is not resolved by silence either. No transition is published for this (the
 *    status does not change); the state's reason says it.
 *  - OK / RECOVERED → UNKNOWN when the scope is stale, with the evaluation's reason.
 *  - Too few events (a fresh evaluation that is UNKNOWN) is data without a firing rule:
 *    BREACHED / WARNING clear after their hold, RECOVERED waits out its quiet period, and
 *    then the state is UNKNOWN rather than OK.
 *  - UNKNOWN never leads to, or counts as, BREACHED: a state that is UNKNOWN has no
 *    condition on, so only a fresh evaluation with a firing page rule (or an exhausted
 *    budget) makes it BREACHED.
 *  - UNKNOWN → when data returns, the evaluation is judged afresh against the last known
 *    state: firing gives WARNING / BREACHED; quiet after WARNING / BREACHED / RECOVERED gives
 *    RECOVERED (its quiet period keeps running from when it started); quiet otherwise OK.
 * The initial state is UNKNOWN ("not evaluated yet"), so the first evaluation emits one
 * transition (usually UNKNOWN → OK) that records the starting point.
 *
 * The state is plain JSON (numbers, strings, booleans; absent optional fields) so the
 * adapter can persist it and restore it on hand-over: `BreachStateSchema.parse(JSON.parse(text))`.
 * `schemaVersion` says which shape it is.
 */
export const BREACH_STATUSES = ['OK', 'WARNING', 'BREACHED', 'RECOVERED', 'UNKNOWN'] as const;
export type BreachStatus = (typeof BREACH_STATUSES)[number];
type KnownStatus = Exclude<BreachStatus, 'UNKNOWN'>;

/** Version of the BreachState shape; bump it (and migrate in the adapter) when the shape changes. */
export const BREACH_STATE_SCHEMA_VERSION = 1;

/** A persisted breach state, validated on restore. */
export const BreachStateSchema = z.strictObject({
  schemaVersion: z.literal(BREACH_STATE_SCHEMA_VERSION),
  sloName: z.string(),
  key: z.strictObject({
    sloName: z.string(),
    service: z.string().optional(),
    environment: z.string().optional(),
    version: z.string().optional(),
  }),
  status: z.enum(BREACH_STATUSES),
  /** When the current status was entered, epoch ms. */
  sinceMs: z.number(),
  reason: z.string(),
  /** The last status other than UNKNOWN (null before the first known one). */
  lastKnownStatus: z.enum(['OK', 'WARNING', 'BREACHED', 'RECOVERED']).nullable(),
  /** When RECOVERED was entered, epoch ms (kept across UNKNOWN for the quiet period). */
  recoveredAtMs: z.number().optional(),
  /** Whether the warning condition is on (a ticket rule fired, hold not yet run out); may be on under BREACHED. */
  warningActive: z.boolean(),
  /** First evaluation (epoch ms) at which the breach condition was false while BREACHED: the hold runs from here. */
  breachClearingSinceMs: z.number().optional(),
  /** First evaluation (epoch ms) at which the warning condition was false while on: the hold runs from here. */
  warningClearingSinceMs: z.number().optional(),
});
export type BreachState = z.infer<typeof BreachStateSchema>;

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
  /** Why, in words that say which meaning applies (page rule, exhausted budget, ticket rule, hold, silence). */
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
  return {
    schemaVersion: BREACH_STATE_SCHEMA_VERSION,
    sloName,
    key: { ...key },
    status: 'UNKNOWN',
    sinceMs: nowMs,
    reason: 'not evaluated yet',
    lastKnownStatus: null,
    warningActive: false,
  };
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

/** A held condition: on, and since when it has been false while on (the hold's start). */
interface Held {
  on: boolean;
  clearingSinceMs: number | undefined;
}

/**
 * One evaluation of a held condition (Prometheus keep_firing_for): true → on, hold
 * cancelled; false while on → stays on until `holdMs` after the first false evaluation.
 */
function hold(previous: Held, now: boolean, nowMs: number, holdMs: number): Held {
  if (now) return { on: true, clearingSinceMs: undefined };
  if (!previous.on) return { on: false, clearingSinceMs: undefined };
  const clearingSinceMs = previous.clearingSinceMs ?? nowMs;
  return nowMs - clearingSinceMs < holdMs ? { on: true, clearingSinceMs } : { on: false, clearingSinceMs: undefined };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Advances the state of one key with an evaluation made at nowMs (epoch ms; the minute
 * boundary the evaluation is for). Pure: returns the new state and the transitions (zero
 * or one) it took.
 */
export function step(
  state: BreachState,
  evaluation: SloEvaluation,
  nowMs: number,
  options: BreachOptions = {},
): { state: BreachState; transitions: BreachTransition[] } {
  const quietMs = options.recoveredQuietPeriodMs ?? DEFAULT_RECOVERED_QUIET_PERIOD_MS;
  const holdMs = evaluation.holdMs;
  const known: KnownStatus | null = state.status === 'UNKNOWN' ? state.lastKnownStatus : state.status;
  const holdText = formatDurationMs(holdMs);

  let to: BreachStatus;
  let reason = evaluation.reason;
  let cause: RuleEvaluation | undefined;
  let recoveredAtMs = state.recoveredAtMs;
  let breach: Held = { on: false, clearingSinceMs: undefined };
  let warning: Held = { on: false, clearingSinceMs: undefined };

  if (!evaluation.freshness.fresh && (state.status === 'BREACHED' || state.status === 'WARNING')) {
    // silence is never recovery: keep the status, stop the hold until data returns
    to = state.status;
    const last = evaluation.freshness.lastEventTimeMs;
    reason = `${last === undefined ? 'no data received' : `no data since ${iso(last)}`}: ${to} holds until data shows recovery (${evaluation.reason})`;
    breach = { on: to === 'BREACHED', clearingSinceMs: undefined };
    warning = { on: state.warningActive, clearingSinceMs: undefined };
  } else if (!evaluation.freshness.fresh) {
    to = 'UNKNOWN';
  } else {
    const ticket = evaluation.firing.find((r) => r.rule.severity === 'ticket');
    breach = hold({ on: state.status === 'BREACHED', clearingSinceMs: state.breachClearingSinceMs }, evaluation.status === 'BREACHED', nowMs, holdMs);
    warning = hold({ on: state.status !== 'UNKNOWN' && state.warningActive, clearingSinceMs: state.warningClearingSinceMs }, ticket !== undefined, nowMs, holdMs);
    if (breach.on) {
      to = 'BREACHED';
      if (evaluation.status === 'BREACHED') cause = evaluation.rule;
      else reason = `holding BREACHED: no page rule fires and the budget is not exhausted since ${iso(breach.clearingSinceMs!)}; it clears after ${holdText} of that (hold)`;
    } else if (warning.on) {
      to = 'WARNING';
      cause = ticket;
      if (state.status === 'BREACHED') {
        reason = `page condition clear for ${holdText} (hold); ${ticket !== undefined ? evaluation.reason : 'a ticket rule fired less than the hold ago'}`;
      } else if (ticket === undefined) {
        reason = `holding WARNING: no ticket rule fires since ${iso(warning.clearingSinceMs!)}; it clears after ${holdText} of that (hold)`;
      }
    } else if (known === 'WARNING' || known === 'BREACHED') {
      to = 'RECOVERED';
      recoveredAtMs = nowMs;
      reason =
        holdMs === 0
          ? `recovered: no alert rule fires and the error budget is not exhausted (was ${known})`
          : `recovered: no alert rule fired and the error budget was not exhausted for ${holdText} (hold) (was ${known})`;
    } else if (known === 'RECOVERED' && recoveredAtMs !== undefined && nowMs - recoveredAtMs < quietMs) {
      to = 'RECOVERED';
      reason = `recovered, quiet for ${Math.round((nowMs - recoveredAtMs) / 1000)} s of ${Math.round(quietMs / 1000)} s`;
    } else {
      to = evaluation.status === 'UNKNOWN' ? 'UNKNOWN' : 'OK';
      if (known === 'RECOVERED') reason = `quiet for ${Math.round(quietMs / 1000)} s after recovering; ${evaluation.reason}`;
    }
  }
  if (to !== 'RECOVERED' && to !== 'UNKNOWN') recoveredAtMs = undefined;

  const next: BreachState = {
    schemaVersion: BREACH_STATE_SCHEMA_VERSION,
    sloName: state.sloName,
    key: state.key,
    status: to,
    sinceMs: to === state.status ? state.sinceMs : nowMs,
    reason,
    lastKnownStatus: to === 'UNKNOWN' ? state.lastKnownStatus : to,
    warningActive: warning.on,
  };
  if (recoveredAtMs !== undefined) next.recoveredAtMs = recoveredAtMs;
  if (breach.clearingSinceMs !== undefined) next.breachClearingSinceMs = breach.clearingSinceMs;
  if (warning.clearingSinceMs !== undefined) next.warningClearingSinceMs = warning.clearingSinceMs;
  if (to === state.status) return { state: next, transitions: [] };

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
