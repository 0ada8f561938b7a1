import { reachesThreshold, type AlertRule } from '../alerting/alert-rules.ts';
import { burnRateOf } from '../budget/burn-rate.ts';
import { MINUTE_MS } from '../window/minute-bucket.ts';
import type { MinuteSeries } from './minute-series.ts';

/**
 * The alert rules' windows evaluated at every minute boundary of a range at once, with the
 * core's own arithmetic (burn-rate.ts `burnRateOf`, alert-rules.ts `reachesThreshold`), so
 * a rule fires here exactly where `evaluateAlertRules` fires it at that boundary (pinned by
 * test/engine/core/history/rule-firing.test.ts). One pass per distinct window length over
 * the series' prefix sums: O(boundaries) whatever the window, which is what makes a
 * 90-day sweep of 50 rules cheap.
 */

/** Boundaries `atMs = fromAtMs + k · 1 min`, k in `[0, count)`. */
export interface BoundaryRange {
  /** First boundary, epoch ms (a whole minute). */
  fromAtMs: number;
  count: number;
}

/** One window length at every boundary: `[atMs − windowMs, atMs)`. */
export interface WindowSeries {
  windowMs: number;
  /** Events (empty when only burn rates were asked for). */
  total: Float64Array;
  /** total − good (empty when only burn rates were asked for). */
  bad: Float64Array;
  /** burnRateOf({good, total}, target): (bad / total) / (1 − target), 0 without events. */
  burn: Float64Array;
}

/** Good/total, bad and burn rate over `[atMs − windowMs, atMs)` at every boundary of `range` (burn rates left 0 with `burn: false`). */
export function windowSeries(series: MinuteSeries, windowMs: number, target: number, range: BoundaryRange, opts: { burn?: boolean; counts?: boolean } = {}): WindowSeries {
  const { good: pg, total: pt } = series.prefixes();
  const n = series.length;
  const keepCounts = opts.counts !== false;
  const total = new Float64Array(keepCounts ? range.count : 0);
  const bad = new Float64Array(keepCounts ? range.count : 0);
  const burn = new Float64Array(opts.burn === false ? 0 : range.count);
  // `[atMs − W, atMs)` holds the minutes [⌈(atMs − W − start)/1 min⌉, (atMs − start)/1 min): b − ⌊W / 1 min⌋ … b
  const width = Math.floor(windowMs / MINUTE_MS);
  const b0 = (range.fromAtMs - series.startMs) / MINUTE_MS;
  const counts = { good: 0, total: 0 };
  for (let k = 0; k < range.count; k++) {
    const bRaw = b0 + k;
    const b = bRaw < 0 ? 0 : bRaw > n ? n : bRaw;
    const aRaw = bRaw - width;
    const a = aRaw < 0 ? 0 : aRaw > n ? n : aRaw;
    const t = pt[b]! - pt[a]!;
    const g = pg[b]! - pg[a]!;
    if (keepCounts) {
      total[k] = t;
      bad[k] = t - g;
    }
    // no bad event: burnRateOf gives 0 (and the array already holds it)
    if (t !== g && burn.length > 0) {
      counts.total = t;
      counts.good = g;
      burn[k] = burnRateOf(counts, target);
    }
  }
  return { windowMs, total, bad, burn };
}

/**
 * Where a rule fires (1) at each boundary, as `evaluateAlertRules` decides: the long window
 * holds at least `minBadEvents` bad events, and both windows' burn rates reach the threshold
 * (relative tolerance of `reachesThreshold`).
 */
export function firingOf(long: WindowSeries, short: WindowSeries, threshold: number, minBadEvents: number): Uint8Array {
  const out = new Uint8Array(long.total.length);
  for (let k = 0; k < out.length; k++) {
    const insufficient = long.total[k] === 0 || long.bad[k]! < minBadEvents;
    out[k] = !insufficient && reachesThreshold(long.burn[k]!, threshold) && reachesThreshold(short.burn[k]!, threshold) ? 1 : 0;
  }
  return out;
}

/** A rule evaluated over a range of boundaries. */
export interface RuleSeries {
  rule: AlertRule;
  /** 1 where the rule fires. */
  firing: Uint8Array;
  /** Long-window burn rate at each boundary. */
  longBurn: Float64Array;
  /** Short-window burn rate at each boundary. */
  shortBurn: Float64Array;
}

/** Caches window series by length, so rules sharing a window (6 h is long for one rule and short for another) compute it once. */
export class WindowCache {
  private readonly series: MinuteSeries;
  private readonly target: number;
  private readonly range: BoundaryRange;
  private readonly byLength = new Map<number, WindowSeries>();

  constructor(series: MinuteSeries, target: number, range: BoundaryRange) {
    this.series = series;
    this.target = target;
    this.range = range;
  }

  get(windowMs: number): WindowSeries {
    let w = this.byLength.get(windowMs);
    if (w === undefined || w.burn.length < this.range.count || w.total.length < this.range.count) this.byLength.set(windowMs, (w = windowSeries(this.series, windowMs, this.target, this.range)));
    return w;
  }

  /** Burn rates only (a rule's short window): no event counts kept; a cached full series serves as well. */
  burns(windowMs: number): WindowSeries {
    let w = this.byLength.get(windowMs);
    if (w === undefined || w.burn.length < this.range.count) this.byLength.set(windowMs, (w = windowSeries(this.series, windowMs, this.target, this.range, w === undefined ? { counts: false } : {})));
    return w;
  }

  /** Totals only (no burn rates), e.g. of the compliance window; a cached full series serves as well. */
  counts(windowMs: number): WindowSeries {
    let w = this.byLength.get(windowMs);
    if (w === undefined || w.total.length < this.range.count) this.byLength.set(windowMs, (w = windowSeries(this.series, windowMs, this.target, this.range, w === undefined ? { burn: false } : {})));
    return w;
  }
}

/** Each rule's firing and burn rates over `range`. */
export function ruleSeries(rules: readonly AlertRule[], minBadEvents: number, windows: WindowCache): RuleSeries[] {
  // long windows first: a length that is long for one rule and short for another is computed once, in full
  for (const rule of rules) windows.get(rule.longWindowMs);
  return rules.map((rule) => {
    const long = windows.get(rule.longWindowMs);
    const short = windows.burns(rule.shortWindowMs);
    return { rule, firing: firingOf(long, short, rule.burnRateThreshold, minBadEvents), longBurn: long.burn, shortBurn: short.burn };
  });
}
