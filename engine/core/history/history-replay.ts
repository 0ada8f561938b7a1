import { initialBreachState, type BreachOptions, type BreachState, type BreachTransition } from '../breach/breach-state-machine.ts';
import type { ErrorBudget } from '../budget/error-budget.ts';
import { compliancePeriod, type Slo } from '../slo/slo-definition.ts';
import { evaluateSlo, type SloEvaluation } from '../slo-evaluator.ts';
import type { BucketSelector } from '../window/minute-bucket-store.ts';
import { MINUTE_MS } from '../window/minute-bucket.ts';
import { alertEpisodes, unionFiring, type AlertEpisode } from './alert-episodes.ts';
import { evaluateMinute, firstEvaluationMs, type FreshnessAt, type MinuteEvaluationContext } from './minute-evaluation.ts';
import type { MinuteSeries } from './minute-series.ts';
import { periodExhausted } from './period-budget-check.ts';
import { quietStep, type MinuteFacts } from './quiet-step.ts';
import { ruleSeries, WindowCache, type BoundaryRange } from './rule-firing.ts';

/**
 * A replay of stored history through the judge's own loop (minute-evaluation.ts): for every
 * whole-minute boundary M from the start of the replay to its end, in order, the SLO is
 * evaluated at M and its breach state stepped — the transitions are those the live judge
 * published (or would have, under another rule set: pass the SLO with those rules).
 *
 * Speed: a full evaluation costs ~10 µs; a 90-day replay has 130 000 boundaries. Most of
 * them change nothing: the SLO is OK, stays OK, and publishes nothing. Before evaluating a
 * boundary in full, the replay computes the facts the status depends on — rule firing and
 * window totals over the series' prefix sums with the core's arithmetic, freshness with the
 * adapter's judge — and skips the boundary when `quietStep` proves that `step` would change
 * nothing but the state's reason text. Every transition still comes from evaluateSlo and
 * step at its boundary. `screen: false` evaluates every boundary in full (the reference the
 * tests compare against).
 */

/** Freshness of the SLO's scope at a boundary: the evaluator's input, and a fast exact verdict for the screen. */
export interface ReplayFreshness {
  at: FreshnessAt;
  /** Equal to `combineFreshness(at(atMs, last)).fresh`, computed without allocating (called at every boundary). */
  isFresh(atMs: number, lastDataMinuteMs: number | undefined): boolean;
}

export interface ReplayOptions {
  /** Transitions at boundaries from here on are reported, epoch ms. */
  fromMs: number;
  /** Last boundary evaluated: `toMs` rounded down to a whole minute, epoch ms. */
  toMs: number;
  /**
   * Evaluation starts this long before `fromMs` (never before the boundary after the first
   * minute with data), so the state at `fromMs` is the one a judge running all along had —
   * a hold, a quiet period, a warning that lasts for days. ms; default 1 day (the judge's
   * own first-evaluation lookback).
   */
  warmupMs?: number;
  /** Budget is sampled every this long from `fromMs` (and at `toMs`), ms; default 1 day. */
  budgetStepMs?: number;
  stepOptions?: BreachOptions;
  /** Skip boundaries proven quiet (default true); false evaluates every boundary in full. */
  screen?: boolean;
}

/** The error budget at one boundary. */
export interface BudgetPoint {
  atMs: number;
  attainment: number | null;
  good: number;
  total: number;
  consumedRatio: number;
  remainingRatio: number;
  allowedBadEvents: number;
  exhausted: boolean;
}

export interface ReplayResult {
  /** Transitions at boundaries in `[fromMs, toMs]`, oldest first. */
  transitions: BreachTransition[];
  /** Alerts (per severity, held) that were firing at some boundary of `[fromMs, toMs]`. */
  alerts: AlertEpisode[];
  budget: BudgetPoint[];
  /** The evaluation at the last boundary; undefined when nothing was evaluated. */
  finalEvaluation: SloEvaluation | undefined;
  finalState: BreachState;
  stats: {
    /** Boundaries stepped through (warm-up included). */
    boundaries: number;
    /** Boundaries evaluated in full. */
    evaluated: number;
    /** First boundary evaluated, epoch ms. */
    startedAtMs: number;
  };
}

/** Default warm-up before a replay's first reported boundary, ms (1 day). */
export const DEFAULT_WARMUP_MS = 86_400_000;
/** Default spacing of budget points, ms (1 day). */
export const DEFAULT_BUDGET_STEP_MS = 86_400_000;

const RELATIVE_TOLERANCE = 1e-9;

/**
 * Replays `series` (the SLO's minute counts, from at least its history horizon before the
 * warm-up) for `slo`, with its own alert rules (replace `slo.alertRules` to replay other ones).
 */
