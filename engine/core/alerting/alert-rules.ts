import { z } from 'zod';
import { windowBurn, type WindowBurn } from '../budget/burn-rate.ts';
import type { Tier } from '../slo/service-tier.ts';
import { DurationTextSchema, formatDurationMs, parseDurationMs, ZeroOrDurationTextSchema } from '../time/duration.ts';
import type { EventCounts } from '../window/minute-bucket.ts';

/**
 * Multiwindow, multi-burn-rate alert rules, after The Site Reliability Workbook, chapter 5
 * "Alerting on SLOs", section 6 "Multiwindow, Multi-Burn-Rate Alerts"
 * (https://sre.google/workbook/alerting-on-slos/).
 *
 * A rule fires when the burn rate (burn-rate.ts) is at or above its threshold over BOTH
 *  - the long window: proves enough budget is being spent to matter (2 % of a 30-day
 *    budget in 1 h at 14.4×), and
 *  - the short window (1/12 of the long one): proves it is still being spent now, so the
 *    alert resets within minutes once the problem is fixed instead of staying on for the
 *    rest of the long window.
 *
 * Workbook defaults (table 5-8, SLO window 30 days):
 *   page    14.4× over 1 h and 5 m   (2 % of the budget in 1 h)
 *   page       6× over 6 h and 30 m  (5 % in 6 h)
 *   ticket     3× over 1 d and 2 h   (10 % in 1 d)
 *   ticket     1× over 3 d and 6 h   (10 % in 3 d)
 *
 * Detection time: with target 99.9 % and every request failing, the bad ratio over the
 * last hour reaches 14.4 · 0.001 = 1.44 % after 0.0144 · 3600 s = 51.84 s, so the 1 h
 * page fires after about 52 s (the 5 m window passed 1.44 % after 4.32 s).
 *
 * Thresholds are compared with a relative tolerance of 1e-9 so that exact workbook
 * arithmetic (14.4 · 0.001) is not lost to binary floating point.
 */

