import type { EventCounts } from '../window/minute-bucket.ts';

/**
 * Burn rate, after The Site Reliability Workbook, chapter 5 "Alerting on SLOs"
 * (https://sre.google/workbook/alerting-on-slos/, section "Alert on burn rate"), and
 * slok/sloth's internal/alert.
 *
 * Step by step:
 * 1. Over a window w (5m, 1h, …) count good and total events; bad = total − good.
 * 2. The error ratio of the window is  badRatio(w) = bad / total.
 * 3. The SLO allows an error ratio of  (1 − target)  on average over the SLO window
 *    (target 99.9 % → 0.001).
 * 4. The burn rate is how many times faster than allowed the budget is being spent:
 *        burnRate(w) = badRatio(w) / (1 − target)
 *    1× spends exactly the whole budget by the end of the SLO window; 14.4× spends it in
 *    SLO window / 14.4 (30 d / 14.4 = 50 h).
 * 5. Spending a fraction f of the budget within a window w of an SLO window T takes a burn
 *    rate of  f · T / w:  2 % of a 30-day budget in 1 h → 0.02 · 720 h / 1 h = 14.4×,
 *    5 % in 6 h → 6×, 10 % in 1 d → 3×, 10 % in 3 d → 1×. These are the workbook's
 *    thresholds (budgetFractionBurnRate below).
 *
 * The functions work on counts, not on buckets, so callers (and tests) can feed exact
 * counts at any resolution.
 */

/** The windows burn rates are reported for, with their lengths in ms. */
export const BURN_RATE_WINDOWS = [
  { window: '5m', durationMs: 300_000 },
  { window: '30m', durationMs: 1_800_000 },
  { window: '1h', durationMs: 3_600_000 },
  { window: '2h', durationMs: 7_200_000 },
  { window: '6h', durationMs: 21_600_000 },
  { window: '1d', durationMs: 86_400_000 },
  { window: '3d', durationMs: 259_200_000 },
] as const;

/** Burn rate of one window, with the counts it came from. */
export interface WindowBurn {
  /** Window label, e.g. `1h`. */
  window: string;
  /** Window length in ms. */
  durationMs: number;
  good: number;
  total: number;
  /** bad / total, ratio 0–1; 0 when there were no events. */
  badRatio: number;
  /** badRatio / (1 − target); 0 when there were no events (nothing burnt). */
  burnRate: number;
}

/** bad / total as a ratio 0–1 (0 when total is 0). */
export function badRatioOf(counts: EventCounts): number {
  return counts.total === 0 ? 0 : (counts.total - counts.good) / counts.total;
}

/** Burn rate (a multiple of the allowed error rate) of counts for a target (ratio 0–1 exclusive). */
export function burnRateOf(counts: EventCounts, target: number): number {
  return badRatioOf(counts) / (1 - target);
}

/** WindowBurn for counts observed over a window. */
export function windowBurn(window: string, durationMs: number, counts: EventCounts, target: number): WindowBurn {
  return {
    window,
    durationMs,
    good: counts.good,
    total: counts.total,
    badRatio: badRatioOf(counts),
    burnRate: burnRateOf(counts, target),
  };
}

/**
 * Burn rate that spends `budgetFraction` (ratio 0–1) of the budget of an SLO window of
 * `sloWindowMs` within `windowMs`: f · T / w (step 5 above).
 */
export function budgetFractionBurnRate(budgetFraction: number, windowMs: number, sloWindowMs: number): number {
  return (budgetFraction * sloWindowMs) / windowMs;
}

/** Highest burn rate possible for a target: every event bad, 1 / (1 − target). */
export function maxBurnRate(target: number): number {
  return 1 / (1 - target);
}
