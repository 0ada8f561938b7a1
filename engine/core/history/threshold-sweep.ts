import { WORKBOOK_ALERT_RULES, type AlertRule } from '../alerting/alert-rules.ts';
import { maxBurnRate } from '../budget/burn-rate.ts';
import type { Slo } from '../slo/slo-definition.ts';
import { formatDurationMs } from '../time/duration.ts';
import { alertEpisodes } from './alert-episodes.ts';
import { scoreAlerts, type AlertScore, type MaintenanceWindow, type ScoredIncidentInput } from './incident-scoring.ts';
import type { MinuteSeries } from './minute-series.ts';
import { firingOf, WindowCache, type BoundaryRange, type RuleSeries } from './rule-firing.ts';

/**
 * Tuning page rules on history: every (window pair, burn-rate threshold) of a grid becomes a
 * page rule, replayed over the range with the SLO's hold and minBadEvents (rule-firing.ts,
 * alert-episodes.ts — the rules fire where the live evaluator would fire them), and scored
 * against the recorded incidents (incident-scoring.ts). The answer is the Pareto front of
 * pages per week (fewer is better), median detection delay (shorter) and recall (higher),
 * and a recommended rule set — one or two rules of the front, as the workbook pairs a fast
 * and a slow burn [WB5, "Multiwindow, Multi-Burn-Rate Alerts"] — chosen by: most incidents
 * caught within the page budget, then the shortest median delay, then the fewest pages.
 */

/** A window pair: the long window and the short one that must agree (workbook: 1/12 of it). */
export interface WindowPair {
  longWindowMs: number;
  shortWindowMs: number;
}

export interface SweepGrid {
  /** Window pairs; default the workbook's four (1h/5m, 6h/30m, 1d/2h, 3d/6h). */
  windows?: readonly WindowPair[];
  /** Burn-rate thresholds; default DEFAULT_SWEEP_BURN_RATES. */
  burnRates?: readonly number[];
  /** Most grid points replayed (the caller's bound); the grid is thinned evenly beyond it. Default 200. */
  maxPoints?: number;
}

/** Thresholds tried by default: from the budget rate (1×) to the workbook's fastest page and beyond. */
export const DEFAULT_SWEEP_BURN_RATES: readonly number[] = [1, 1.5, 2, 3, 4, 6, 8, 10, 14.4, 20, 30, 50];
export const DEFAULT_SWEEP_WINDOWS: readonly WindowPair[] = WORKBOOK_ALERT_RULES.map((r) => ({ longWindowMs: r.longWindowMs, shortWindowMs: r.shortWindowMs }));
export const DEFAULT_MAX_SWEEP_POINTS = 200;
/** Pages a week the recommendation may cost by default: one. */
export const DEFAULT_MAX_PAGES_PER_WEEK = 1;

/** One grid point, replayed and scored. */
export interface SweepPoint {
  rule: AlertRule;
  score: AlertScore;
  /** On the Pareto front of (pages/week ↓, median delay ↓, recall ↑). */
  pareto: boolean;
}

export interface RuleSetChoice {
  rules: AlertRule[];
  score: AlertScore;
  /** Why this set, in sentences. */
  why: string[];
}

export interface SweepResult {
  points: SweepPoint[];
  /** The front, fewest pages first. */
  front: SweepPoint[];
  recommended: RuleSetChoice | undefined;
  /** Grid points left out, with why (unreachable threshold, window longer than the SLO's). */
  skipped: string[];
}

export interface SweepInput {
  slo: Slo;
  series: MinuteSeries;
  /** Boundaries scored: `[fromMs, toMs]`, whole minutes. */
  fromMs: number;
  toMs: number;
  incidents: readonly ScoredIncidentInput[];
  grid?: SweepGrid;
  maxPagesPerWeek?: number;
  earlyToleranceMs?: number;
  maintenance?: readonly MaintenanceWindow[];
}

const MINUTE_MS = 60_000;

