import { evaluateAlertRules, type RuleEvaluation } from './alerting/alert-rules.ts';
import { BURN_RATE_WINDOWS, windowBurn, type WindowBurn } from './budget/burn-rate.ts';
import { errorBudget, expectedPeriodEvents, formatCount, type ErrorBudget } from './budget/error-budget.ts';
import { combineFreshness, type SourceFreshness } from './freshness/source-freshness.ts';
import type { LatencySketch } from './sketch/latency-sketch.ts';
import { compliancePeriod, type CompliancePeriod, type Slo } from './slo/slo-definition.ts';
import { formatDurationMs } from './time/duration.ts';
import type { BucketSelector } from './window/minute-bucket-store.ts';
import { minuteStartOf, type EventCounts } from './window/minute-bucket.ts';

/**
 * What the evaluator reads: range sums over minute buckets. MinuteBucketStore implements
 * it in memory; a ClickHouse reader over the minute rollups implements it in production.
 */
export interface BucketReader {
  /** Good/total over `[fromMs, toMs)` (epoch ms) summed over the keys the selector matches. */
  sum(selector: BucketSelector, fromMs: number, toMs: number): EventCounts;
  /** Merged latency sketch over the range; optional (latency quantiles are left out without it). */
  sketch?(selector: BucketSelector, fromMs: number, toMs: number): LatencySketch | undefined;
  /**
   * Start (epoch ms) of the earliest minute holding data for the selector — the start of
   * the SLO's history, undefined when there is none. The error budget is for the whole
   * period, so the evaluator needs to know how much of it the data covers.
   */
  firstMinuteMs(selector: BucketSelector): number | undefined;
}

/** Longest trailing span whose event rate predicts a calendar month's volume, ms (30 days). */
export const TRAILING_RATE_SPAN_MS = 30 * 86_400_000;

/** Status of an SLO at one evaluation. */
export const SLO_STATUSES = ['OK', 'WARNING', 'BREACHED', 'UNKNOWN'] as const;
export type SloStatus = (typeof SLO_STATUSES)[number];

