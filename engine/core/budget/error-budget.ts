import type { EventCounts } from '../window/minute-bucket.ts';

/**
 * Error budget of an SLO for its whole compliance period, after The Site Reliability
 * Workbook (Beyer et al., O'Reilly 2018), chapter 2 "Implementing SLOs" ("if the service
 * receives 3,000,000 requests over four weeks, a 99.9% availability SLO gives us a budget
 * of 3,000 errors over that period") and chapter 5 "Alerting on SLOs"
 * (https://sre.google/workbook/alerting-on-slos/).
 *
 * The budget is an allowance for the **whole period** (a rolling window W, or the calendar
 * month), so it is computed from the volume the period is expected to hold, not from the
 * events seen so far. Otherwise a fresh rolling SLO, or a calendar month on its first day,
 * would be judged on minutes of traffic: three bad requests at 00:03 on the 1st would
 * exhaust "the month's" budget that 23:57 on the 31st shrugs off.
 *
 * Step by step, with good and total events counted over the compliance window so far:
 * 1. attainment          = good / total                       (the SLI, ratio 0–1)
 * 2. bad                 = total − good                       (events)
 * 3. expected total      = events the whole period is expected to hold (events), see
 *                          expectedPeriodEvents: observed rate × period length, never
 *                          less than what was already observed
 * 4. allowed bad events  = (1 − target) · expected total      (the budget, events)
 *    e.g. target 99.9 % and 4 320 000 expected requests → 4 320 bad requests may fail.
 * 5. consumed ratio      = bad / allowed                      (ratio, > 1 when overspent)
 * 6. remaining ratio     = 1 − consumed ratio                 (negative once overspent)
 * 7. remaining events    = allowed − bad                      (events)
 * 8. exhausted           ⇔ the window holds at least `minEvents` events, there was a bad
 *    event, and bad ≥ allowed (relative tolerance 1e-9, so that (1 − 0.99) · 100 000 =
 *    1000.0000000000009 allowed is spent by 1 000 bad events).
 *
 * Once the data covers the whole rolling window, expected total = observed total and the
 * budget is the classic (1 − target) · total. The budget is expressed in events rather
 * than time: it grows and shrinks with traffic, which is what a request-based SLO promises.
 */
export interface ErrorBudget {
  /** SLO target, ratio 0–1 exclusive (e.g. 0.999). */
  target: number;
  /** Good events observed in the compliance window so far. */
  good: number;
  /** Events observed in the compliance window so far. */
  total: number;
  /** Bad events observed in the compliance window so far (total − good). */
  bad: number;
  /** good / total, ratio 0–1; null when there were no events. */
  attainment: number | null;
  /** Length of the whole period the budget is for, ms (the rolling window, or this calendar month). */
  periodMs: number;
  /** Events the whole period is expected to hold (≥ total; fractional, an estimate). */
  expectedTotal: number;
  /** How expectedTotal was obtained, in words (e.g. `24,000 observed over 4h, scaled to 30d`). */
  volumeBasis: string;
  /** Bad events the budget allows over the whole period: (1 − target) · expectedTotal (fractional). */
  allowedBadEvents: number;
  /** Bad events spent (= bad). */
  consumedEvents: number;
  /** allowedBadEvents − bad, events; negative when overspent. */
  remainingEvents: number;
  /** bad / allowedBadEvents, ratio (> 1 when overspent); 0 when nothing is allowed yet. */
  consumedRatio: number;
  /** 1 − consumedRatio, ratio (≤ 0 when overspent). */
  remainingRatio: number;
  /** Fewest events the window must hold before the budget can be judged exhausted. */
  minEvents: number;
  /** True when the budget is spent: total ≥ minEvents, bad ≥ allowedBadEvents (within 1e-9) and at least one bad event. */
  exhausted: boolean;
}

/** The period a budget is for, and its expected volume (defaults: the observed counts are the whole period). */
export interface BudgetPeriod {
  /** Length of the whole period, ms. */
  periodMs?: number;
  /** Events the whole period is expected to hold; at least the observed total is used. */
  expectedTotal?: number;
  /** How expectedTotal was obtained, in words. */
  volumeBasis?: string;
  /** Fewest events before the budget can be exhausted; default 1. */
  minEvents?: number;
}

const RELATIVE_TOLERANCE = 1e-9;

/** Error budget for good/total counts observed in the SLO window so far and a target (ratio 0–1 exclusive). */
export function errorBudget(counts: EventCounts, target: number, period: BudgetPeriod = {}): ErrorBudget {
  const { good, total } = counts;
  const bad = total - good;
  const expectedTotal = Math.max(total, period.expectedTotal ?? total);
  const allowedBadEvents = (1 - target) * expectedTotal;
  const consumedRatio = allowedBadEvents === 0 ? 0 : bad / allowedBadEvents;
  const minEvents = period.minEvents ?? 1;
  return {
    target,
    good,
    total,
    bad,
    attainment: total === 0 ? null : good / total,
    periodMs: period.periodMs ?? 0,
    expectedTotal,
    volumeBasis: period.volumeBasis ?? `${formatCount(total)} observed`,
    allowedBadEvents,
    consumedEvents: bad,
    remainingEvents: allowedBadEvents - bad,
    consumedRatio,
    remainingRatio: 1 - consumedRatio,
    minEvents,
    exhausted: total >= minEvents && bad > 0 && bad >= allowedBadEvents * (1 - RELATIVE_TOLERANCE),
  };
}

/** What is known about the volume of a period: counts over some span of history inside or before it. */
export interface VolumeSample {
  /** Events counted over the rate span. */
  rateTotal: number;
  /** Span of history the rate was counted over, ms (0 when there is no history yet). */
  rateSpanMs: number;
  /** Length of the whole period, ms. */
  periodMs: number;
  /** Events already observed inside the period (the expectation never falls below them). */
  observedTotal: number;
}

/**
 * Events a whole period is expected to hold: the observed rate (rateTotal / rateSpanMs)
 * times the period length, and never less than what the period already holds.
 *  - rolling window W with data covering h ≤ W of it: rateTotal = observed, span = h, so
 *    expected = observed · W / h (= observed once the data covers the whole window);
 *  - calendar month: the trailing rate over up to the last 30 days of data × the month's
 *    length.
 * No history (span 0) expects only what was observed.
 */
export function expectedPeriodEvents(sample: VolumeSample): number {
  const { rateTotal, rateSpanMs, periodMs, observedTotal } = sample;
  if (rateSpanMs <= 0) return observedTotal;
  return Math.max(observedTotal, (rateTotal * periodMs) / rateSpanMs);
}

/**
 * One formatter for every count: `toLocaleString` with options builds a new Intl.NumberFormat
 * on each call (about 10 µs; 90 % of an evaluation's time), the shared one formats the same
 * text for a fraction of that.
 */
const COUNT_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** A count with thousands separators (`4400` → `4,400`, `4320.4` → `4,320.4`). */
export function formatCount(n: number): string {
  // whole counts (nearly all) are grouped by hand: a gate formats dozens, and even the shared
  // Intl formatter costs microseconds each; the output is the same text
  if (!Number.isSafeInteger(n) || Object.is(n, -0)) return COUNT_FORMAT.format(n);
  const digits = String(n < 0 ? -n : n);
  let out = digits.length % 3 === 0 ? digits.slice(0, 3) : digits.slice(0, digits.length % 3);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return n < 0 ? `-${out}` : out;
}
