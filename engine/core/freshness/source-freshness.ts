import type { SliSignal } from '../sli/indicator-strategy.ts';

/**
 * Data freshness of one source: is the data behind an SLI recent and complete enough to
 * judge? A source is best the SLO's scope — exactly the events the SLO counts — so that
 * another route of the same service cannot keep it "fresh". A stale source makes an OK SLO
 * UNKNOWN — never BREACHED (design guarantee 2, "no false breach from missing data") — and
 * a BREACHED or WARNING one stays as it is, "no data since <last event time>", until data
 * shows recovery (breach-state-machine.ts): silence is not health.
 *
 * Pure: the wall clock comes in as `nowMs`, so the same judgement serves live evaluation
 * (an adapter's staleness overlay) and replays.
 */

/** What ingest knows about one source at `nowMs`. All times are epoch ms. */
export interface SourceActivity {
  /** The SLO scope the activity is for (e.g. the SLO name), named in reasons; optional. */
  scope?: string | undefined;
  service: string;
  signal: SliSignal;
  /** Event time of the newest event of this source; undefined if none was ever seen. */
  lastEventTimeMs?: number | undefined;
  /**
   * Watermark of the partitions carrying this source (lowest over them): how far event
   * time has progressed, even when this service itself was quiet.
   */
  watermarkMs?: number | undefined;
  /** Age of the oldest unconsumed message on those partitions, ms (consumer lag in time). */
  consumerLagMs?: number | undefined;
  /** Events per minute this source usually sends (e.g. a 7-day average); optional. */
  expectedEventsPerMinute?: number | undefined;
  /** Events per minute received over the recent past (e.g. the last 5 minutes); optional. */
  receivedEventsPerMinute?: number | undefined;
}

/** Thresholds of the freshness judgement. */
export interface FreshnessPolicy {
  /** Longest tolerated lag of watermark, consumer or last event behind now, ms. */
  maxStalenessMs: number;
  /** Lowest tolerated received / expected event rate, ratio 0–1; default 0.1. */
  minReceivedRatio?: number | undefined;
  /**
   * Expected rate (events / min) below which silence is normal: a source expected to send
   * fewer events than this in maxStalenessMs is not stale for being silent. Default 1.
   */
  minExpectedEventsForSilence?: number | undefined;
}

/** The verdict for one source. */
export interface SourceFreshness {
  /** The SLO scope judged, when the activity named one. */
  scope?: string | undefined;
  service: string;
  signal: SliSignal;
  fresh: boolean;
  /** Why the source is stale (absent when fresh). */
  reason?: string;
  /** Event time of the newest event of the source, epoch ms; undefined when none was seen. */
  lastEventTimeMs?: number | undefined;
  /** now − lastEventTimeMs, ms; undefined when no event was seen. */
  silenceMs?: number | undefined;
  /** now − watermarkMs, ms; undefined when unknown. */
  watermarkLagMs?: number | undefined;
  consumerLagMs?: number | undefined;
}

const DEFAULT_MIN_RECEIVED_RATIO = 0.1;

/**
 * Judges a source, checks in order:
 * 1. consumer lag (time) above maxStaleness → stale (we are behind reading it);
 * 2. watermark more than maxStaleness behind now → stale (the pipeline stalled);
 * 3. no event ever → stale;
 * 4. silent for more than maxStaleness while it was expected to send at least
 *    minExpectedEventsForSilence events in that time (or with no expected rate known) → stale;
 * 5. received / expected rate below minReceivedRatio → stale (partial data, e.g. a
 *    collector down for some hosts).
 */
export function assessFreshness(activity: SourceActivity, policy: FreshnessPolicy, nowMs: number): SourceFreshness {
  const silenceMs = activity.lastEventTimeMs === undefined ? undefined : nowMs - activity.lastEventTimeMs;
  const watermarkLagMs = activity.watermarkMs === undefined ? undefined : nowMs - activity.watermarkMs;
  const base = {
    ...(activity.scope === undefined ? {} : { scope: activity.scope }),
    service: activity.service,
    signal: activity.signal,
    lastEventTimeMs: activity.lastEventTimeMs,
    silenceMs,
    watermarkLagMs,
    consumerLagMs: activity.consumerLagMs,
  };
  const stale = (reason: string): SourceFreshness => ({ ...base, fresh: false, reason });
  const name = activity.scope === undefined ? `${activity.service}/${activity.signal}` : `${activity.scope} (${activity.service}/${activity.signal})`;
  const limit = `${Math.round(policy.maxStalenessMs / 1000)} s`;

  if (activity.consumerLagMs !== undefined && activity.consumerLagMs > policy.maxStalenessMs) {
    return stale(`${name}: consumer lag ${Math.round(activity.consumerLagMs / 1000)} s exceeds ${limit}`);
  }
  if (watermarkLagMs !== undefined && watermarkLagMs > policy.maxStalenessMs) {
    return stale(`${name}: watermark is ${Math.round(watermarkLagMs / 1000)} s behind, more than ${limit}`);
  }
  if (silenceMs === undefined) return stale(`${name}: no events received`);
  if (silenceMs > policy.maxStalenessMs) {
    const expected = activity.expectedEventsPerMinute;
    const expectedInSilence = expected === undefined ? undefined : (expected * silenceMs) / 60_000;
    if (expectedInSilence === undefined || expectedInSilence >= (policy.minExpectedEventsForSilence ?? 1)) {
      return stale(`${name}: no events for ${Math.round(silenceMs / 1000)} s, more than ${limit}`);
    }
  }
  const { expectedEventsPerMinute: expected, receivedEventsPerMinute: received } = activity;
  if (expected !== undefined && received !== undefined && expected > 0) {
    const ratio = received / expected;
    if (ratio < (policy.minReceivedRatio ?? DEFAULT_MIN_RECEIVED_RATIO)) {
      return stale(`${name}: receiving ${received.toFixed(1)}/min, expected ${expected.toFixed(1)}/min`);
    }
  }
  return { ...base, fresh: true };
}

/** The freshness of all of an SLO's sources together. */
export interface CombinedFreshness {
  fresh: boolean;
  /** Why not fresh (absent when fresh). */
  reason?: string;
  /** Newest event time over the sources, epoch ms: when the scope last had data; undefined when never. */
  lastEventTimeMs?: number;
}

/** Combines the verdicts of an SLO's sources: fresh only when all are; reasons joined; the newest last event. */
export function combineFreshness(sources: readonly SourceFreshness[]): CombinedFreshness {
  const stale = sources.filter((s) => !s.fresh);
  if (sources.length === 0) return { fresh: false, reason: 'no freshness information for the SLO sources' };
  const times = sources.flatMap((s) => (s.lastEventTimeMs === undefined ? [] : [s.lastEventTimeMs]));
  const last = times.length === 0 ? {} : { lastEventTimeMs: Math.max(...times) };
  return stale.length === 0 ? { fresh: true, ...last } : { fresh: false, reason: stale.map((s) => s.reason).join('; '), ...last };
}
