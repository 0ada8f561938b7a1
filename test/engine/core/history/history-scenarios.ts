import { MinuteSeries, type SeriesMinute } from '../../../../engine/core/history/minute-series.ts';
import { mulberry32 } from '../../../../platform/random/mulberry32.ts';

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
/** A Monday, 00:00 UTC: the start of every generated history. */
export const T0 = Date.UTC(2026, 2, 2);

/** An outage in a generated history: a share of requests fail from `atMs` for `durationMs`. */
export interface Outage {
  atMs: number;
  durationMs: number;
  /** Share of requests that fail, ratio 0–1. */
  badRatio: number;
}

/** A silence: no data at all from `atMs` for `durationMs`. */
export interface Silence {
  atMs: number;
  durationMs: number;
}

/**
 * Minute counts of a service: `perMinute` requests (±20 %, seeded), a background failure
 * ratio, outages and silences, over `[T0, T0 + days)`.
 */
export function generatedMinutes(opts: { days: number; perMinute: number; backgroundBadRatio?: number; outages?: Outage[]; silences?: Silence[]; seed?: number }): SeriesMinute[] {
  const random = mulberry32(opts.seed ?? 1);
  const out: SeriesMinute[] = [];
  for (let t = T0; t < T0 + opts.days * DAY; t += MIN) {
    if (opts.silences?.some((s) => t >= s.atMs && t < s.atMs + s.durationMs)) continue;
    const total = Math.max(0, Math.round(opts.perMinute * (0.8 + 0.4 * random())));
    const outage = opts.outages?.find((o) => t >= o.atMs && t < o.atMs + o.durationMs);
    const ratio = outage?.badRatio ?? opts.backgroundBadRatio ?? 0;
    let bad = 0;
    for (let i = 0; i < total; i++) if (random() < ratio) bad++;
    if (total > 0) out.push({ minuteStartMs: t, good: total - bad, total });
  }
  return out;
}

/** A series over `[T0, T0 + days)` holding `minutes`. */
export function seriesOf(minutes: readonly SeriesMinute[], days: number): MinuteSeries {
  return MinuteSeries.of({ fromMs: T0, toMs: T0 + days * DAY }, minutes);
}
