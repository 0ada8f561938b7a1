import { z } from 'zod';
import {
  AlertingSpecSchema,
  alertRuleFromSpec,
  DEFAULT_HOLD_MS,
  DEFAULT_MIN_BAD_EVENTS,
  type AlertRule,
} from '../alerting/alert-rules.ts';
import { defaultAlertRules, type DefaultRulesOutcome } from '../alerting/default-alert-rules.ts';
import { maxBurnRate } from '../budget/burn-rate.ts';
import { IndicatorSchema, type Indicator } from '../sli/indicator-strategies.ts';
import { DurationTextSchema, formatDurationMs, parseDurationMs } from '../time/duration.ts';
import { TierSchema, type Tier } from './service-tier.ts';

/**
 * The SLO file format (documented with examples in docs/slo-format.md). It reads like
 * OpenSLO v1 (`apiVersion`, `kind: SLO`, `metadata`, `spec.objectives`, `spec.timeWindow`)
 * with sluice's indicator kinds in place of OpenSLO's metric queries. Every object is
 * strict: an unknown key is an error naming its path.
 *
 * Compliance windows, one of:
 *  - rolling:        `{ duration: 28d, isRolling: true }` — the last 28 days, sliding;
 *  - calendar month: `{ duration: 1M, isRolling: false }`, optionally with OpenSLO's
 *    `calendar: { startTime, timeZone }`. Only UTC months are supported: timeZone must be
 *    `UTC` / `Etc/UTC`, and startTime, when given, must be 00:00:00 on the first day of a
 *    month (it only anchors the month boundaries, which are then every 1st at 00:00 UTC).
 */

/** Name of an SLO: a DNS-label-like token (OpenSLO's metadata.name rule). */
export const SloNameSchema = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/, 'must be lower-case letters, digits, "-", "_" or "." (e.g. checkout-availability)');

