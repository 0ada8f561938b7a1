import { LatencySketch } from '../sketch/latency-sketch.ts';
import {
  bucketKeyId,
  HOUR_MS,
  MINUTE_MS,
  minuteStartOf,
  type BucketKey,
  type EventCounts,
  type MinuteBucketDelta,
} from './minute-bucket.ts';
import { WatermarkTracker } from './watermark-tracker.ts';

/** One classified event to count. */
export interface BucketEvent {
  key: BucketKey;
  /** Where the event came from (e.g. `sluice.spans.v1/3`); watermarks are per source. */
  sourceId: string;
  /** Event time, epoch ms. */
  eventTimeMs: number;
  good: boolean;
  /** Duration in ms for latency indicators; recorded into the bucket's sketch. */
  latencyMs?: number | undefined;
}

/** What happened to a recorded event. */
export interface RecordOutcome {
  /** Minute bucket the event was counted in, epoch ms. */
  minuteStartMs: number;
  /** True when the event was behind its source's watermark: counted, and reported as a correction. */
  late: boolean;
  /** The source's watermark after this event, epoch ms. */
  watermarkMs: number | undefined;
}

/** Which keys to add up: one SLO, optionally narrowed to a service, environment, version. */
export interface BucketSelector {
  sloName: string;
  service?: string | undefined;
  environment?: string | undefined;
  version?: string | undefined;
}

/** A minute bucket as read back. */
export interface MinuteBucket extends EventCounts {
  key: BucketKey;
  /** Start of the minute, epoch ms. */
  minuteStartMs: number;
  sketch?: LatencySketch | undefined;
}

interface Cell {
  good: number;
  total: number;
  sketch?: LatencySketch | undefined;
}

interface KeySeries {
  key: BucketKey;
  /** Minute index (epoch ms / 60 000) → counts. */
  minutes: Map<number, Cell>;
  /** Hour index (epoch ms / 3 600 000) → counts of its 60 minutes. */
  hours: Map<number, Cell>;
  /** Lowest minute index with data (undefined once every minute is evicted). */
  firstMinute: number | undefined;
}

interface PendingDelta {
  key: BucketKey;
  minuteStartMs: number;
  cell: Cell;
  lateEvents: number;
}

const MINUTES_PER_HOUR = HOUR_MS / MINUTE_MS;

/** Adds counts and either a whole sketch or one latency (ms) into a cell. */
function addInto(cell: Cell, good: number, total: number, latency: LatencySketch | number | undefined): void {
  cell.good += good;
  cell.total += total;
  if (latency === undefined) return;
  cell.sketch ??= new LatencySketch();
  if (typeof latency === 'number') cell.sketch.add(latency);
  else cell.sketch.merge(latency);
}

/**
 * In-memory per-key minute buckets in event time (the embedded store and the standard fake).
 *
 * Each key keeps a minute map and an hour rollup map, both updated per event in O(1). A
 * range sum walks the partial minutes at both ends and whole hours in between, so a 30-day
 * window costs about 720 hour lookups plus at most 118 minute lookups, whatever the event
 * rate. Counts are exact integers.
 *
 * Range convention: `[fromMs, toMs)` covers the minute buckets whose start lies in
 * `[⌈fromMs⌉, ⌈toMs⌉)` after rounding both up to whole minutes. A window of length W
 * ending at a minute boundary M covers exactly the W / 1 min buckets of `[M − W, M)` —
 * how the evaluator reads it (slo-evaluator.ts rounds its time down to M, so the minute
 * still being filled never counts).
 *
 * Every change made by `record` is also collected as a pending delta for the sink
 * (`takeDeltas`); deltas carry how many of their events were late corrections.
 *
 * Invalid input (non-finite time, negative latency, a delta off a minute boundary or with
 * good > total) throws RangeError before anything is counted; the adapter that read it
 * wraps it in a SluiceError (engine/core does not import platform/).
 */
export class MinuteBucketStore {
  readonly watermarks: WatermarkTracker;
  private readonly series = new Map<string, KeySeries>();
  private readonly keysBySlo = new Map<string, Set<string>>();
  private pending = new Map<string, PendingDelta>();
  private lateTotal = 0;

  constructor(options: { allowedLatenessMs: number }) {
    this.watermarks = new WatermarkTracker({ allowedLatenessMs: options.allowedLatenessMs });
  }