/** Replays and scores every grid point; see the module comment. */
export function sweepThresholds(input: SweepInput): SweepResult {
  const { slo, series } = input;
  const fromAtMs = Math.ceil(input.fromMs / MINUTE_MS) * MINUTE_MS;
  const endAtMs = Math.floor(input.toMs / MINUTE_MS) * MINUTE_MS;
  const range: BoundaryRange = { fromAtMs, count: Math.max(0, (endAtMs - fromAtMs) / MINUTE_MS + 1) };
  const windows = new WindowCache(series, slo.target, range);
  const sloWindowMs = slo.compliance.kind === 'rolling' ? slo.compliance.durationMs : 28 * 86_400_000;
  const skipped: string[] = [];
  const candidates: AlertRule[] = [];
  for (const pair of input.grid?.windows ?? DEFAULT_SWEEP_WINDOWS) {
    if (!(pair.shortWindowMs < pair.longWindowMs)) {
      skipped.push(`${formatDurationMs(pair.longWindowMs)}/${formatDurationMs(pair.shortWindowMs)}: the short window must be shorter than the long one`);
      continue;
    }
    if (pair.longWindowMs > sloWindowMs) {
      skipped.push(`${formatDurationMs(pair.longWindowMs)}/${formatDurationMs(pair.shortWindowMs)}: longer than the SLO window`);
      continue;
    }
    for (const burnRate of input.grid?.burnRates ?? DEFAULT_SWEEP_BURN_RATES) {
      if (!(burnRate > 0) || burnRate > maxBurnRate(slo.target)) {
        skipped.push(`${burnRate}× over ${formatDurationMs(pair.longWindowMs)}: unreachable at target ${slo.target} (at most ${maxBurnRate(slo.target).toPrecision(4)}×)`);
        continue;
      }
      candidates.push({ name: `page-${formatDurationMs(pair.longWindowMs)}-${formatDurationMs(pair.shortWindowMs)}-${burnRate}x`, severity: 'page', longWindowMs: pair.longWindowMs, shortWindowMs: pair.shortWindowMs, burnRateThreshold: burnRate });
    }
  }
  const maxPoints = input.grid?.maxPoints ?? DEFAULT_MAX_SWEEP_POINTS;
  const chosen = candidates.length <= maxPoints
    ? candidates
    : [...new Set(Array.from({ length: Math.max(1, maxPoints) }, (_, i) => Math.round((i * (candidates.length - 1)) / Math.max(1, maxPoints - 1))))].map((i) => candidates[i]!);
  if (chosen.length < candidates.length) skipped.push(`${candidates.length - chosen.length} grid points thinned out (maxPoints ${maxPoints})`);

  const seriesOf = (rule: AlertRule): RuleSeries => {
    const long = windows.get(rule.longWindowMs);
    const short = windows.burns(rule.shortWindowMs);
    return { rule, firing: firingOf(long, short, rule.burnRateThreshold, slo.minBadEvents), longBurn: long.burn, shortBurn: short.burn };
  };
  const scoreOf = (rules: readonly RuleSeries[]): AlertScore =>
    scoreAlerts(alertEpisodes(rules, range, slo.holdMs), input.incidents, fromAtMs, { rangeEndMs: endAtMs, earlyToleranceMs: input.earlyToleranceMs, maintenance: input.maintenance }).score;

  const replayed = chosen.map((rule) => ({ series: seriesOf(rule), score: undefined as AlertScore | undefined }));
  for (const r of replayed) r.score = scoreOf([r.series]);
  const points: SweepPoint[] = replayed.map((r) => ({ rule: r.series.rule, score: r.score!, pareto: false }));
  for (const p of points) p.pareto = !points.some((q) => q !== p && dominates(q.score, p.score));
  const front = points.filter((p) => p.pareto).sort((a, b) => a.score.alertsPerWeek - b.score.alertsPerWeek || delayOf(a.score) - delayOf(b.score));

  // candidate sets: each front point, and each pair of front points (the best dozen by recall)
  const budget = input.maxPagesPerWeek ?? DEFAULT_MAX_PAGES_PER_WEEK;
  const frontSeries = front.map((p) => replayed[points.indexOf(p)]!.series);
  const sets: { rules: RuleSeries[]; score: AlertScore }[] = frontSeries.map((s, i) => ({ rules: [s], score: front[i]!.score }));
  const top = [...frontSeries.keys()].sort((a, b) => recallOf(front[b]!.score) - recallOf(front[a]!.score)).slice(0, 12);
  for (let i = 0; i < top.length; i++) for (let j = i + 1; j < top.length; j++) {
    const pair = [frontSeries[top[i]!]!, frontSeries[top[j]!]!];
    sets.push({ rules: pair, score: scoreOf(pair) });
  }
  const within = sets.filter((s) => s.score.alertsPerWeek <= budget);
  const pool = within.length > 0 ? within : sets;
  const best = [...pool].sort((a, b) => recallOf(b.score) - recallOf(a.score) || delayOf(a.score) - delayOf(b.score) || a.score.alertsPerWeek - b.score.alertsPerWeek || a.rules.length - b.rules.length)[0];
  const recommended = best === undefined ? undefined : { rules: best.rules.map((r) => r.rule), score: best.score, why: explain(best, sets, budget, within.length > 0, input.incidents.length) };
  return { points, front, recommended, skipped };
}

