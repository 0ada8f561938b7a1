import type { ReplayFreshness } from '../core/history/history-replay.ts';
import type { MinuteSeries } from '../core/history/minute-series.ts';
import type { Slo } from '../core/slo/slo-definition.ts';
import { MINUTE_MS } from '../core/window/minute-bucket.ts';
import {
  EXPECTED_RATE_DAYS,
  EXPECTED_RATE_MIN_HISTORY_MS,
  EXPECTED_RATE_SAMPLE_MS,
  RATE_CHECK_MIN_EXPECTED_EVENTS,
  RECEIVED_RATE_SPAN_MS,
  scopeFreshness,
} from './scope-freshness.ts';

const DAY_MS = 86_400_000;
/** assessFreshness's default lowest received / expected rate (source-freshness.ts). */
const MIN_RECEIVED_RATIO = 0.1;
/** assessFreshness's default expected events below which silence is normal (source-freshness.ts). */
const MIN_EXPECTED_EVENTS_FOR_SILENCE = 1;

/**
 * The judge's scope freshness (scope-freshness.ts) over a replayed series: `at` is
 * scopeFreshness itself — what evaluateSlo gets at every boundary evaluated in full — and
 * `isFresh` the same verdict for the replay's screen, computed from the series' sums
 * without building the verdict objects and reasons (the checks of assessFreshness that
 * scopeFreshness uses: silence against maxStaleness, unless too few events were expected in
 * it; received rate over the last 5 minutes against the 7-day time-of-day expected rate).
 * Pinned to scopeFreshness at every boundary of random series by
 * test/engine/adapters/history-freshness.test.ts.
 */
export function seriesFreshness(slo: Slo, series: MinuteSeries): ReplayFreshness {
  const history = series.firstMinuteMs();
  const receivedMinutes = RECEIVED_RATE_SPAN_MS / MINUTE_MS;
  // the sums below are MinuteSeries.totalBetween written out over its prefix sums (minute
  // indexes ⌈(t − start) / 1 min⌉ clipped to the series): isFresh runs at every boundary
  const { total: prefix } = series.prefixes();
  const start = series.startMs;
  const n = series.length;
  const index = (t: number) => {
    const i = Math.ceil((t - start) / MINUTE_MS);
    return i < 0 ? 0 : i > n ? n : i;
  };
  const totalBetween = (fromMs: number, toMs: number) => {
    const b = index(toMs);
    const a = index(fromMs);
    return a >= b ? 0 : prefix[b]! - prefix[a]!;
  };

  const dayMinutes = DAY_MS / MINUTE_MS;
  const sampleMinutes = EXPECTED_RATE_SAMPLE_MS / MINUTE_MS;
  const expectedAt = (atMs: number): number | undefined => {
    if (history === undefined || atMs - history < EXPECTED_RATE_MIN_HISTORY_MS) return undefined;
    // the usual case: a whole-minute boundary, every sample inside the series and after the history start —
    // the loop below with its index arithmetic done once (same sums, same division)
    const b = (atMs - start) / MINUTE_MS;
    const oldest = b - EXPECTED_RATE_DAYS * dayMinutes - sampleMinutes;
    if (Number.isInteger(b) && oldest >= 0 && b <= n && atMs - EXPECTED_RATE_DAYS * DAY_MS - EXPECTED_RATE_SAMPLE_MS >= history) {
      let sum = 0;
      for (let day = 1; day <= EXPECTED_RATE_DAYS; day++) {
        const to = b - day * dayMinutes;
        sum += prefix[to]! - prefix[to - sampleMinutes]!;
      }
      return sum / (EXPECTED_RATE_DAYS * sampleMinutes);
    }
    let events = 0;
    let minutes = 0;
    for (let day = 1; day <= EXPECTED_RATE_DAYS; day++) {
      const toMs = atMs - day * DAY_MS;
      const fromMs = Math.max(toMs - EXPECTED_RATE_SAMPLE_MS, history);
      if (toMs <= fromMs) break;
      events += totalBetween(fromMs, toMs);
      minutes += (toMs - fromMs) / MINUTE_MS;
    }
    return minutes > 0 ? events / minutes : undefined;
  };

  return {
    at: (atMs, lastDataMinuteMs) => [scopeFreshness(slo, series, atMs, lastDataMinuteMs)],
    isFresh(atMs, lastDataMinuteMs) {
      if (lastDataMinuteMs === undefined) return false;
      const silenceMs = atMs - (lastDataMinuteMs + MINUTE_MS);
      const expected = expectedAt(atMs);
      if (silenceMs > slo.maxStalenessMs) {
        if (expected === undefined) return false;
        if ((expected * silenceMs) / 60_000 >= MIN_EXPECTED_EVENTS_FOR_SILENCE) return false;
      }
      if (expected !== undefined && expected * receivedMinutes >= RATE_CHECK_MIN_EXPECTED_EVENTS && expected > 0) {
        const received = totalBetween(atMs - RECEIVED_RATE_SPAN_MS, atMs) / receivedMinutes;
        if (received / expected < MIN_RECEIVED_RATIO) return false;
      }
      return true;
    },
  };
}
