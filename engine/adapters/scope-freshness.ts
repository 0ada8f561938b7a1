import { assessFreshness, type SourceFreshness } from '../core/freshness/source-freshness.ts';
import { signalOf } from '../core/sli/indicator-strategies.ts';
import type { Slo } from '../core/slo/slo-definition.ts';
import type { BucketReader } from '../core/slo-evaluator.ts';
import type { BucketSelector } from '../core/window/minute-bucket-store.ts';
import { HOUR_MS, MINUTE_MS } from '../core/window/minute-bucket.ts';

const DAY_MS = 86_400_000;

/** The received rate is measured over the last 5 minutes of event time before M, ms. */
export const RECEIVED_RATE_SPAN_MS = 5 * MINUTE_MS;
/** The expected rate is the same hour of the day on each of the previous 7 days. */
export const EXPECTED_RATE_DAYS = 7;
/** Length of each day's sample of the expected rate, ms (the hour before the same time of day). */
export const EXPECTED_RATE_SAMPLE_MS = HOUR_MS;
/** History an SLO needs before an expected rate is known, ms (one day: at least one sample). */
export const EXPECTED_RATE_MIN_HISTORY_MS = DAY_MS;
/**
 * Fewest events the received-rate window must be expected to hold before the rate check
 * applies. assessFreshness calls a scope stale below 10 % of its expected rate; with a
 * Poisson count of mean 20 the chance of fewer than 2 events is e^-20 · 21 ≈ 4·10^-8 per
 * evaluation (about one false alarm in 50 years of minutely evaluations), while at a mean
 * of 5 (1 event a minute) an empty 5-minute window happens once in 150 — ordinary noise.
 */
export const RATE_CHECK_MIN_EXPECTED_EVENTS = 20;

/** Which buckets make up the SLO's scope: its own, for its service and environment. */
export function sloSelector(slo: Slo): BucketSelector {
  return { sloName: slo.name, service: slo.service, environment: slo.environment };
}

/**
 * Events per minute the SLO's scope usually has at M: the mean rate over the hour before
 * the same time of day on each of the previous 7 days that the history covers (a
 * time-of-day sample, so a service that is quiet at night is compared with its own
 * nights, not with its day-time average). Undefined with less than a day of history.
 */
export function expectedEventsPerMinute(store: BucketReader, selector: BucketSelector, atMs: number): number | undefined {
  const firstMs = store.firstMinuteMs(selector);
  if (firstMs === undefined || atMs - firstMs < EXPECTED_RATE_MIN_HISTORY_MS) return undefined;
  let events = 0;
  let minutes = 0;
  for (let day = 1; day <= EXPECTED_RATE_DAYS; day++) {
    const toMs = atMs - day * DAY_MS;
    const fromMs = Math.max(toMs - EXPECTED_RATE_SAMPLE_MS, firstMs);
    if (toMs <= fromMs) break;
    events += store.sum(selector, fromMs, toMs).total;
    minutes += (toMs - fromMs) / MINUTE_MS;
  }
  return minutes > 0 ? events / minutes : undefined;
}

/**
 * Freshness of an SLO's scope — exactly the events its indicator counts, which are all its
 * deltas hold — judged in event time at the minute boundary M (the wall clock plays no
 * part, so live processing and a backlog judge alike):
 *  - silence: M − the end of its last minute with data before M, against maxStaleness. Its
 *    source's watermark passing M is what proves the silence: a dead production service
 *    whose staging neighbour, client spans or a span dated a day ahead keep its topic
 *    moving is silent, not fresh (data after M is never looked at);
 *  - received rate over the last 5 minutes against the expected rate (history), so a
 *    trickle from a service that usually sends hundreds a minute is not "fresh" — only
 *    where the window is expected to hold RATE_CHECK_MIN_EXPECTED_EVENTS or more.
 * `lastDataMinuteMs` is the start of the last minute with data before M (the judge tracks it).
 */
export function scopeFreshness(slo: Slo, store: BucketReader, atMs: number, lastDataMinuteMs: number | undefined): SourceFreshness {
  const selector = sloSelector(slo);
  const expected = expectedEventsPerMinute(store, selector, atMs);
  const received = store.sum(selector, atMs - RECEIVED_RATE_SPAN_MS, atMs).total / (RECEIVED_RATE_SPAN_MS / MINUTE_MS);
  return assessFreshness(
    {
      scope: slo.name,
      service: slo.service,
      signal: signalOf(slo.indicator),
      // minute resolution: "no data since T" names the end of the last minute that had data
      lastEventTimeMs: lastDataMinuteMs === undefined ? undefined : lastDataMinuteMs + MINUTE_MS,
      expectedEventsPerMinute: expected,
      receivedEventsPerMinute: expected !== undefined && expected * (RECEIVED_RATE_SPAN_MS / MINUTE_MS) >= RATE_CHECK_MIN_EXPECTED_EVENTS ? received : undefined,
    },
    { maxStalenessMs: slo.maxStalenessMs },
    atMs,
  );
}