  /** Late events counted since the store was created (they were counted, not dropped). */
  get lateEventCount(): number {
    return this.lateTotal;
  }

  /** Counts one event into the minute bucket of its event time. */
  record(event: BucketEvent): RecordOutcome {
    if (!Number.isFinite(event.eventTimeMs)) {
      throw new RangeError(`eventTimeMs must be finite epoch ms, got ${event.eventTimeMs}`);
    }
    if (event.latencyMs !== undefined && !(Number.isFinite(event.latencyMs) && event.latencyMs >= 0)) {
      throw new RangeError(`latencyMs must be a finite number of ms >= 0, got ${event.latencyMs}`);
    }
    const { late, watermarkMs } = this.watermarks.observe(event.sourceId, event.eventTimeMs);
    const minuteStartMs = minuteStartOf(event.eventTimeMs);
    const good = event.good ? 1 : 0;
    this.apply(event.key, minuteStartMs, good, 1, event.latencyMs);

    const pendingId = `${bucketKeyId(event.key)}\u001f${minuteStartMs}`;
    let delta = this.pending.get(pendingId);
    if (delta === undefined) {
      delta = { key: event.key, minuteStartMs, cell: { good: 0, total: 0 }, lateEvents: 0 };
      this.pending.set(pendingId, delta);
    }
    addInto(delta.cell, good, 1, event.latencyMs);
    if (late) {
      delta.lateEvents += 1;
      this.lateTotal += 1;
    }
    return { minuteStartMs, late, watermarkMs };
  }

  /**
   * Adds a delta produced elsewhere (another worker, a reload from ClickHouse). Not
   * collected into this store's pending deltas.
   */
  mergeDelta(delta: MinuteBucketDelta): void {
    if (delta.minuteStartMs % MINUTE_MS !== 0) {
      throw new RangeError(`minuteStartMs must be a whole minute, got ${delta.minuteStartMs}`);
    }
    if (!Number.isSafeInteger(delta.good) || !Number.isSafeInteger(delta.total) || delta.good < 0 || delta.good > delta.total) {
      throw new RangeError(`need integers 0 <= good <= total, got ${delta.good}/${delta.total}`);
    }
    const sketch = delta.sketch === undefined ? undefined : LatencySketch.fromBuckets(delta.sketch);
    this.apply(delta.key, delta.minuteStartMs, delta.good, delta.total, sketch);
  }

  /** Returns and forgets the changes made by `record` since the last call, oldest minute first. */
  takeDeltas(): MinuteBucketDelta[] {
    const out = [...this.pending.values()]
      .sort((a, b) => a.minuteStartMs - b.minuteStartMs)
      .map(({ key, minuteStartMs, cell, lateEvents }): MinuteBucketDelta => {
        const delta: MinuteBucketDelta = { key, minuteStartMs, good: cell.good, total: cell.total, lateEvents };
        if (cell.sketch !== undefined) delta.sketch = cell.sketch.toBuckets();
        return delta;
      });
    this.pending = new Map();
    return out;
  }

  /** Good and total over `[fromMs, toMs)` (see the range convention), summed over matching keys. */
  sum(selector: BucketSelector, fromMs: number, toMs: number): EventCounts {
    const out: EventCounts = { good: 0, total: 0 };
    for (const series of this.matching(selector)) {
      this.walk(series, fromMs, toMs, (cell) => {
        out.good += cell.good;
        out.total += cell.total;
      });
    }
    return out;
  }

  /** Merged latency sketch over `[fromMs, toMs)` and matching keys; undefined when none recorded. */
  sketch(selector: BucketSelector, fromMs: number, toMs: number): LatencySketch | undefined {
    let out: LatencySketch | undefined;
    for (const series of this.matching(selector)) {
      this.walk(series, fromMs, toMs, (cell) => {
        if (cell.sketch !== undefined) out = (out ?? new LatencySketch()).merge(cell.sketch);
      });
    }
    return out;
  }

  /**
   * Start (epoch ms) of the earliest minute holding data for any key the selector matches;
   * undefined when there is none. The evaluator takes it as the start of the SLO's history,
   * to tell a window that is quiet from one that has no data yet (slo-evaluator.ts).
   */
  firstMinuteMs(selector: BucketSelector): number | undefined {
    let first: number | undefined;
    for (const series of this.matching(selector)) {
      if (series.firstMinute !== undefined && (first === undefined || series.firstMinute < first)) first = series.firstMinute;
    }
    return first === undefined ? undefined : first * MINUTE_MS;
  }

