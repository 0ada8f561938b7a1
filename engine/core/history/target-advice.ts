import { defaultMinEvents, compliancePeriod, type Slo } from '../slo/slo-definition.ts';
import type { SloEvaluation } from '../slo-evaluator.ts';
import { formatDurationMs } from '../time/duration.ts';
import type { MinuteSeries } from './minute-series.ts';

/**
 * Targets from history, after the workbook: start from what the service has achieved
 * ("the current state of the system"), and do not promise more than that [WB2,
 * "Implementing SLOs": "What to Measure Using SLIs" and "Setting SLOs"]; and the budget
 * forecast a release manager reads: at the current burn, when does the budget run out?
 */

/** One past compliance window and its attainment. */
export interface AttainmentWindow {
  fromMs: number;
  toMs: number;
  good: number;
  total: number;
  /** good / total, ratio 0–1; null without events. */
  attainment: number | null;
}

/** The target that would have been met in a share of the past windows. */
export interface TargetMet {
  /** Share of windows, ratio 0–1 (0.9: nine windows in ten). */
  share: number;
  /** The highest target met by at least that share of windows (an attainment); null without windows. */
  target: number | null;
}

/** Targets people write, from 90 % to five nines. */
export const TARGET_LADDER: readonly number[] = [0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999];
/** Shares of windows the attainment table is given for. */
export const DEFAULT_SHARES: readonly number[] = [0.5, 0.75, 0.9, 0.95, 0.99, 1];

const DAY_MS = 86_400_000;

/**
 * The SLO's compliance windows over the history in `[fromMs, toMs)`: a rolling window of
 * length W ending every `stepMs` (default 1 day) from the first end with W of history; a
 * calendar month for each whole month. Windows without events are left out. Rolling windows
 * overlap: neighbours share most of their events, so they are not independent samples.
 */
export function attainmentWindows(slo: Slo, series: MinuteSeries, range: { fromMs: number; toMs: number; stepMs?: number }): AttainmentWindow[] {
  const out: AttainmentWindow[] = [];
  const start = Math.max(range.fromMs, series.firstMinuteMs() ?? range.toMs);
  const push = (fromMs: number, toMs: number) => {
    const total = series.totalBetween(fromMs, toMs);
    if (total === 0) return;
    const good = series.goodBetween(fromMs, toMs);
    out.push({ fromMs, toMs, good, total, attainment: good / total });
  };
  if (slo.compliance.kind === 'rolling') {
    const w = slo.compliance.durationMs;
    const step = Math.max(60_000, range.stepMs ?? DAY_MS);
    for (let end = range.toMs; end - w >= start; end -= step) push(end - w, end);
    out.reverse();
  } else {
    let period = compliancePeriod(slo.compliance, start);
    // the month `start` falls in is whole only when it starts there
    let fromMs = period.fromMs === start ? period.fromMs : period.fromMs + period.periodMs;
    for (;;) {
      period = compliancePeriod(slo.compliance, fromMs);
      const toMs = period.fromMs + period.periodMs;
      if (toMs > range.toMs) break;
      push(period.fromMs, toMs);
      fromMs = toMs;
    }
  }
  return out;
}

/**
 * For each share s: the highest target met by at least s of the windows — sorted ascending,
 * a₁ ≤ … ≤ aₙ, it is a_(n − ⌈s·n⌉ + 1) (the value at least ⌈s·n⌉ windows reach).
 */
export function targetsMet(windows: readonly AttainmentWindow[], shares: readonly number[] = DEFAULT_SHARES): TargetMet[] {
  const sorted = windows.flatMap((w) => (w.attainment === null ? [] : [w.attainment])).sort((a, b) => a - b);
  const n = sorted.length;
  return shares.map((share) => ({ share, target: n === 0 ? null : sorted[n - Math.max(1, Math.ceil(share * n - 1e-9))]! }));
}

export interface TargetRecommendation {
  /** null when the history cannot support any target of the ladder. */
  target: number | null;
  /** The share of past windows the recommendation is based on (default 0.9). */
  basisShare: number;
  reasoning: string[];
}

const pct = (r: number) => `${(r * 100).toPrecision(r >= 0.999 ? 6 : 4).replace(/\.?0+$/, '')} %`;

/**
 * A target the service would have met in `share` (default 90 %) of its past windows: the
 * highest ladder value at or below that attainment — and one the windows hold enough
 * events to judge (the rule of three: ⌈3 / (1 − t)⌉ events, docs/verdict-semantics.md §5).
 */
