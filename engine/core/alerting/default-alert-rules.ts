import { maxBurnRate } from '../budget/burn-rate.ts';
import type { Tier } from '../slo/service-tier.ts';
import { formatDurationMs } from '../time/duration.ts';
import { TIER_ALERT_RULES, type AlertRule } from './alert-rules.ts';

/**
 * The tier's default alert rules (alert-rules.ts), checked against an SLO's target and
 * window like rules an SLO gives itself — but adapted where that is sensible, since the
 * user did not choose them:
 *
 * 1. A rule whose long window is longer than the SLO window is dropped (a 1-day SLO has no
 *    use for a 3-day rule) and the drop is noted.
 * 2. A rule whose threshold is more than half the highest possible burn rate — 1 / (1 −
 *    target), every event failing — is lowered to half of it. The workbook's thresholds
 *    assume targets of 99 % and more (ch. 5, table 5-8); at a 90 % target the burn rate can
 *    never exceed 10×, so the 14.4× page rule could never fire and a total outage would
 *    first page after 216 minutes through the 6×/6h rule. Half the highest burn rate is
 *    what an outage affecting half of the events produces, and what a total outage
 *    reaches over the long window after half of it (30 minutes for the 1 h rule; the 5 m
 *    short window is there after 2.5 minutes). Lowering only thresholds above that keeps
 *    the workbook's rules as they are for every target from 96.6 % up, and makes the
 *    change continuous in the target. Each lowered rule is noted with its detection time.
 * 3. A threshold is never lowered below 1× (a page at less than the budget rate would page
 *    a service that meets its target): when half the highest burn rate is below 1× (target
 *    below 0.5) there is no sensible default, and loading fails naming the target and the
 *    tier and asking for `spec.alerting.rules`. So does an SLO window shorter than every
 *    default rule's long window.
 *
 * Rules given in `spec.alerting.rules` are never adapted: out-of-reach thresholds and
 * overlong windows are rejected there (slo-definition.ts).
 */

/** A reason loading must fail, with the path of the option at fault. */
export interface DefaultRulesProblem {
  path: (string | number)[];
  message: string;
}

/** The default rules an SLO gets, what was changed about them, and why they cannot be used. */
export interface DefaultRulesOutcome {
  rules: AlertRule[];
  /** One sentence per dropped or lowered rule, for the built SLO's notes. */
  notes: string[];
  /** Non-empty when the tier's rules cannot serve the SLO: loading fails. */
  problems: DefaultRulesProblem[];
}

const RELATIVE_TOLERANCE = 1e-9;

/**
 * The tier's rules for an SLO with `target` (ratio 0–1 exclusive) and a compliance window of
 * `sloWindowMs` (a calendar month counts as its shortest, 28 days), labelled `windowLabel`.
 */
export function defaultAlertRules(tier: Tier, target: number, sloWindowMs: number, windowLabel: string): DefaultRulesOutcome {
  const notes: string[] = [];
  const problems: DefaultRulesProblem[] = [];
  const highest = maxBurnRate(target);
  const half = highest / 2;
  const lowered = Number(half.toPrecision(3));
  const tierRules = TIER_ALERT_RULES[tier];

  const kept = tierRules.filter((r) => {
    if (r.longWindowMs <= sloWindowMs) return true;
    notes.push(`${r.name} dropped: its long window ${formatDurationMs(r.longWindowMs, { weeks: false })} is longer than the ${windowLabel} SLO window`);
    return false;
  });
  if (kept.length === 0) {
    problems.push({
      path: ['spec', 'timeWindow', 0, 'duration'],
      message: `${windowLabel} is shorter than the long window of every default alert rule of tier ${tier} (spec.tier); give your own spec.alerting.rules`,
    });
  }

  const needsLowering = kept.some((r) => r.burnRateThreshold > half * (1 + RELATIVE_TOLERANCE));
  if (needsLowering && half < 1) {
    problems.push({
      path: ['spec', 'objectives', 0, 'target'],
      message:
        `${target} is too low for the default alert rules of tier ${tier} (spec.tier): the highest burn rate possible is ${highest.toPrecision(3)}×, ` +
        'and a default rule is never lowered below 1×; give your own spec.alerting.rules',
    });
  }

  const rules = kept.map((r) => {
    if (!(r.burnRateThreshold > half * (1 + RELATIVE_TOLERANCE)) || half < 1) return { ...r };
    // a total outage reaches `lowered` over the long window after L · lowered / highest, seen at the next minute
    // boundary (rules compare with the same relative tolerance, so 0.5 · 60 min is 30 min, not 31)
    const detectionMs = Math.ceil(((r.longWindowMs * lowered) / highest / 60_000) * (1 - RELATIVE_TOLERANCE)) * 60_000;
    notes.push(
      `${r.name}: burn rate ${r.burnRateThreshold}× is more than half the highest burn rate possible at target ${target} (${Number(highest.toPrecision(3))}×); ` +
        `lowered to ${lowered}×, so a total outage fires it after ${formatDurationMs(detectionMs, { weeks: false })}`,
    );
    return { ...r, burnRateThreshold: lowered };
  });
  return { rules, notes, problems };
}