  /** The non-empty minute buckets of matching keys in `[fromMs, toMs)`, by key then time. */
  buckets(selector: BucketSelector, fromMs: number, toMs: number): MinuteBucket[] {
    const out: MinuteBucket[] = [];
    const [from, to] = minuteRange(fromMs, toMs);
    for (const series of this.matching(selector)) {
      const minutes = [...series.minutes.keys()].filter((m) => m >= from && m < to).sort((a, b) => a - b);
      for (const m of minutes) {
        const cell = series.minutes.get(m)!;
        out.push({ key: series.key, minuteStartMs: m * MINUTE_MS, good: cell.good, total: cell.total, sketch: cell.sketch?.clone() });
      }
    }
    return out;
  }

  /** Every key with data for an SLO (all SLOs when sloName is undefined). */
  keys(sloName?: string): BucketKey[] {
    const ids = sloName === undefined ? [...this.series.keys()] : [...(this.keysBySlo.get(sloName) ?? [])];
    return ids.map((id) => this.series.get(id)!.key);
  }

  /**
   * Forgets whole hours that end at or before `cutoffMs` (rounded down to an hour so a
   * rollup never covers evicted minutes). Returns how many minute buckets were removed.
   */
  evictBefore(cutoffMs: number): number {
    const cutoffHour = Math.floor(cutoffMs / HOUR_MS);
    let removed = 0;
    for (const series of this.series.values()) {
      for (const hour of series.hours.keys()) if (hour < cutoffHour) series.hours.delete(hour);
      let first: number | undefined;
      for (const minute of series.minutes.keys()) {
        if (minute < cutoffHour * MINUTES_PER_HOUR) {
          series.minutes.delete(minute);
          removed += 1;
        } else if (first === undefined || minute < first) {
          first = minute;
        }
      }
      series.firstMinute = first;
    }
    return removed;
  }

  private apply(key: BucketKey, minuteStartMs: number, good: number, total: number, latency: LatencySketch | number | undefined): void {
    const id = bucketKeyId(key);
    let series = this.series.get(id);
    if (series === undefined) {
      series = { key: { ...key }, minutes: new Map(), hours: new Map(), firstMinute: undefined };
      this.series.set(id, series);
      let ids = this.keysBySlo.get(key.sloName);
      if (ids === undefined) this.keysBySlo.set(key.sloName, (ids = new Set()));
      ids.add(id);
    }
    const minute = minuteStartMs / MINUTE_MS;
    const hour = Math.floor(minute / MINUTES_PER_HOUR);
    if (series.firstMinute === undefined || minute < series.firstMinute) series.firstMinute = minute;
    for (const [map, index] of [[series.minutes, minute], [series.hours, hour]] as const) {
      let cell = map.get(index);
      if (cell === undefined) map.set(index, (cell = { good: 0, total: 0 }));
      addInto(cell, good, total, latency);
    }
  }

  private *matching(selector: BucketSelector): Iterable<KeySeries> {
    for (const id of this.keysBySlo.get(selector.sloName) ?? []) {
      const series = this.series.get(id)!;
      const k = series.key;
      if (
        (selector.service === undefined || k.service === selector.service) &&
        (selector.environment === undefined || k.environment === selector.environment) &&
        (selector.version === undefined || k.version === selector.version)
      ) {
        yield series;
      }
    }
  }

  /** Visits the cells covering `[fromMs, toMs)`: edge minutes one by one, whole hours as rollups. */
  private walk(series: KeySeries, fromMs: number, toMs: number, visit: (cell: Cell) => void): void {
    const [from, to] = minuteRange(fromMs, toMs);
    let m = from;
    while (m < to) {
      if (m % MINUTES_PER_HOUR === 0 && m + MINUTES_PER_HOUR <= to) {
        const cell = series.hours.get(m / MINUTES_PER_HOUR);
        if (cell !== undefined) visit(cell);
        m += MINUTES_PER_HOUR;
      } else {
        const cell = series.minutes.get(m);
        if (cell !== undefined) visit(cell);
        m += 1;
      }
    }
  }
}

/** Minute indexes `[from, to)` covered by `[fromMs, toMs)`, both rounded up to whole minutes. */
function minuteRange(fromMs: number, toMs: number): [number, number] {
  return [Math.ceil(fromMs / MINUTE_MS), Math.ceil(toMs / MINUTE_MS)];
}
