import { errorBudget, expectedPeriodEvents } from '../budget/error-budget.ts';
import { compliancePeriod, type Slo } from '../slo/slo-definition.ts';
import { TRAILING_RATE_SPAN_MS } from '../slo-evaluator.ts';
import type { MinuteSeries } from './minute-series.ts';

/**
 * Whether the whole period's error budget is exhausted at a boundary, as the evaluator's
 * `periodBudget` (slo-evaluator.ts) decides it — the same volume prediction
 * (`expectedPeriodEvents`) and the same test (`errorBudget(…).exhausted`) — without its
 * explanation text, which costs a replay more than the arithmetic (number formatting).
 * Pinned to `evaluateSlo(…).budget.exhausted` by test/engine/core/history/period-budget-check.test.ts.
 *
 * `periodStartMs(atMs)` is the start of the compliance window at `atMs` (cached by the caller;
 * compliancePeriod otherwise).
 */
export function periodExhausted(slo: Slo, series: MinuteSeries, atMs: number, periodStartMs?: number, periodMs?: number): boolean {
  let fromMs = periodStartMs;
  let lengthMs = periodMs;
  if (fromMs === undefined || lengthMs === undefined) {
    const period = compliancePeriod(slo.compliance, atMs);
    fromMs = period.fromMs;
    lengthMs = period.periodMs;
  }
  const total = series.totalBetween(fromMs, atMs);
  const good = series.goodBetween(fromMs, atMs);
  const firstMs = series.firstMinuteMs();
  const rolling = slo.compliance.kind === 'rolling';
  const rateFromMs = Math.max(firstMs ?? atMs, rolling ? fromMs : atMs - TRAILING_RATE_SPAN_MS);
  const rateSpanMs = Math.max(0, atMs - rateFromMs);
  const rateTotal = rolling ? total : rateSpanMs > 0 ? series.totalBetween(rateFromMs, atMs) : 0;
  const expectedTotal = expectedPeriodEvents({ rateTotal, rateSpanMs, periodMs: lengthMs, observedTotal: total });
  return errorBudget({ good, total }, slo.target, { periodMs: lengthMs, expectedTotal, volumeBasis: '', minEvents: slo.minEvents }).exhausted;
}
