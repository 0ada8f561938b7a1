import type { BucketReader } from '../slo-evaluator.ts';
import type { EventCounts } from '../window/minute-bucket.ts';
import { MINUTE_MS } from '../window/minute-bucket.ts';

/** One minute of an SLO's history as read back from storage. */
export interface SeriesMinute {
  /** Start of the minute, epoch ms (a multiple of 60 000). */
  minuteStartMs: number;
  /** Events counted good (latency from a sketch: certainly within the threshold). */
  good: number;
  total: number;
  /**
   * Events whose classification is uncertain (latency derived from a sketch: the bucket
   * straddling the threshold, counted bad in `good`); 0 otherwise.
   */
  uncertain?: number;
}

/** The range a series covers and what is known about the history before it. */
export interface SeriesRange {
  /** First minute held, epoch ms (rounded down to a whole minute). */
  fromMs: number;
  /** End of the last minute held, epoch ms, exclusive (rounded up to a whole minute). */
  toMs: number;
  /**
   * Start of the first minute with data for the SLO at all, epoch ms — possibly before
   * `fromMs`: the evaluator takes it as the start of the SLO's history (budget volume,
   * expected rate). Undefined: the first minute with data inside the series.
   */
  historyStartMs?: number | undefined;
}

/**
 * An SLO's good/total counts per minute of event time over a fixed range, held densely with
 * prefix sums: every range sum is O(1), whatever the window (30 days cost what 5 minutes
 * cost). It is the `BucketReader` the evaluator reads in a replay, and what the history
 * screens scan with plain array arithmetic.
 *
 * Range convention (the same as MinuteBucketStore): `[fromMs, toMs)` covers the minutes
 * whose start lies in `[⌈fromMs⌉, ⌈toMs⌉)` after rounding both up to whole minutes. Minutes
 * outside the series count as empty. Counts are exact as long as sums stay below 2^53.
 */
export class MinuteSeries implements BucketReader {
  /** Start of the first minute held, epoch ms. */
  readonly startMs: number;
  /** Number of minutes held. */
  readonly length: number;
  /** Per minute, index = (minute start − startMs) / 60 000. */
  readonly good: Float64Array;
  readonly total: Float64Array;
  readonly uncertain: Float64Array;
  /** Prefix sums: `prefixTotal[i]` = Σ total[0..i). */
  private readonly prefixGood: Float64Array;
  private readonly prefixTotal: Float64Array;
  private readonly prefixUncertain: Float64Array;
  private readonly historyStart: number | undefined;

  private constructor(startMs: number, good: Float64Array, total: Float64Array, uncertain: Float64Array, historyStartMs: number | undefined) {
    this.startMs = startMs;
    this.length = total.length;
    this.good = good;
    this.total = total;
    this.uncertain = uncertain;
    this.prefixGood = prefix(good);
    this.prefixTotal = prefix(total);
    this.prefixUncertain = prefix(uncertain);
    let first: number | undefined;
    for (let i = 0; i < total.length; i++) {
      if (total[i]! > 0) {
        first = startMs + i * MINUTE_MS;
        break;
      }
    }
    this.historyStart = historyStartMs === undefined ? first : first === undefined ? historyStartMs : Math.min(historyStartMs, first);
  }

  /** A series over `range` holding `minutes` (minutes outside the range are ignored; repeated minutes add up). */
  static of(range: SeriesRange, minutes: Iterable<SeriesMinute>): MinuteSeries {
    const builder = MinuteSeries.builder(range);
    for (const m of minutes) builder.add(m.minuteStartMs, m.good, m.total, m.uncertain ?? 0);
    return builder.build();
  }

  /** Accumulates minutes one at a time (e.g. rows streamed from storage), then builds the series. */
  static builder(range: SeriesRange): MinuteSeriesBuilder {
    return new MinuteSeriesBuilder(range, (start, good, total, uncertain, historyStartMs) => new MinuteSeries(start, good, total, uncertain, historyStartMs));
  }

  /** End of the last minute held, epoch ms (exclusive). */
  get endMs(): number {
    return this.startMs + this.length * MINUTE_MS;
  }

  /** Good/total over `[fromMs, toMs)` (the selector is ignored: a series is one SLO's scope). */
  sum(_selector: unknown, fromMs: number, toMs: number): EventCounts {
    const b = this.upper(toMs);
    const a = this.lower(fromMs, b);
    return { good: this.prefixGood[b]! - this.prefixGood[a]!, total: this.prefixTotal[b]! - this.prefixTotal[a]! };
  }

