import type { EventCounts } from '../window/minute-bucket.ts';

/**
 * Error budget of an SLO over its compliance window, after The Site Reliability Workbook
 * (Beyer et al., O'Reilly 2018), chapter 2 "Implementing SLOs" and chapter 5 "Alerting on
 * SLOs" (https://sre.google/workbook/alerting-on-slos/).
 *
 * Step by step, with good and total events counted over the SLO window:
 * 1. attainment          = good / total                 (the SLI, ratio 0–1)
 * 2. bad                 = total − good
 * 3. allowed bad events  = (1 − target) · total         (the budget, in events)
 *    e.g. target 99.9 % and 1 000 000 requests → 1 000 bad requests may fail.
 * 4. consumed ratio      = bad / allowed = (1 − attainment) / (1 − target)
 *    (identical to the burn rate over the whole SLO window — see burn-rate.ts)
 * 5. remaining ratio     = 1 − consumed ratio (negative once overspent)
 * 6. remaining events    = allowed − bad
 * 7. exhausted           ⇔ bad ≥ allowed (with a relative tolerance of 1e-9, so that
 *    (1 − 0.99) · 100 000 = 1000.0000000000009 allowed is spent by 1 000 bad events)
 *    and there was at least one bad event.
 *
 * The budget is expressed in events rather than time: it shrinks and grows with traffic,
 * which is what a request-based SLO promises.
 */
export interface ErrorBudget {
  /** SLO target, ratio 0–1 exclusive (e.g. 0.999). */
  target: number;
  good: number;
  total: number;
  bad: number;
  /** good / total, ratio 0–1; null when there were no events. */
  attainment: number | null;
  /** Bad events the budget allows over the window: (1 − target) · total (fractional). */
  allowedBadEvents: number;
  /** Bad events spent (= bad). */
  consumedEvents: number;
  /** allowedBadEvents − bad; negative when overspent. */
  remainingEvents: number;
  /** bad / allowedBadEvents, ratio (> 1 when overspent); 0 when there were no events. */
  consumedRatio: number;
  /** 1 − consumedRatio, ratio (≤ 0 when exhausted). */
  remainingRatio: number;
  /** True when the budget is spent: bad ≥ allowedBadEvents (within 1e-9) with at least one bad event. */
  exhausted: boolean;
}

const RELATIVE_TOLERANCE = 1e-9;

/** Error budget for good/total counts over the SLO window and a target (ratio 0–1 exclusive). */
export function errorBudget(counts: EventCounts, target: number): ErrorBudget {
  const { good, total } = counts;
  const bad = total - good;
  const allowedBadEvents = (1 - target) * total;
  const consumedRatio = total === 0 ? 0 : bad / allowedBadEvents;
  const remainingRatio = 1 - consumedRatio;
  return {
    target,
    good,
    total,
    bad,
    attainment: total === 0 ? null : good / total,
    allowedBadEvents,
    consumedEvents: bad,
    remainingEvents: allowedBadEvents - bad,
    consumedRatio,
    remainingRatio,
    exhausted: bad > 0 && bad >= allowedBadEvents * (1 - RELATIVE_TOLERANCE),
  };
}