export function replayHistory(slo: Slo, series: MinuteSeries, freshness: ReplayFreshness, options: ReplayOptions): ReplayResult {
  const fromAtMs = Math.ceil(options.fromMs / MINUTE_MS) * MINUTE_MS;
  const endAtMs = Math.floor(options.toMs / MINUTE_MS) * MINUTE_MS;
  const selector: BucketSelector = { sloName: slo.name, service: slo.service, environment: slo.environment };
  const startAtMs = Math.min(firstEvaluationMs(series.firstMinuteMs(), fromAtMs, options.warmupMs ?? DEFAULT_WARMUP_MS), Math.max(fromAtMs, endAtMs));
  const count = Math.max(0, (endAtMs - startAtMs) / MINUTE_MS + 1);
  const range: BoundaryRange = { fromAtMs: startAtMs, count };
  const ctx: MinuteEvaluationContext = { slo, store: series, freshnessAt: freshness.at, stepOptions: options.stepOptions };

  const windows = new WindowCache(series, slo.target, range);
  const rules = ruleSeries(slo.alertRules, slo.minBadEvents, windows);
  const pageFiring = unionFiring(rules.filter((r) => r.rule.severity === 'page'), count);
  const ticketFiring = unionFiring(rules.filter((r) => r.rule.severity === 'ticket'), count);
  const period = new PeriodCursor(slo);
  // a rolling compliance window is one more window series: its totals at every boundary
  const compliance = slo.compliance.kind === 'rolling' ? windows.counts(slo.compliance.durationMs) : undefined;
  const allowedRatio = 1 - slo.target;

  let state = initialBreachState(slo.name, selector, startAtMs);
  let lastDataMinuteMs = series.lastDataMinuteBefore(startAtMs);
  let evaluation: SloEvaluation | undefined;
  let evaluatedAtMs: number | undefined;
  const transitions: BreachTransition[] = [];
  let evaluated = 0;
  const screen = options.screen !== false;

  // the screen's inputs, reused at every boundary (no allocation per boundary)
  const facts: MinuteFacts = { pageFiring: false, ticketFiring: false, budgetExhausted: false, enoughEvents: false };
  const at = { atMs: startAtMs, lastDataMinuteMs };
  const freshNow = () => freshness.isFresh(at.atMs, at.lastDataMinuteMs);
  const firstIndex = (startAtMs - series.startMs) / MINUTE_MS;

  for (let k = 0; k < count; k++) {
    const atMs = startAtMs + k * MINUTE_MS;
    // lastDataMinuteAt over the series, read straight from its minute array
    if (k > 0 && (series.total[firstIndex + k - 1] ?? 0) > 0) lastDataMinuteMs = atMs - MINUTE_MS;
    if (screen && k > 0 && k < count - 1) {
      const fromMs = period.at(atMs);
      const total = compliance === undefined ? series.totalBetween(fromMs, atMs) : compliance.total[k]!;
      const bad = compliance === undefined ? total - series.goodBetween(fromMs, atMs) : compliance.bad[k]!;
      facts.pageFiring = pageFiring[k] === 1;
      facts.ticketFiring = ticketFiring[k] === 1;
      facts.enoughEvents = total >= slo.minEvents;
      // the allowance is (1 − target) · expected total ≥ (1 − target) · observed total: below that the budget is
      // certainly left; otherwise the evaluator's own arithmetic decides
      facts.budgetExhausted = !(total < slo.minEvents || bad === 0 || bad < allowedRatio * total * (1 - RELATIVE_TOLERANCE)) &&
        periodExhausted(slo, series, atMs, fromMs, period.periodMs);
      at.atMs = atMs;
      at.lastDataMinuteMs = lastDataMinuteMs;
      if (quietStep(state, facts, freshNow)) continue;
    }
    const outcome = evaluateMinute(ctx, state, lastDataMinuteMs, atMs);
    evaluated++;
    state = outcome.state;
    evaluation = outcome.evaluation;
    evaluatedAtMs = atMs;
    for (const t of outcome.transitions) if (t.atMs >= fromAtMs) transitions.push(t);
  }

  if (evaluatedAtMs !== endAtMs && count > 0) evaluation = evaluateSlo({ slo, store: series, freshness: freshness.at(endAtMs, lastDataMinuteMs), nowMs: endAtMs });

  const budget: BudgetPoint[] = [];
  const stepMs = Math.max(MINUTE_MS, options.budgetStepMs ?? DEFAULT_BUDGET_STEP_MS);
  for (let atMs = fromAtMs; atMs <= endAtMs; atMs = atMs + stepMs > endAtMs && atMs < endAtMs ? endAtMs : atMs + stepMs) {
    const e = atMs === endAtMs && evaluation !== undefined ? evaluation : evaluateSlo({ slo, store: series, freshness: freshness.at(atMs, series.lastDataMinuteBefore(atMs)), nowMs: atMs });
    budget.push(budgetPoint(atMs, e.budget));
    if (atMs === endAtMs) break;
  }

  const alerts = alertEpisodes(rules, range, slo.holdMs).filter((a) => (a.endMs === null || a.endMs > fromAtMs) && a.startMs <= endAtMs);
  return { transitions, alerts, budget, finalEvaluation: evaluation, finalState: state, stats: { boundaries: count, evaluated, startedAtMs: startAtMs } };
}

function budgetPoint(atMs: number, b: ErrorBudget): BudgetPoint {
  return {
    atMs,
    attainment: b.attainment,
    good: b.good,
    total: b.total,
    consumedRatio: b.consumedRatio,
    remainingRatio: b.remainingRatio,
    allowedBadEvents: b.allowedBadEvents,
    exhausted: b.exhausted,
  };
}

/** The compliance window at a boundary (compliancePeriod, computed once per calendar month). */
class PeriodCursor {
  /** Length of the whole period, ms. */
  periodMs = 0;
  private readonly slo: Slo;
  private monthFromMs = Number.NaN;
  private monthToMs = Number.NaN;

  constructor(slo: Slo) {
    this.slo = slo;
    if (slo.compliance.kind === 'rolling') this.periodMs = slo.compliance.durationMs;
  }

  /** Start of the compliance window at `atMs`, epoch ms; `periodMs` is then the period's length. */
  at(atMs: number): number {
    if (this.slo.compliance.kind === 'rolling') return atMs - this.slo.compliance.durationMs;
    if (!(atMs >= this.monthFromMs && atMs < this.monthToMs)) {
      const period = compliancePeriod(this.slo.compliance, atMs);
      this.monthFromMs = period.fromMs;
      this.monthToMs = period.fromMs + period.periodMs;
      this.periodMs = period.periodMs;
    }
    return this.monthFromMs;
  }
}
