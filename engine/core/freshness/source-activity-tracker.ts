import type { SliSignal } from '../sli/indicator-strategy.ts';
import { MINUTE_MS, minuteStartOf } from '../window/minute-bucket.ts';
import type { SourceActivity } from './source-freshness.ts';

/** Minutes of per-minute event counts kept per source for the received rate. */
const RATE_MINUTES = 5;

interface SourceState {
  lastEventTimeMs: number;
  /** Minute start (epoch ms) → events with event time in that minute. */
  perMinute: Map<number, number>;
}

/**
 * Remembers, per source (service × signal), the newest event time and how many events
 * arrived per minute of event time over the last RATE_MINUTES minutes, and turns that into
 * the SourceActivity that assessFreshness judges. Watermark, consumer lag and the expected
 * rate come from elsewhere (WatermarkTracker, the Kafka admin, a history query) and are
 * passed in.
 */
export class SourceActivityTracker {
  private readonly sources = new Map<string, SourceState>();

  /** Notes one event of a source at `eventTimeMs` (epoch ms). */
  observe(service: string, signal: SliSignal, eventTimeMs: number): void {
    const id = `${service}\u001f${signal}`;
    let state = this.sources.get(id);
    if (state === undefined) this.sources.set(id, (state = { lastEventTimeMs: eventTimeMs, perMinute: new Map() }));
    if (eventTimeMs > state.lastEventTimeMs) state.lastEventTimeMs = eventTimeMs;
    const minute = minuteStartOf(eventTimeMs);
    state.perMinute.set(minute, (state.perMinute.get(minute) ?? 0) + 1);
    const oldest = minuteStartOf(state.lastEventTimeMs) - RATE_MINUTES * MINUTE_MS;
    for (const m of state.perMinute.keys()) if (m < oldest) state.perMinute.delete(m);
  }

  /**
   * Activity of a source at nowMs: last event time, and the received rate (events per
   * minute) over the RATE_MINUTES whole minutes before the minute containing nowMs.
   */
  activity(
    service: string,
    signal: SliSignal,
    nowMs: number,
    extra: Pick<SourceActivity, 'watermarkMs' | 'consumerLagMs' | 'expectedEventsPerMinute'> = {},
  ): SourceActivity {
    const state = this.sources.get(`${service}\u001f${signal}`);
    const to = minuteStartOf(nowMs);
    let received = 0;
    for (let m = to - RATE_MINUTES * MINUTE_MS; m < to; m += MINUTE_MS) received += state?.perMinute.get(m) ?? 0;
    return {
      service,
      signal,
      ...extra,
      lastEventTimeMs: state?.lastEventTimeMs,
      receivedEventsPerMinute: received / RATE_MINUTES,
    };
  }
}
