import { describe, expect, it } from 'vitest';
import { initialBreachState, step, type BreachStatus } from '../../../engine/core/breach/breach-state-machine.ts';
import { evaluateSlo } from '../../../engine/core/slo-evaluator.ts';
import { DAY, emptyStore, freshAt, HOUR, MIN, SLO_KEY, testSlo } from './fixtures/slo-fixtures.ts';

/**
 * Acceptance: sluice's verdicts equal what Prometheus would alert, within one minute.
 *
 * One SLO (target 99.9 %, 30 rolling days) with the workbook's four rules (ch. 5, table
 * 5-8): page 14.4× over 1h/5m, page 6× over 6h/30m, ticket 3× over 1d/2h, ticket 1× over
 * 3d/6h. A generated per-minute series — a week at about 1 000 requests a minute with a
 * daily swing and a trickle of errors, and four incidents of different burn speeds — is
 * fed to sluice's pure core minute by minute, evaluating at each minute boundary M (as the
 * event-time adapter does).
 *
 * The reference is computed here from the raw per-minute counts, not with any sluice code:
 * what Prometheus does with counters `errors` and `requests` scraped every 15 s (the
 * scrape_interval of Prometheus' example configuration; events arrive evenly within each
 * minute, and each sample holds every event before it), the recording rules
 *     job:slo_errors_per_request:ratio_rate<W> = sum(rate(errors[W])) / sum(rate(requests[W]))
 * evaluated every minute at the minute boundary, and alerting rules (for: 0)
 *     expr: ratio_rate<long> > <threshold> * (1 - 0.999) and ratio_rate<short> > <threshold> * (1 - 0.999)
 * rate() as promql/functions.go extrapolatedRate computes it: samples in (M − W, M], their
 * increase, extrapolated to the range start when the gap is under 1.1 sample intervals
 * (and never past where the counter would be zero). The counters start at a large value,
 * as those of a long-running process do.
 *
 * Compared: each rule's firing intervals, raw; and sluice's BREACHED and WARNING-or-BREACHED
 * intervals with Prometheus' page alerts and all alerts under `keep_firing_for` equal to
 * sluice's hold (10 minutes by default). Every start and end must agree within one minute.
 * They are not identical because Prometheus' rate over [W] sees W minus one scrape interval
 * of increase (the sample at M − W is outside the left-open range) and extrapolates; sluice
 * sums the W whole minutes. (With 1-minute scrapes that is W − 1 minutes, and where two
 * incidents hand over slowly inside a 1-day window one ticket ends 2 minutes apart; see
 * docs/verdict-semantics.md.)
 */

const TARGET = 0.999;
const START_MS = Date.UTC(2025, 2, 1);
const MINUTES = 7 * 24 * 60;
const HOLD_MINUTES = 10;
/** Counter values at START_MS: a process up for a long time. */
const COUNTER_OFFSET = { requests: 5e9, errors: 2e6 };

/** An incident: from `atMinute` (minutes after START_MS) for `minutes`, a share `errorRatio` (0–1) of requests fails. */
interface Incident {
  atMinute: number;
  minutes: number;
  errorRatio: number;
}
const INCIDENTS: Incident[] = [
  { atMinute: 3 * 1440 + 120, minutes: 8, errorRatio: 1 }, // total outage: 1000×, the 1h/5m page
  { atMinute: 3 * 1440 + 720, minutes: 45, errorRatio: 0.031 }, // 31×: the 1h/5m page after ~28 min
  { atMinute: 4 * 1440 + 360, minutes: 480, errorRatio: 0.0085 }, // 8.5×: the 6h/30m page after ~4 h
  { atMinute: 5 * 1440 + 60, minutes: 1200, errorRatio: 0.004 }, // 4×: the 1d/2h ticket after ~18 h
];

/** The generated series: requests and errors in each minute [START_MS + i min, START_MS + (i + 1) min). */
function series(): { requests: number[]; errors: number[] } {
  const requests: number[] = [];
  const errors: number[] = [];
  for (let i = 0; i < MINUTES; i++) {
    const req = 1000 + Math.round(200 * Math.sin((2 * Math.PI * i) / 1440));
    const incident = INCIDENTS.find((x) => i >= x.atMinute && i < x.atMinute + x.minutes);
    const err = incident !== undefined ? Math.round(req * incident.errorRatio) : i % 97 === 0 ? 1 : 0;
    requests.push(req);
    errors.push(err);
  }
  return { requests, errors };
}