export function recommendTarget(slo: Slo, windows: readonly AttainmentWindow[], share = 0.9): TargetRecommendation {
  const reasoning: string[] = [];
  const [met] = targetsMet(windows, [share]);
  if (met === undefined || met.target === null) return { target: null, basisShare: share, reasoning: ['No past window with events: nothing to base a target on yet.'] };
  const windowLabel = slo.compliance.kind === 'rolling' ? `${formatDurationMs(slo.compliance.durationMs, { weeks: false })} windows` : 'calendar months';
  reasoning.push(`${Math.round(share * 100)} % of ${windows.length} past ${windowLabel} reached an attainment of ${pct(met.target)} or more.`);
  const medianEvents = [...windows].map((w) => w.total).sort((a, b) => a - b)[Math.floor(windows.length / 2)]!;
  let target: number | null = null;
  for (const t of TARGET_LADDER) {
    if (t > met.target) break;
    if (medianEvents < defaultMinEvents(t)) {
      reasoning.push(`${pct(t)} would need ${defaultMinEvents(t)} events per window to be judged (rule of three); a typical window holds ${medianEvents}.`);
      break;
    }
    target = t;
  }
  if (target === null) reasoning.push(`No target from ${pct(TARGET_LADDER[0]!)} up was met that often with enough events: fix the service (or the SLI) before promising one.`);
  else reasoning.push(`Recommended ${pct(target)}: the highest of ${TARGET_LADDER.map(pct).join(', ')} at or below it — a target the service has already shown it meets, leaving its budget for change [WB2].`);
  if (target !== null && target !== slo.target) {
    reasoning.push(target > slo.target
      ? `Above the current ${pct(slo.target)}: the service does better than it promises; a tighter target would catch regressions sooner.`
      : `Below the current ${pct(slo.target)}: the current target was missed in more than ${Math.round((1 - share) * 100)} % of windows.`);
  }
  if (windows.length < 3) reasoning.push(`Only ${windows.length} window(s) of history: a weak basis.`);
  else if (slo.compliance.kind === 'rolling') reasoning.push('Rolling windows a day apart overlap: they are not independent samples, so read the shares as a description of the past, not as probabilities.');
  return { target, basisShare: share, reasoning };
}

/** When the budget runs out at the current burn. */
export interface BudgetForecast {
  atMs: number;
  /** The window the current burn is measured over, e.g. `1d`. */
  burnWindow: string;
  /** Burn rate over it (multiples of the allowed rate). */
  burnRate: number;
  remainingEvents: number;
  remainingRatio: number;
  exhausted: boolean;
  /** When it runs out at this rate, epoch ms; null when it does not (or already has). */
  exhaustsAtMs: number | null;
  /** The forecast in words: a date, "not at this rate", or "exhausted". */
  statement: string;
}

/**
 * Budget exhaustion at the current burn, from the evaluation at `atMs`: the bad events the
 * last `burnWindow` (default 1d) burnt per ms, against the events the budget has left.
 *  - Calendar month: the budget lasts remaining / rate; past the month's end it is "not at
 *    this rate" (it resets on the 1st).
 *  - Rolling window: at a burn of 1× or less the window's bad events settle at or below the
 *    allowance — "not at this rate"; above it, remaining / rate is the earliest date (bad
 *    events leaving the window give some back).
 */
export function forecastExhaustion(slo: Slo, evaluation: SloEvaluation, burnWindow = '1d'): BudgetForecast {
  const { budget } = evaluation;
  const burn = evaluation.burnRates.find((b) => b.window === burnWindow) ?? evaluation.burnRates.at(-1)!;
  const badPerMs = (burn.total - burn.good) / burn.durationMs;
  const base = { atMs: evaluation.atMs, burnWindow: burn.window, burnRate: burn.burnRate, remainingEvents: budget.remainingEvents, remainingRatio: budget.remainingRatio, exhausted: budget.exhausted };
  const iso = (ms: number) => new Date(ms).toISOString();
  if (budget.exhausted) return { ...base, exhaustsAtMs: null, statement: `exhausted at ${iso(evaluation.atMs)}: ${budget.bad} bad events of ${budget.allowedBadEvents.toFixed(1)} allowed` };
  if (badPerMs === 0) return { ...base, exhaustsAtMs: null, statement: `not at this rate: no bad event over the last ${burn.window}` };
  const atMs = evaluation.atMs + budget.remainingEvents / badPerMs;
  if (slo.compliance.kind === 'calendarMonth') {
    const period = compliancePeriod(slo.compliance, evaluation.atMs);
    const endMs = period.fromMs + period.periodMs;
    return atMs >= endMs
      ? { ...base, exhaustsAtMs: null, statement: `not at this rate: at ${burn.burnRate.toFixed(2)}× (last ${burn.window}) the ${(budget.remainingRatio * 100).toFixed(1)} % left lasts past the month's end (the budget resets on the 1st)` }
      : { ...base, exhaustsAtMs: atMs, statement: `${iso(atMs)}: at ${burn.burnRate.toFixed(2)}× (last ${burn.window}) the ${(budget.remainingRatio * 100).toFixed(1)} % left runs out before the month ends` };
  }
  if (burn.burnRate <= 1) return { ...base, exhaustsAtMs: null, statement: `not at this rate: ${burn.burnRate.toFixed(2)}× (last ${burn.window}) is within the budget rate; a rolling window's bad events settle below the allowance` };
  return { ...base, exhaustsAtMs: atMs, statement: `${iso(atMs)} at the earliest: at ${burn.burnRate.toFixed(2)}× (last ${burn.window}) the ${(budget.remainingRatio * 100).toFixed(1)} % left runs out then, unless old bad events leaving the window give some back` };
}