const recallOf = (s: AlertScore) => s.recall ?? 0;
const delayOf = (s: AlertScore) => s.medianDetectionDelayMs ?? Number.POSITIVE_INFINITY;

/** a dominates b: no worse on pages/week, median delay and recall, better on one. */
function dominates(a: AlertScore, b: AlertScore): boolean {
  const noWorse = a.alertsPerWeek <= b.alertsPerWeek && delayOf(a) <= delayOf(b) && recallOf(a) >= recallOf(b);
  const better = a.alertsPerWeek < b.alertsPerWeek || delayOf(a) < delayOf(b) || recallOf(a) > recallOf(b);
  return noWorse && better;
}

function describeRule(r: AlertRule): string {
  return `${r.burnRateThreshold}× over ${formatDurationMs(r.longWindowMs)} and ${formatDurationMs(r.shortWindowMs)}`;
}

function minutes(ms: number | null): string {
  return ms === null ? 'n/a' : `${(ms / 60_000).toFixed(1)} min`;
}

function explain(best: { rules: RuleSeries[]; score: AlertScore }, sets: readonly { rules: RuleSeries[]; score: AlertScore }[], budget: number, withinBudget: boolean, incidents: number): string[] {
  const s = best.score;
  const why = [
    `${best.rules.map((r) => describeRule(r.rule)).join(' + ')}: caught ${incidents - s.missedIncidents} of ${incidents} incidents (recall ${s.recall === null ? 'n/a' : `${(s.recall * 100).toFixed(0)} %`}), ` +
      `median detection delay ${minutes(s.medianDetectionDelayMs)}, ${s.alertsPerWeek.toFixed(2)} pages a week, ${s.noiseAlerts} of ${s.alerts} pages without an incident.`,
  ];
  if (!withinBudget) why.push(`No candidate stays within ${budget} pages a week; this one pages least among the most complete.`);
  else why.push(`Of the sets within ${budget} pages a week it catches the most incidents, and among those detects soonest.`);
  if (best.rules.length === 2) {
    const [a, b] = best.rules;
    const alone = sets.filter((x) => x.rules.length === 1 && (x.rules[0] === a || x.rules[0] === b));
    why.push(`Either rule alone catches ${alone.map((x) => `${incidents - x.score.missedIncidents}`).join(' or ')}: the faster one detects sharp outages sooner, the slower one catches slow burns it misses (the workbook's pairing).`);
  }
  if (incidents === 0) why.push('No incident was recorded in the range: recall and delays cannot be judged, only noise; record incidents (sluice.incidents.v1) to tune on them.');
  return why;
}