export const SloMetadataSchema = z.strictObject({
  name: SloNameSchema,
  displayName: z.string().min(1).max(256).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** One objective: the target ratio of good to total events. */
export const ObjectiveSchema = z.strictObject({
  displayName: z.string().min(1).optional(),
  /** Target, ratio strictly between 0 and 1 (0.999 = 99.9 %). */
  target: z.number().gt(0, 'must be > 0 (a ratio, e.g. 0.999)').lt(1, 'must be < 1 (a ratio, e.g. 0.999, not 99.9)'),
});
export type Objective = z.infer<typeof ObjectiveSchema>;

export const RollingTimeWindowSchema = z.strictObject({
  /** Length of the rolling window, e.g. `28d`, `30d`, `7d`. */
  duration: DurationTextSchema,
  isRolling: z.literal(true),
});

const UTC_MONTH_START = /^(\d{4})-(\d{2})-01[T ]00:00:00(\.0+)?Z?$/;

export const CalendarTimeWindowSchema = z.strictObject({
  /** Only whole calendar months are supported. */
  duration: z.literal('1M', { message: 'calendar windows must be 1M (one calendar month)' }),
  isRolling: z.literal(false),
  calendar: z
    .strictObject({
      startTime: z
        .string()
        .regex(UTC_MONTH_START, 'must be the first day of a month at 00:00:00, e.g. 2024-01-01 00:00:00')
        .optional(),
      timeZone: z.enum(['UTC', 'Etc/UTC'], { message: 'only UTC calendar months are supported' }),
    })
    .optional(),
});

export const TimeWindowSchema = z.discriminatedUnion('isRolling', [RollingTimeWindowSchema, CalendarTimeWindowSchema]);
export type TimeWindow = z.infer<typeof TimeWindowSchema>;

/** Data freshness requirements of an SLO. */
export const FreshnessSpecSchema = z.strictObject({
  /** Longest time without progress on a source before the SLO turns UNKNOWN, e.g. `10m`. */
  maxStaleness: DurationTextSchema,
});

export const SloSpecSchema = z.strictObject({
  description: z.string().max(4096).optional(),
  service: z.string().min(1).max(256),
  environment: z.string().min(1).max(256),
  tier: TierSchema,
  indicator: IndicatorSchema,
  objectives: z.array(ObjectiveSchema).length(1, 'exactly one objective is supported'),
  timeWindow: z.array(TimeWindowSchema).length(1, 'exactly one time window is supported'),
  /** Replaces the tier's burn-rate alert rules. */
  alerting: AlertingSpecSchema.optional(),
  /**
   * Fewest events the compliance window must hold before the SLO is judged OK or its
   * budget exhausted; below it (and with no rule firing) the SLO is UNKNOWN. Integer ≥ 1;
   * default ⌈3 / (1 − target)⌉ (defaultMinEvents). Rules have their own floor,
   * `alerting.minBadEvents`.
   */
  minEvents: z.number().int().min(1).optional(),
  freshness: FreshnessSpecSchema.optional(),
});

export const SLO_API_VERSIONS = ['sluice/v1', 'openslo/v1'] as const;

/** An SLO file document, as written. */
export const SloDefinitionSchema = z
  .strictObject({
    apiVersion: z.enum(SLO_API_VERSIONS),
    kind: z.literal('SLO'),
    metadata: SloMetadataSchema,
    spec: SloSpecSchema,
  })
  .superRefine((def, ctx) => {
    const target = def.spec.objectives[0]?.target;
    const window = def.spec.timeWindow[0];
    const windowMs = window?.isRolling ? parseDurationMs(window.duration) : 31 * 86_400_000;
    if (target !== undefined && window !== undefined && def.spec.alerting?.rules === undefined) {
      for (const problem of tierRulesFor(def.spec.tier, target, window).problems) ctx.addIssue({ code: 'custom', ...problem });
    }
    def.spec.alerting?.rules?.forEach((spec, i) => {
      const r = alertRuleFromSpec(spec);
      if (target !== undefined && r.burnRateThreshold > maxBurnRate(target)) {
        ctx.addIssue({
          code: 'custom',
          path: ['spec', 'alerting', 'rules', i, 'burnRate'],
          message: `${r.burnRateThreshold} can never be reached with target ${target} (highest burn rate ${maxBurnRate(target).toPrecision(6)})`,
        });
      }
      if (windowMs !== undefined && r.longWindowMs > windowMs) {
        ctx.addIssue({
          code: 'custom',
          path: ['spec', 'alerting', 'rules', i, 'longWindow'],
          message: `must not be longer than the SLO window (${formatDurationMs(windowMs)})`,
        });
      }
    });
  });
export type SloDefinition = z.infer<typeof SloDefinitionSchema>;

/** A calendar month is as long as its shortest for the default rules' window check, ms (28 days). */
const SHORTEST_MONTH_MS = 28 * 86_400_000;

/** The tier's default rules checked against the target and the window (default-alert-rules.ts). */
function tierRulesFor(tier: Tier, target: number, window: TimeWindow): DefaultRulesOutcome {
  return window.isRolling
    ? defaultAlertRules(tier, target, parseDurationMs(window.duration)!, formatDurationMs(parseDurationMs(window.duration)!, { weeks: false }))
    : defaultAlertRules(tier, target, SHORTEST_MONTH_MS, '1M');
}

/** Default longest time without progress on a source, ms (10 minutes). */
export const DEFAULT_MAX_STALENESS_MS = 600_000;

/**
 * Default fewest events of the compliance window before a verdict, the "rule of three":
 * with n events and no failure the 95 % upper confidence bound of the failure ratio is
 * about 3 / n (Hanley & Lippman-Hand, "If nothing goes wrong, is everything all right?",
 * JAMA 249(13):1743–1745, 1983), so only from n = 3 / (1 − target) events on can even a
 * clean window show that the target is met (3,000 events at 99.9 %, 300 at 99 %). Fewer
 * events cannot tell meeting the target from noise: the SLO is UNKNOWN unless a rule fires.
 */
export function defaultMinEvents(target: number): number {
  // relative tolerance 1e-9: 3 / (1 − 0.9) is 30.000000000000004 in binary floating point, and means 30
  return Math.ceil((3 / (1 - target)) * (1 - 1e-9));
}

/** The compliance window of a built SLO. */
export type ComplianceWindow = { kind: 'rolling'; durationMs: number } | { kind: 'calendarMonth' };

/** An SLO ready for evaluation: durations in ms, defaults applied, alert rules resolved. */
export interface Slo {
  name: string;
  displayName: string;
  service: string;
  environment: string;
  tier: Tier;
  indicator: Indicator;
  /** Target, ratio 0–1 exclusive. */
  target: number;
  compliance: ComplianceWindow;
  alertRules: AlertRule[];
  /**
   * How long BREACHED / WARNING stay after their condition turned false, ms (≥ 0): the
   * breach state machine's hold (Prometheus' keep_firing_for).
   */
  holdMs: number;
  /** Fewest bad events a rule's long window must hold before the rule fires (≥ 1). */
  minBadEvents: number;
  /** Fewest events the compliance window must hold before it is judged OK or budget-exhausted (≥ 1). */
  minEvents: number;
  /** Longest time without progress on a source before UNKNOWN, ms. */
  maxStalenessMs: number;
  /**
   * What loading changed about the SLO, one sentence each: default alert rules dropped for
   * a short SLO window or lowered for a low target (with their detection time for a total
   * outage). Empty when nothing was changed; the loader logs them.
   */
  notes: string[];
}

/** Builds the runtime SLO from a validated definition (Vector's config → build()). */
export function buildSlo(def: SloDefinition): Slo {
  const window = def.spec.timeWindow[0]!;
  const objective = def.spec.objectives[0]!;
  const explicit = def.spec.alerting?.rules;
  const defaults = explicit === undefined ? tierRulesFor(def.spec.tier, objective.target, window) : undefined;
  return {
    name: def.metadata.name,
    displayName: def.metadata.displayName ?? objective.displayName ?? def.metadata.name,
    service: def.spec.service,
    environment: def.spec.environment,
    tier: def.spec.tier,
    indicator: def.spec.indicator,
    target: objective.target,
    compliance: window.isRolling
      ? { kind: 'rolling', durationMs: parseDurationMs(window.duration)! }
      : { kind: 'calendarMonth' },
    alertRules: explicit === undefined ? defaults!.rules : explicit.map(alertRuleFromSpec),
    holdMs: def.spec.alerting?.holdFor === undefined ? DEFAULT_HOLD_MS : parseDurationMs(def.spec.alerting.holdFor, { allowZero: true })!,
    minBadEvents: def.spec.alerting?.minBadEvents ?? DEFAULT_MIN_BAD_EVENTS,
    minEvents: def.spec.minEvents ?? defaultMinEvents(objective.target),
    maxStalenessMs: def.spec.freshness ? parseDurationMs(def.spec.freshness.maxStaleness)! : DEFAULT_MAX_STALENESS_MS,
    notes: defaults?.notes ?? [],
  };
}

/** Time range `[fromMs, toMs)` of an SLO's compliance window at `nowMs` (epoch ms). */
export function complianceRange(compliance: ComplianceWindow, nowMs: number): { fromMs: number; toMs: number } {
  const { fromMs, toMs } = compliancePeriod(compliance, nowMs);
  return { fromMs, toMs };
}

/** The compliance window at `nowMs` and the whole period its error budget is for. */
export interface CompliancePeriod {
  /** Start of the window, epoch ms (rolling: now − W; calendar: the 1st of the month, 00:00 UTC). */
  fromMs: number;
  /** End of the window so far, epoch ms (= now). */
  toMs: number;
  /** Length of the whole period, ms: W, or the length of this calendar month (28–31 days). */
  periodMs: number;
  /** The period in words, e.g. `28d window` or `calendar month 2025-03`. */
  label: string;
}

/** The compliance window of an SLO at `nowMs` (epoch ms) and the whole period it belongs to. */
export function compliancePeriod(compliance: ComplianceWindow, nowMs: number): CompliancePeriod {
  if (compliance.kind === 'rolling') {
    return { fromMs: nowMs - compliance.durationMs, toMs: nowMs, periodMs: compliance.durationMs, label: `${formatDurationMs(compliance.durationMs, { weeks: false })} window` };
  }
  const now = new Date(nowMs);
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  const fromMs = Date.UTC(year, month, 1);
  return {
    fromMs,
    toMs: nowMs,
    periodMs: Date.UTC(year, month + 1, 1) - fromMs,
    label: `calendar month ${year}-${String(month + 1).padStart(2, '0')}`,
  };
}