export const ALERT_SEVERITIES = ['page', 'ticket'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** One multiwindow burn-rate rule. */
export interface AlertRule {
  /** Stable name, e.g. `page-1h-5m`; names the rule in transitions and verdicts. */
  name: string;
  severity: AlertSeverity;
  /** Long window in ms (e.g. 3 600 000 for 1 h). */
  longWindowMs: number;
  /** Short window in ms, shorter than the long one (workbook: 1/12 of it). */
  shortWindowMs: number;
  /** Burn rate (multiple of the allowed error rate) both windows must reach. */
  burnRateThreshold: number;
}

function rule(severity: AlertSeverity, longWindow: string, shortWindow: string, burnRateThreshold: number): AlertRule {
  return {
    name: `${severity}-${longWindow}-${shortWindow}`,
    severity,
    longWindowMs: parseDurationMs(longWindow)!,
    shortWindowMs: parseDurationMs(shortWindow)!,
    burnRateThreshold,
  };
}

/** The workbook's four rules (see above). */
export const WORKBOOK_ALERT_RULES: readonly AlertRule[] = [
  rule('page', '1h', '5m', 14.4),
  rule('page', '6h', '30m', 6),
  rule('ticket', '1d', '2h', 3),
  rule('ticket', '3d', '6h', 1),
];

/**
 * Rules per tier, used when an SLO gives no `spec.alerting`:
 *  - critical: the workbook's rules as they are;
 *  - standard: pages only on the fastest burn (14.4× / 1 h), the 6× / 6 h burn is a ticket;
 *  - best-effort: never pages; the three slower burns are tickets.
 */
export const TIER_ALERT_RULES: Readonly<Record<Tier, readonly AlertRule[]>> = {
  critical: WORKBOOK_ALERT_RULES,
  standard: [
    rule('page', '1h', '5m', 14.4),
    rule('ticket', '6h', '30m', 6),
    rule('ticket', '1d', '2h', 3),
    rule('ticket', '3d', '6h', 1),
  ],
  'best-effort': [rule('ticket', '6h', '30m', 6), rule('ticket', '1d', '2h', 3), rule('ticket', '3d', '6h', 1)],
};

/** One rule as written in `spec.alerting.rules` of an SLO file. */
export const AlertRuleSpecSchema = z
  .strictObject({
    /** Defaults to `<severity>-<longWindow>-<shortWindow>`. */
    name: z.string().min(1).optional(),
    severity: z.enum(ALERT_SEVERITIES),
    longWindow: DurationTextSchema,
    shortWindow: DurationTextSchema,
    /** Burn-rate threshold, > 0 (e.g. 14.4). */
    burnRate: z.number().finite().positive(),
  })
  .refine((r) => parseDurationMs(r.shortWindow)! < parseDurationMs(r.longWindow)!, {
    path: ['shortWindow'],
    message: 'must be shorter than longWindow',
  });
export type AlertRuleSpec = z.infer<typeof AlertRuleSpecSchema>;

/**
 * Fewest bad events a rule's long window must hold before the rule may fire (default of
 * `spec.alerting.minBadEvents`). Below it the count is within Poisson noise of what a
 * service meeting its target produces: at the traffic where a rule's threshold is exactly
 * 5 bad events, a service burning at exactly 1× (meeting its target) reaches the threshold
 * by chance with probability P(Poisson(5 / b) ≥ 5) — 0.003 % for the 14.4× page rule and
 * 0.17 % for the 6× one; with more traffic the ratio threshold needs more bad events and
 * the chance only falls. Without the floor, one failure among 15 requests (66× at 99.9 %)
 * pages, which is the workbook's "low-traffic services" problem (ch. 5). See
 * docs/verdict-semantics.md.
 */
export const DEFAULT_MIN_BAD_EVENTS = 5;

/**
 * How long a breach or warning stays on after its condition turned false, ms (default of
 * `spec.alerting.holdFor`; Prometheus' `keep_firing_for`). Ten minutes: twice the 5 m short
 * window of the fastest default rule, so the short window must have been below its
 * threshold for two full lengths before a pager hears "resolved" — long enough that a
 * burn hovering around a threshold (a constant 16× against 14.4×) stays one breach, short
 * enough that a fixed outage resolves within minutes of the workbook's own reset time.
 */
export const DEFAULT_HOLD_MS = 600_000;

/** `spec.alerting` of an SLO file. */
export const AlertingSpecSchema = z.strictObject({
  /** Replaces the tier's rules entirely; the tier's (validated) rules when absent. */
  rules: z.array(AlertRuleSpecSchema).min(1).optional(),
  /** Fewest bad events a rule's long window must hold before it fires, integer ≥ 1; default 5. */
  minBadEvents: z.number().int().min(1).optional(),
  /**
   * How long a breach (or warning) stays on after its condition turned false, e.g. `10m`;
   * `0m` clears on the first evaluation without it. Default 10m (DEFAULT_HOLD_MS).
   */
  holdFor: ZeroOrDurationTextSchema.optional(),
});
export type AlertingSpec = z.infer<typeof AlertingSpecSchema>;

/** A rule from its file form (durations parsed to ms). */
export function alertRuleFromSpec(spec: AlertRuleSpec): AlertRule {
  const longWindowMs = parseDurationMs(spec.longWindow);
  const shortWindowMs = parseDurationMs(spec.shortWindow);
  if (longWindowMs === undefined || shortWindowMs === undefined) {
    throw new RangeError(`bad window in rule ${JSON.stringify(spec)}`);
  }
  return {
    name: spec.name ?? `${spec.severity}-${formatDurationMs(longWindowMs)}-${formatDurationMs(shortWindowMs)}`,
    severity: spec.severity,
    longWindowMs,
    shortWindowMs,
    burnRateThreshold: spec.burnRate,
  };
}

/** Counts of good/total events over the window of `windowMs` ending now. */
export type CountsOverWindow = (windowMs: number) => EventCounts;

/** The outcome of one rule. */
export interface RuleEvaluation {
  rule: AlertRule;
  firing: boolean;
  long: WindowBurn;
  short: WindowBurn;
  /** True when the long window held fewer bad events than `minBadEvents`, so the rule cannot fire. */
  insufficientData: boolean;
}

const RELATIVE_TOLERANCE = 1e-9;

/** burnRate ≥ threshold, allowing for binary rounding (relative tolerance 1e-9). */
export function reachesThreshold(burnRate: number, threshold: number): boolean {
  return burnRate >= threshold * (1 - RELATIVE_TOLERANCE);
}

/**
 * Evaluates rules for a target (ratio 0–1 exclusive). `countsOver` answers good/total for
 * a window length; each distinct window is asked once. A rule whose long window holds
 * fewer than `minBadEvents` bad events (default DEFAULT_MIN_BAD_EVENTS) does not fire
 * (insufficientData), so one failure among 15 requests does not page.
 */
export function evaluateAlertRules(
  rules: readonly AlertRule[],
  target: number,
  countsOver: CountsOverWindow,
  options: { minBadEvents?: number } = {},
): RuleEvaluation[] {
  const cache = new Map<number, EventCounts>();
  const counts = (windowMs: number): EventCounts => {
    let c = cache.get(windowMs);
    if (c === undefined) cache.set(windowMs, (c = countsOver(windowMs)));
    return c;
  };
  const minBadEvents = options.minBadEvents ?? DEFAULT_MIN_BAD_EVENTS;
  return rules.map((r) => {
    const long = windowBurn(formatDurationMs(r.longWindowMs), r.longWindowMs, counts(r.longWindowMs), target);
    const short = windowBurn(formatDurationMs(r.shortWindowMs), r.shortWindowMs, counts(r.shortWindowMs), target);
    const insufficientData = long.total === 0 || long.total - long.good < minBadEvents;
    const firing =
      !insufficientData &&
      reachesThreshold(long.burnRate, r.burnRateThreshold) &&
      reachesThreshold(short.burnRate, r.burnRateThreshold);
    return { rule: r, firing, long, short, insufficientData };
  });
}