  /** Total events over `[fromMs, toMs)`. */
  totalBetween(fromMs: number, toMs: number): number {
    const b = this.upper(toMs);
    return this.prefixTotal[b]! - this.prefixTotal[this.lower(fromMs, b)]!;
  }

  /** Good events over `[fromMs, toMs)`. */
  goodBetween(fromMs: number, toMs: number): number {
    const b = this.upper(toMs);
    return this.prefixGood[b]! - this.prefixGood[this.lower(fromMs, b)]!;
  }

  /** Uncertain events (see SeriesMinute.uncertain) over `[fromMs, toMs)`. */
  uncertainBetween(fromMs: number, toMs: number): number {
    const b = this.upper(toMs);
    return this.prefixUncertain[b]! - this.prefixUncertain[this.lower(fromMs, b)]!;
  }

  /** Prefix sums by minute index (index 0 = startMs): for tight loops that do their own index arithmetic. */
  prefixes(): { good: Float64Array; total: Float64Array } {
    return { good: this.prefixGood, total: this.prefixTotal };
  }

  /** Start of the SLO's history: the first minute with data (possibly before the series). */
  firstMinuteMs(): number | undefined {
    return this.historyStart;
  }

  /** Start of the last minute before `atMs` holding data, epoch ms; undefined when none (inside the series). */
  lastDataMinuteBefore(atMs: number): number | undefined {
    for (let i = this.upper(atMs) - 1; i >= 0; i--) if (this.total[i]! > 0) return this.startMs + i * MINUTE_MS;
    return undefined;
  }

  /** Minute index (exclusive) where `[…, toMs)` ends, clipped to the series: ⌈toMs⌉ in minutes. */
  private upper(toMs: number): number {
    return clamp(Math.ceil((toMs - this.startMs) / MINUTE_MS), 0, this.length);
  }

  /** Minute index where `[fromMs, …)` starts, clipped to the series and never after `upper`. */
  private lower(fromMs: number, upper: number): number {
    const a = clamp(Math.ceil((fromMs - this.startMs) / MINUTE_MS), 0, this.length);
    return a > upper ? upper : a;
  }
}

/** Collects minutes for a MinuteSeries. */
export class MinuteSeriesBuilder {
  private readonly startMs: number;
  private readonly good: Float64Array;
  private readonly total: Float64Array;
  private readonly uncertain: Float64Array;
  private readonly historyStartMs: number | undefined;
  private readonly make: (start: number, good: Float64Array, total: Float64Array, uncertain: Float64Array, historyStartMs: number | undefined) => MinuteSeries;

  constructor(range: SeriesRange, make: MinuteSeriesBuilder['make']) {
    if (!Number.isFinite(range.fromMs) || !Number.isFinite(range.toMs)) throw new RangeError(`series range must be finite epoch ms, got ${range.fromMs}–${range.toMs}`);
    this.startMs = Math.floor(range.fromMs / MINUTE_MS) * MINUTE_MS;
    const length = Math.max(0, Math.ceil(range.toMs / MINUTE_MS) - this.startMs / MINUTE_MS);
    this.good = new Float64Array(length);
    this.total = new Float64Array(length);
    this.uncertain = new Float64Array(length);
    this.historyStartMs = range.historyStartMs;
    this.make = make;
  }

  /** Adds counts to the minute starting at `minuteStartMs` (ignored outside the range). */
  add(minuteStartMs: number, good: number, total: number, uncertain = 0): void {
    const i = (minuteStartMs - this.startMs) / MINUTE_MS;
    if (!(i >= 0 && i < this.total.length) || !Number.isInteger(i)) return;
    this.good[i] = this.good[i]! + good;
    this.total[i] = this.total[i]! + total;
    this.uncertain[i] = this.uncertain[i]! + uncertain;
  }

  /** Events in the first minute of the range so far. */
  get firstMinuteTotal(): number {
    return this.total[0] ?? 0;
  }

  /** The series; `historyStartMs` overrides the range's (the SLO's history start, learnt while reading). */
  build(historyStartMs: number | undefined = this.historyStartMs): MinuteSeries {
    return this.make(this.startMs, this.good, this.total, this.uncertain, historyStartMs);
  }
}

function prefix(values: Float64Array): Float64Array {
  const out = new Float64Array(values.length + 1);
  for (let i = 0; i < values.length; i++) out[i + 1] = out[i]! + values[i]!;
  return out;
}

function clamp(value: number, lo: number, hi: number): number {
  return value < lo ? lo : value > hi ? hi : value;
}