/** Scrape interval of the reference, s. */
const SCRAPE_S = 15;
/** Scrapes per minute. */
const PER_MINUTE = 60 / SCRAPE_S;

/**
 * Cumulative counter samples every SCRAPE_S: sample j (at START_MS + j · SCRAPE_S) holds
 * every event before it, events arriving evenly within their minute.
 */
function counter(perMinute: readonly number[], offset: number): number[] {
  const samples = [offset];
  let before = offset;
  for (const n of perMinute) {
    for (let q = 1; q <= PER_MINUTE; q++) samples.push(before + (n * q) / PER_MINUTE);
    before += n;
  }
  return samples;
}

/**
 * Prometheus' rate(c[w minutes]) at the minute boundary k (time START_MS + k min), per
 * second, or undefined with fewer than two samples in the range — extrapolatedRate for a
 * counter (promql/functions.go).
 */
function promRate(samples: readonly number[], k: number, w: number): number | undefined {
  const rangeStart = (k - w) * PER_MINUTE; // in sample steps
  const last = k * PER_MINUTE;
  const first = Math.max(0, rangeStart + 1); // range (M − W, M] is left-open
  if (last - first < 1) return undefined;
  const increase = samples[last]! - samples[first]!;
  const sampledInterval = (last - first) * SCRAPE_S; // seconds
  const averageInterval = sampledInterval / (last - first);
  let durationToStart = (first - rangeStart) * SCRAPE_S; // first sample − range start
  const durationToEnd = 0; // the last sample is at the range end
  const threshold = averageInterval * 1.1;
  if (durationToStart >= threshold) durationToStart = averageInterval / 2;
  if (increase > 0 && samples[first]! >= 0) {
    const durationToZero = sampledInterval * (samples[first]! / increase);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const extrapolated = sampledInterval + durationToStart + durationToEnd;
  return (increase * (extrapolated / sampledInterval)) / (w * 60);
}

const RULES = [
  { name: 'page-1h-5m', severity: 'page', long: 60, short: 5, threshold: 14.4 },
  { name: 'page-6h-30m', severity: 'page', long: 360, short: 30, threshold: 6 },
  { name: 'ticket-1d-2h', severity: 'ticket', long: 1440, short: 120, threshold: 3 },
  { name: 'ticket-3d-6h', severity: 'ticket', long: 4320, short: 360, threshold: 1 },
] as const;

/** Prometheus' alert state per evaluation (k = 1 … MINUTES) for `expr` results, with keep_firing_for in minutes. */
function alertStates(exprTrue: readonly boolean[], keepFiringForMinutes: number): boolean[] {
  let firing = false;
  let keepFiringSince: number | undefined;
  return exprTrue.map((now, k) => {
    if (now) {
      firing = true;
      keepFiringSince = undefined;
    } else if (firing) {
      keepFiringSince ??= k;
      if (k - keepFiringSince >= keepFiringForMinutes) {
        firing = false;
        keepFiringSince = undefined;
      }
    }
    return firing;
  });
}

/** Intervals [start, end) (minute indexes) where `on` holds. */
function intervals(on: readonly boolean[]): [number, number][] {
  const out: [number, number][] = [];
  let start: number | undefined;
  on.forEach((v, i) => {
    if (v && start === undefined) start = i;
    if (!v && start !== undefined) {
      out.push([start, i]);
      start = undefined;
    }
  });
  if (start !== undefined) out.push([start, on.length]);
  return out;
}

function expectWithinOneMinute(sluice: [number, number][], reference: [number, number][]): void {
  expect(sluice.length).toBe(reference.length);
  sluice.forEach(([start, end], i) => {
    expect(Math.abs(start - reference[i]![0])).toBeLessThanOrEqual(1);
    expect(Math.abs(end - reference[i]![1])).toBeLessThanOrEqual(1);
  });
}

describe('parity with Prometheus recording and alerting rules (workbook ch. 5)', () => {
  const { requests, errors } = series();

  // the reference: Prometheus, evaluated at every minute boundary k = 1 … MINUTES
  const requestSamples = counter(requests, COUNTER_OFFSET.requests);
  const errorSamples = counter(errors, COUNTER_OFFSET.errors);
  const ratio = (k: number, w: number): number | undefined => {
    const req = promRate(requestSamples, k, w);
    const err = promRate(errorSamples, k, w);
    return req === undefined || err === undefined || req === 0 ? undefined : err / req;
  };
  const evaluations = Array.from({ length: MINUTES }, (_, i) => i + 1);
  const referenceExpr = RULES.map((r) =>
    evaluations.map((k) => {
      const long = ratio(k, r.long);
      const short = ratio(k, r.short);
      const limit = r.threshold * (1 - TARGET);
      return long !== undefined && short !== undefined && long > limit && short > limit;
    }),
  );

  // sluice: the pure core fed minute by minute, evaluated at each minute boundary
  const slo = testSlo({ timeWindow: [{ duration: '30d', isRolling: true }] });
  const store = emptyStore();
  let state = initialBreachState(slo.name, SLO_KEY, START_MS);
  const sluiceFiring: boolean[][] = RULES.map(() => []);
  const statuses: BreachStatus[] = [];
  let budgetExhausted = false;
  for (const k of evaluations) {
    const nowMs = START_MS + k * MIN;
    store.mergeDelta({ key: SLO_KEY, minuteStartMs: nowMs - MIN, good: requests[k - 1]! - errors[k - 1]!, total: requests[k - 1]!, lateEvents: 0 });
    const evaluation = evaluateSlo({ slo, store, freshness: freshAt(nowMs), nowMs });
    RULES.forEach((r, i) => sluiceFiring[i]!.push(evaluation.rules.find((e) => e.rule.name === r.name)!.firing));
    budgetExhausted ||= evaluation.budget.exhausted;
    state = step(state, evaluation, nowMs).state;
    statuses.push(state.status);
  }

  it('uses the workbook rules and the 10-minute hold the reference assumes, and never exhausts the budget', () => {
    expect(slo.alertRules.map((r) => [r.name, r.burnRateThreshold, r.longWindowMs / MIN, r.shortWindowMs / MIN])).toEqual(RULES.map((r) => [r.name, r.threshold, r.long, r.short]));
    expect(slo.holdMs).toBe(HOLD_MINUTES * MIN);
    expect(budgetExhausted).toBe(false);
  });

  it.each(RULES.map((r, i) => [r.name, i] as const))('rule %s starts and stops firing within one minute of Prometheus', (_name, i) => {
    const reference = intervals(referenceExpr[i]!);
    expect(reference.length).toBeGreaterThan(0);
    expectWithinOneMinute(intervals(sluiceFiring[i]!), reference);
  });

  it('BREACHED starts and ends within one minute of the page alerts under keep_firing_for = hold', () => {
    const held = RULES.map((r, i) => (r.severity === 'page' ? alertStates(referenceExpr[i]!, HOLD_MINUTES) : evaluations.map(() => false)));
    const pageAlert = evaluations.map((_, j) => held.some((h) => h[j]!));
    const reference = intervals(pageAlert);
    expect(reference.length).toBeGreaterThanOrEqual(3);
    expectWithinOneMinute(intervals(statuses.map((s) => s === 'BREACHED')), reference);
  });

  it('WARNING or BREACHED starts and ends within one minute of any alert under keep_firing_for = hold', () => {
    const held = RULES.map((_, i) => alertStates(referenceExpr[i]!, HOLD_MINUTES));
    const anyAlert = evaluations.map((_, j) => held.some((h) => h[j]!));
    const reference = intervals(anyAlert);
    expect(reference.length).toBeGreaterThan(0);
    expectWithinOneMinute(intervals(statuses.map((s) => s === 'BREACHED' || s === 'WARNING')), reference);
  });

  it('is a week of data with every incident inside it', () => {
    expect(MINUTES * MIN).toBe(7 * DAY);
    expect(Math.max(...INCIDENTS.map((x) => x.atMinute + x.minutes))).toBeLessThan(MINUTES - 12 * HOUR / MIN);
  });
});
