import { BURN_RATE_WINDOWS } from '../core/budget/burn-rate.ts';
import type { Slo } from '../core/slo/slo-definition.ts';
import { TRAILING_RATE_SPAN_MS } from '../core/slo-evaluator.ts';
import { HOUR_MS } from '../core/window/minute-bucket.ts';
import { EXPECTED_RATE_DAYS, EXPECTED_RATE_SAMPLE_MS } from './scope-freshness.ts';

const DAY_MS = 86_400_000;
/** Longest calendar month, ms (31 days): a month's window starts at most this far back. */
const LONGEST_MONTH_MS = 31 * DAY_MS;

/**
 * How much event-time history an SLO's evaluation at M reads, ms: its buckets older than
 * M − horizon are never read again, so a judge restores only this much (item 7: a 90-day
 * SLO needs its 90 days, not a fixed 35) and evicts what falls out of it. The longest of
 *  - the compliance window (rolling W; a calendar month starts ≤ 31 days back, and its
 *    volume comes from the trailing 30 days, TRAILING_RATE_SPAN_MS),
 *  - the alert rules' long windows and the reported burn-rate windows (up to 3 days),
 *  - the expected-rate history of scope freshness (7 days + one hour),
 * plus one hour, because eviction forgets whole hours (MinuteBucketStore.evictBefore).
 */
export function historyHorizonMs(slo: Slo): number {
  const windowMs = slo.compliance.kind === 'rolling' ? slo.compliance.durationMs : Math.max(LONGEST_MONTH_MS, TRAILING_RATE_SPAN_MS);
  return Math.max(
    windowMs,
    ...slo.alertRules.map((r) => r.longWindowMs),
    ...BURN_RATE_WINDOWS.map((w) => w.durationMs),
    EXPECTED_RATE_DAYS * DAY_MS + EXPECTED_RATE_SAMPLE_MS,
  ) + HOUR_MS;
}