/** Latency quantiles over the SLO window, ms (latency indicators with a sketch only). */
export interface LatencyQuantiles {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

/** Everything known about one SLO (for one selector) at `atMs`. */
export interface SloEvaluation {
  sloName: string;
  /** The keys summed: the SLO's service and environment, and a version when given. */
  selector: BucketSelector;
  /** Evaluation time: the minute boundary M every window ends at, epoch ms (stamp transitions with it). */
  atMs: number;
  /** Target, ratio 0–1 exclusive. */
  target: number;
  /** Compliance window `[fromMs, toMs)`, epoch ms. */
  window: { fromMs: number; toMs: number };
  /** good / total over the compliance window, ratio 0–1; null without events. */
  attainment: number | null;
  budget: ErrorBudget;
  /** Burn rates over 5m, 30m, 1h, 2h, 6h, 1d, 3d ending at atMs. */
  burnRates: WindowBurn[];
  /** Every alert rule of the SLO with its two windows. */
  rules: RuleEvaluation[];
  /** The rules that fire (subset of `rules`). */
  firing: RuleEvaluation[];
  status: SloStatus;
  /** Why the status is what it is, one sentence. */
  reason: string;
  /** The SLO's hold, ms: how long the state machine keeps BREACHED / WARNING after their condition turns false. */
  holdMs: number;
  /** The rule behind WARNING / BREACHED (the most severe firing one). */
  rule?: RuleEvaluation | undefined;
  /** Freshness of the SLO's scope: fresh, why not, and when it last had data (epoch ms). */
  freshness: { fresh: boolean; reason?: string | undefined; lastEventTimeMs?: number | undefined; sources: SourceFreshness[] };
  latency?: LatencyQuantiles | undefined;
}

export interface EvaluateSloInput {
  slo: Slo;
  store: BucketReader;
  /**
   * Freshness of the SLO's scope (assessFreshness, one entry per source the SLO counts),
   * judged by the caller — the wall clock only judges staleness. Each entry carries its
   * last event time, which a held breach reports as "no data since …".
   */
  freshness: readonly SourceFreshness[];
  /**
   * Evaluation time, epoch ms: a whole-minute boundary M of the SLO's event-time watermark.
   * Every window of length W is the minute buckets of `[M − W, M)`; a time inside a minute
   * is rounded down to its boundary, so the minute still being filled never counts.
   */
  nowMs: number;
  /** Evaluate one release only (e.g. a canary); all versions when absent. */
  version?: string | undefined;
}

/**
 * Evaluates an SLO at nowMs: attainment and error budget over the compliance window, burn
 * rates over the standard windows, the multiwindow alert rules, and a status:
 *  1. a stale source                                       → UNKNOWN (never BREACHED on missing data)
 *  2. a page rule firing (≥ minBadEvents bad events)       → BREACHED
 *  3. the budget for the whole period exhausted
 *     (the window holds ≥ minEvents events)                → BREACHED
 *  4. a ticket rule firing (≥ minBadEvents bad events)     → WARNING
 *  5. fewer than minEvents events in the window            → UNKNOWN (too few to judge)
 *  6. otherwise                                            → OK
 * Each judgement needs its own evidence: a rule its bad events, the budget and OK enough
 * events in the compliance window; so a new service failing 50 of 50 requests pages,
 * while 15 requests with one failure are UNKNOWN. The status is the instantaneous one;
 * the breach state machine (breach-state-machine.ts) adds the hold and silence rules.
 * Pure: reads only through `store`. Windows end at M = nowMs rounded down to the minute and
 * hold exactly the whole buckets of `[M − W, M)`, which is what Prometheus' `rate(x[W])`
 * evaluated at M measures — never a window one (nearly empty) minute short.
 */
export function evaluateSlo(input: EvaluateSloInput): SloEvaluation {
  const { slo, store } = input;
  const nowMs = minuteStartOf(input.nowMs);
  const selector: BucketSelector = { sloName: slo.name, service: slo.service, environment: slo.environment };
  if (input.version !== undefined) selector.version = input.version;

  const period = compliancePeriod(slo.compliance, nowMs);
  const window = { fromMs: period.fromMs, toMs: period.toMs };
  const budget = periodBudget(slo, store, selector, period);
  const countsOver = (durationMs: number): EventCounts => store.sum(selector, nowMs - durationMs, nowMs);
  const burnRates = BURN_RATE_WINDOWS.map((w) => windowBurn(w.window, w.durationMs, countsOver(w.durationMs), slo.target));
  const rules = evaluateAlertRules(slo.alertRules, slo.target, countsOver, { minBadEvents: slo.minBadEvents });
  const firing = rules.filter((r) => r.firing);
  const freshness = { ...combineFreshness(input.freshness), sources: [...input.freshness] };

  let latency: LatencyQuantiles | undefined;
  const sketch = slo.indicator.kind === 'latency' ? store.sketch?.(selector, window.fromMs, window.toMs) : undefined;
  if (sketch !== undefined && sketch.count > 0) {
    latency = { p50Ms: sketch.quantile(0.5)!, p95Ms: sketch.quantile(0.95)!, p99Ms: sketch.quantile(0.99)! };
  }

  const page = firing.find((r) => r.rule.severity === 'page');
  const ticket = firing.find((r) => r.rule.severity === 'ticket');
  let status: SloStatus;
  let reason: string;
  let rule: RuleEvaluation | undefined;
  if (!freshness.fresh) {
    status = 'UNKNOWN';
    reason = `data not fresh: ${freshness.reason}`;
  } else if (page !== undefined) {
    status = 'BREACHED';
    rule = page;
    reason = describeFiring(page);
  } else if (budget.exhausted) {
    status = 'BREACHED';
    reason =
      `error budget exhausted: ${formatCount(budget.bad)} bad events of ${formatCount(budget.allowedBadEvents)} allowed for the ${period.label} ` +
      `(expected volume ${formatCount(budget.expectedTotal)} events: ${budget.volumeBasis})`;
  } else if (ticket !== undefined) {
    status = 'WARNING';
    rule = ticket;
    reason = describeFiring(ticket);
  } else if (budget.total < slo.minEvents) {
    status = 'UNKNOWN';
    reason =
      `too few events to judge: ${formatCount(budget.total)} in the ${period.label}, at least ${formatCount(slo.minEvents)} needed ` +
      `and no alert rule has ${slo.minBadEvents} bad events to fire on`;
  } else {
    status = 'OK';
    reason = `no alert rule firing and error budget left: ${percent(budget.consumedRatio)} of the ${period.label}'s budget spent`;
  }

  return {
    sloName: slo.name,
    selector,
    atMs: nowMs,
    target: slo.target,
    window,
    attainment: budget.attainment,
    budget,
    burnRates,
    rules,
    firing,
    status,
    reason,
    rule,
    holdMs: slo.holdMs,
    freshness,
    latency,
  };
}

function describeFiring(r: RuleEvaluation): string {
  return (
    `${r.rule.severity} rule ${r.rule.name} fires: burn rate ${r.long.burnRate.toFixed(2)}× over ${r.long.window} and ` +
    `${r.short.burnRate.toFixed(2)}× over ${r.short.window} reach ${r.rule.burnRateThreshold}× ` +
    `(${formatCount(r.long.total - r.long.good)} bad of ${formatCount(r.long.total)} events over ${r.long.window})`
  );
}

/** A ratio as a percentage with one decimal (`0.123` → `12.3 %`). */
function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)} %`;
}

/**
 * The error budget for the whole compliance period (error-budget.ts): the allowance comes
 * from the volume the period is expected to hold, predicted from the history there is.
 *  - rolling window W: the data covers h = now − max(window start, history start);
 *    expected = observed · W / h (the observed total itself once h = W);
 *  - calendar month: the trailing rate over up to the last 30 days of data × the month's
 *    length, never less than what the month already holds.
 */
function periodBudget(slo: Slo, store: BucketReader, selector: BucketSelector, period: CompliancePeriod): ErrorBudget {
  const nowMs = period.toMs;
  const observed = store.sum(selector, period.fromMs, nowMs);
  const firstMs = store.firstMinuteMs(selector);
  const rateFromMs = Math.max(firstMs ?? nowMs, slo.compliance.kind === 'rolling' ? period.fromMs : nowMs - TRAILING_RATE_SPAN_MS);
  const rateSpanMs = Math.max(0, nowMs - rateFromMs);
  const rateTotal = slo.compliance.kind === 'rolling' ? observed.total : rateSpanMs > 0 ? store.sum(selector, rateFromMs, nowMs).total : 0;
  const expectedTotal = expectedPeriodEvents({ rateTotal, rateSpanMs, periodMs: period.periodMs, observedTotal: observed.total });
  const whole = formatDurationMs(period.periodMs, { weeks: false });
  let volumeBasis: string;
  if (rateSpanMs === 0) volumeBasis = 'no history yet';
  else if (expectedTotal === observed.total && rateSpanMs >= period.periodMs) volumeBasis = `${formatCount(observed.total)} observed over the whole ${whole}`;
  else if (expectedTotal === observed.total) volumeBasis = `${formatCount(observed.total)} observed so far, more than the rate predicts`;
  else volumeBasis = `${formatCount(rateTotal)} observed over ${formatDurationMs(rateSpanMs, { weeks: false })}, scaled to ${whole}`;
  return errorBudget(observed, slo.target, { periodMs: period.periodMs, expectedTotal, volumeBasis, minEvents: slo.minEvents });
}
