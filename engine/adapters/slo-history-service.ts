import { z } from 'zod';
import { SluiceError } from '../../platform/errors/sluice-error.ts';
import { AlertRuleSpecSchema, alertRuleFromSpec, type AlertRule, type AlertRuleSpec } from '../core/alerting/alert-rules.ts';
import { defaultAlertRules } from '../core/alerting/default-alert-rules.ts';
import { maxBurnRate } from '../core/budget/burn-rate.ts';
import type { AlertEpisode } from '../core/history/alert-episodes.ts';
import { replayHistory, DEFAULT_WARMUP_MS, type BudgetPoint } from '../core/history/history-replay.ts';
import { scoreAlerts, type AlertScore, type IncidentOutcome, type MaintenanceWindow, type ScoredIncidentInput } from '../core/history/incident-scoring.ts';
import { breachEpisodes, definitionChanges, deployBurns, type ConfigChange, type ReviewReport, type ReviewSection } from '../core/history/review-report.ts';
import { attainmentWindows, forecastExhaustion, recommendTarget, targetsMet, type AttainmentWindow, type BudgetForecast, type TargetMet, type TargetRecommendation } from '../core/history/target-advice.ts';
import { sweepThresholds, type SweepGrid, type SweepResult } from '../core/history/threshold-sweep.ts';
import { validateSloDocument } from '../core/slo/slo-set.ts';
import type { Slo } from '../core/slo/slo-definition.ts';
import { evaluateSlo } from '../core/slo-evaluator.ts';
import { formatDurationMs } from '../core/time/duration.ts';
import { HOUR_MS, MINUTE_MS } from '../core/window/minute-bucket.ts';
import type { BreachTransition } from '../core/breach/breach-state-machine.ts';
import { historyHorizonMs } from './history-horizon.ts';
import { seriesFreshness } from './history-freshness.ts';
import type { DefinitionVersion, HistoryStore } from './history-store.ts';
import { loadSloHistory, type LatencyBound, type SeriesBasis, type SourcePreference } from './slo-history-loader.ts';

/** Which alert rules a backtest replays. */
export type RuleSetChoice = { kind: 'slo' } | { kind: 'defaults' } | { kind: 'candidates'; rules: readonly AlertRuleSpec[] };

/** How long work is going, for progress output (CLI: stderr). */
export type HistoryProgress = (p: { phase: string; done: number; total: number; detail?: string }) => void;

/**
 * Maintenance windows of a service: alerts and incidents inside them are not scored. None
 * exist yet in sluice — this is the hook (docs/history.md, "Maintenance windows"): the
 * default returns none, and every answer says so.
 */
export type MaintenanceWindows = (service: string, environment: string, fromMs: number, toMs: number) => Promise<MaintenanceWindow[]>;

export interface SloHistoryServiceOptions {
  store: HistoryStore;
  maintenance?: MaintenanceWindows;
  /** Wall clock (the report's generation time only), epoch ms. */
  now?: () => number;
}

export interface BacktestRequest {
  slo: Slo;
  fromMs: number;
  toMs: number;
  rules?: RuleSetChoice;
  source?: SourcePreference;
  /** Replay starts this long before `fromMs` (state as a judge running all along had it), ms; default 1 day. */
  warmupMs?: number;
  /** Budget points every this long, ms; default 1 day. */
  budgetStepMs?: number;
  /** An alert up to this long before an incident was opened caught it, ms; default 1 h. */
  earlyToleranceMs?: number;
}

/** What the data behind an answer is, and what it cannot say. */
export interface DataBasis {
  basis: SeriesBasis[];
  estimatedMinutes: number;
  limits: string[];
  latencyBound?: LatencyBound | undefined;
}

export interface BacktestAnswer {
  slo: Slo;
  ruleSet: RuleSetChoice['kind'];
  rules: AlertRule[];
  fromMs: number;
  toMs: number;
  alerts: (AlertEpisode & { incidentIds: string[]; noise: boolean })[];
  transitions: BreachTransition[];
  budget: BudgetPoint[];
  /** Good and total events over `[fromMs, toMs)`. */
  counts: { good: number; total: number };
  incidents: IncidentOutcome[];
  score: AlertScore;
  /** Scores of pages only and of tickets only. */
  bySeverity: { page: AlertScore; ticket: AlertScore };
  data: DataBasis;
  maintenance: { windows: MaintenanceWindow[]; note: string };
  stats: { boundaries: number; evaluated: number; loadMs: number; replayMs: number };
}

export interface TuneRequest {
  slo: Slo;
  fromMs: number;
  toMs: number;
  grid?: SweepGrid;
  maxPagesPerWeek?: number;
  source?: SourcePreference;
  earlyToleranceMs?: number;
}

export interface TuneAnswer extends SweepResult {
  slo: Slo;
  fromMs: number;
  toMs: number;
  incidents: number;
  data: DataBasis;
  stats: { points: number; loadMs: number; sweepMs: number };
}

export interface TargetsRequest {
  slo: Slo;
  /** Now for the forecast, and the end of the history read, epoch ms. */
  atMs: number;
  /** History read before `atMs`, ms; default 400 days (the rollups' retention). */
  lookbackMs?: number;
  /** Rolling windows end every this long, ms; default 1 day. */
  stepMs?: number;
  /** Share of windows the recommendation is based on; default 0.9. */
  share?: number;
  /** Window of the current burn for the forecast; default `1d`. */
  burnWindow?: string;
  source?: SourcePreference;
}

export interface TargetsAnswer {
  slo: Slo;
  atMs: number;
  windows: AttainmentWindow[];
  met: TargetMet[];
  recommendation: TargetRecommendation;
  forecast: BudgetForecast;
  data: DataBasis;
}

export interface ReportRequest {
  slos: readonly { slo: Slo; team: string }[];
  fromMs: number;
  toMs: number;
  /** `2026-10`, `2026-10-01 – 2026-10-15`…: how the period is named. */
  label: string;
  team?: string | undefined;
  source?: SourcePreference;
}

const NO_MAINTENANCE: MaintenanceWindows = async () => [];
const MAINTENANCE_NOTE = 'no maintenance windows are defined in sluice yet; alerts and incidents inside windows given by the hook (MaintenanceWindows) would not be scored';

/** Candidate rules as given (file or API): checked like rules an SLO gives itself (slo-definition.ts). */
export const CandidateRulesSchema = z.array(AlertRuleSpecSchema).min(1);

/** The rules a choice names for an SLO; a candidate out of reach or longer than the SLO window is refused with its index. */
export function resolveRules(slo: Slo, choice: RuleSetChoice = { kind: 'slo' }): AlertRule[] {
  if (choice.kind === 'slo') return slo.alertRules;
  const windowMs = slo.compliance.kind === 'rolling' ? slo.compliance.durationMs : 31 * 86_400_000;
  if (choice.kind === 'defaults') {
    const outcome = slo.compliance.kind === 'rolling'
      ? defaultAlertRules(slo.tier, slo.target, windowMs, formatDurationMs(windowMs, { weeks: false }))
      : defaultAlertRules(slo.tier, slo.target, 28 * 86_400_000, '1M');
    if (outcome.problems.length > 0) throw new SluiceError('HISTORY_BAD_RULES', `the default rules of tier ${slo.tier} do not fit ${slo.name}: ${outcome.problems.map((p) => p.message).join('; ')}`);
    return outcome.rules;
  }
  const parsed = CandidateRulesSchema.safeParse(choice.rules);
  if (!parsed.success) throw new SluiceError('HISTORY_BAD_RULES', `rules: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data.map((spec, i) => {
    const rule = alertRuleFromSpec(spec);
    if (rule.burnRateThreshold > maxBurnRate(slo.target)) throw new SluiceError('HISTORY_BAD_RULES', `rules.${i}.burnRate: ${rule.burnRateThreshold} can never be reached with target ${slo.target} (highest burn rate ${maxBurnRate(slo.target).toPrecision(6)})`);
    if (rule.longWindowMs > windowMs) throw new SluiceError('HISTORY_BAD_RULES', `rules.${i}.longWindow: must not be longer than the SLO window (${formatDurationMs(windowMs)})`);
    return rule;
  });
}

/**
 * Backtests, tuning, targets and review reports over stored history (docs/history.md):
 * reads through a HistoryStore, replays with the engine core (history-replay.ts) and scores
 * against the recorded incidents. One instance serves the GraphQL API and the CLI.
 */
export class SloHistoryService {
  private readonly store: HistoryStore;
  private readonly maintenance: MaintenanceWindows;
  private readonly now: () => number;

  constructor(opts: SloHistoryServiceOptions) {
    this.store = opts.store;
    this.maintenance = opts.maintenance ?? NO_MAINTENANCE;
    this.now = opts.now ?? Date.now;
  }

  /** Every alert the rules would have fired over the range, budget over time, and how they matched the incidents. */
  async backtest(req: BacktestRequest, progress?: HistoryProgress): Promise<BacktestAnswer> {
    checkRange(req.fromMs, req.toMs);
    const rules = resolveRules(req.slo, req.rules);
    const slo: Slo = { ...req.slo, alertRules: rules };
    const warmupMs = req.warmupMs ?? DEFAULT_WARMUP_MS;
    const fetchFromMs = Math.floor((req.fromMs - warmupMs - historyHorizonMs(slo)) / HOUR_MS) * HOUR_MS;
    progress?.({ phase: 'load', done: 0, total: 1, detail: `${slo.name}: reading ${((req.toMs - fetchFromMs) / 86_400_000).toFixed(1)} days of minutes (the range, its warm-up and the windows before it)` });
    const t0 = performance.now();
    const loaded = await loadSloHistory(this.store, slo, { fetchFromMs, reportFromMs: req.fromMs, toMs: req.toMs, source: req.source });
    const [incidents, maintenance] = await Promise.all([this.store.incidents(slo.service, slo.environment, req.fromMs, req.toMs), this.maintenance(slo.service, slo.environment, req.fromMs, req.toMs)]);
    const t1 = performance.now();
    progress?.({ phase: 'replay', done: 0, total: 1, detail: `${slo.name}: replaying ${Math.round((req.toMs - req.fromMs) / MINUTE_MS)} minute boundaries` });
    const replay = replayHistory(slo, loaded.series, seriesFreshness(slo, loaded.series), { fromMs: req.fromMs, toMs: req.toMs, warmupMs, budgetStepMs: req.budgetStepMs });
    const t2 = performance.now();
    const scoring = { rangeEndMs: req.toMs, earlyToleranceMs: req.earlyToleranceMs, maintenance };
    const scored = scoreAlerts(replay.alerts, incidents, req.fromMs, scoring);
    const bySeverity = {
      page: scoreAlerts(replay.alerts.filter((a) => a.severity === 'page'), incidents, req.fromMs, scoring).score,
      ticket: scoreAlerts(replay.alerts.filter((a) => a.severity === 'ticket'), incidents, req.fromMs, scoring).score,
    };
    progress?.({ phase: 'done', done: 1, total: 1, detail: `${slo.name}: ${replay.alerts.length} alerts, ${replay.transitions.length} transitions` });
    return {
      slo, ruleSet: req.rules?.kind ?? 'slo', rules, fromMs: req.fromMs, toMs: req.toMs,
      alerts: scored.alerts.map((a) => ({ ...a.alert, incidentIds: a.incidentIds, noise: a.noise })),
      transitions: replay.transitions,
      budget: replay.budget,
      counts: loaded.series.sum({}, req.fromMs, req.toMs),
      incidents: scored.incidents,
      score: scored.score,
      bySeverity,
      data: dataBasis(loaded),
      maintenance: { windows: maintenance, note: maintenance.length === 0 ? MAINTENANCE_NOTE : `${maintenance.length} maintenance windows left out of the scoring` },
      stats: { boundaries: replay.stats.boundaries, evaluated: replay.stats.evaluated, loadMs: t1 - t0, replayMs: t2 - t1 },
    };
  }

  /**
   * Backtests many SLOs, `concurrency` (default 4) at a time: each read runs on one
   * ClickHouse thread while replays run on the JS thread, so more reads than cores keep
   * both busy (`npm run bench:backtest`, 100 SLOs on 2 cores: 5.7 s with 2, 4.5 s with 4).
   */
  async backtestMany(requests: readonly BacktestRequest[], opts: { concurrency?: number } = {}, progress?: HistoryProgress): Promise<BacktestAnswer[]> {
    // the definition versions of every SLO in one read, not one each
    const versions = await this.store.definitionVersions(requests.map((r) => r.slo.name));
    const one = new SloHistoryService({ store: withDefinitions(this.store, versions), maintenance: this.maintenance, now: this.now });
    const out: BacktestAnswer[] = new Array(requests.length);
    let next = 0;
    let done = 0;
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= requests.length) return;
        out[i] = await one.backtest(requests[i]!);
        progress?.({ phase: 'backtest', done: ++done, total: requests.length, detail: requests[i]!.slo.name });
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
    return out;
  }

  /** The Pareto front of page rules over a grid, and a recommended set. */
  async tune(req: TuneRequest, progress?: HistoryProgress): Promise<TuneAnswer> {
    checkRange(req.fromMs, req.toMs);
    const fetchFromMs = Math.floor((req.fromMs - historyHorizonMs(req.slo)) / HOUR_MS) * HOUR_MS;
    progress?.({ phase: 'load', done: 0, total: 1, detail: req.slo.name });
    const t0 = performance.now();
    const loaded = await loadSloHistory(this.store, req.slo, { fetchFromMs, reportFromMs: req.fromMs, toMs: req.toMs, source: req.source });
    const [incidents, maintenance] = await Promise.all([this.store.incidents(req.slo.service, req.slo.environment, req.fromMs, req.toMs), this.maintenance(req.slo.service, req.slo.environment, req.fromMs, req.toMs)]);
    const t1 = performance.now();
    progress?.({ phase: 'sweep', done: 0, total: 1, detail: `${req.slo.name}: replaying the grid over ${incidents.length} incidents` });
    const result = sweepThresholds({
      slo: req.slo, series: loaded.series, fromMs: req.fromMs, toMs: req.toMs, incidents: incidents.map(scoredIncident),
      grid: req.grid, maxPagesPerWeek: req.maxPagesPerWeek, earlyToleranceMs: req.earlyToleranceMs, maintenance,
    });
    const t2 = performance.now();
    progress?.({ phase: 'done', done: 1, total: 1, detail: `${result.points.length} points, ${result.front.length} on the front` });
    return { ...result, slo: req.slo, fromMs: req.fromMs, toMs: req.toMs, incidents: incidents.length, data: dataBasis(loaded), stats: { points: result.points.length, loadMs: t1 - t0, sweepMs: t2 - t1 } };
  }

  /** Attainment per past window, a recommended target, and the budget forecast at the current burn. */
  async targets(req: TargetsRequest, progress?: HistoryProgress): Promise<TargetsAnswer> {
    const lookbackMs = req.lookbackMs ?? 400 * 86_400_000;
    const windowMs = req.slo.compliance.kind === 'rolling' ? req.slo.compliance.durationMs : 31 * 86_400_000;
    const fetchFromMs = Math.floor((req.atMs - lookbackMs) / HOUR_MS) * HOUR_MS;
    progress?.({ phase: 'load', done: 0, total: 1, detail: req.slo.name });
    const loaded = await loadSloHistory(this.store, req.slo, { fetchFromMs, reportFromMs: Math.max(fetchFromMs, req.atMs - windowMs), toMs: req.atMs, source: req.source });
    const windows = attainmentWindows(req.slo, loaded.series, { fromMs: fetchFromMs, toMs: Math.floor(req.atMs / MINUTE_MS) * MINUTE_MS, stepMs: req.stepMs });
    const freshness = seriesFreshness(req.slo, loaded.series);
    const atMs = Math.floor(req.atMs / MINUTE_MS) * MINUTE_MS;
    const evaluation = evaluateSlo({ slo: req.slo, store: loaded.series, freshness: freshness.at(atMs, loaded.series.lastDataMinuteBefore(atMs)), nowMs: atMs });
    progress?.({ phase: 'done', done: 1, total: 1, detail: `${windows.length} windows` });
    return {
      slo: req.slo, atMs, windows, met: targetsMet(windows), recommendation: recommendTarget(req.slo, windows, req.share),
      forecast: forecastExhaustion(req.slo, evaluation, req.burnWindow), data: dataBasis(loaded),
    };
  }

  /** The review report of some SLOs (a team's) over a period. */
  async report(req: ReportRequest, progress?: HistoryProgress): Promise<ReviewReport> {
    checkRange(req.fromMs, req.toMs);
    const versions = await this.store.definitionVersions(req.slos.map((s) => s.slo.name));
    const sections: ReviewSection[] = [];
    for (const [i, { slo, team }] of req.slos.entries()) {
      progress?.({ phase: 'report', done: i, total: req.slos.length, detail: slo.name });
      const bt = await this.backtest({ slo, fromMs: req.fromMs, toMs: req.toMs, source: req.source });
      const [transitions, deploys] = await Promise.all([
        this.store.transitions(slo.name, req.fromMs, req.toMs),
        this.store.deploys(slo.service, slo.environment, req.fromMs, req.toMs),
      ]);
      const periodSource = bt.data.basis.some((b) => b.source === 'slo-rollups') && !bt.data.basis.some((b) => b.source === 'signals') ? 'slo-rollups' : 'signals';
      const versionCounts = bt.data.basis.some((b) => b.source === 'raw-logs') ? [] : await this.store.versions(slo, periodSource, req.fromMs, req.toMs);
      const period = bt.counts;
      const allowed = (1 - slo.target) * period.total;
      const limits = [...bt.data.limits];
      if (transitions.length === 0) limits.push('no recorded transitions in the period: either the SLO stayed as it was, or no judge ran it then (breaches are read from slo_transitions)');
      sections.push({
        name: slo.name, displayName: slo.displayName, service: slo.service, environment: slo.environment, team, target: slo.target,
        good: period.good, total: period.total, attainment: period.total === 0 ? null : period.good / period.total,
        allowedBadEvents: allowed, badEvents: period.total - period.good, budgetConsumedRatio: allowed === 0 ? 0 : (period.total - period.good) / allowed,
        met: period.total === 0 ? null : period.good / period.total >= slo.target,
        breaches: breachEpisodes(transitions),
        alerts: bt.alerts,
        alertScore: bt.score,
        incidents: bt.incidents,
        deploys: deployBurns(deploys, versionCounts, slo.target, allowed),
        configChanges: configChanges(versions.filter((v) => v.slo === slo.name), req.fromMs, req.toMs),
        limits,
      });
    }
    progress?.({ phase: 'report', done: req.slos.length, total: req.slos.length });
    return {
      title: `SLO review${req.team === undefined ? '' : ` — team ${req.team}`} — ${req.label}`,
      period: { fromMs: req.fromMs, toMs: req.toMs, label: req.label },
      team: req.team ?? null,
      generatedAtMs: this.now(),
      sections,
    };
  }

  /** The latest recorded definition of every SLO not removed (what `sluice api` knows without the SLO directory). */
  async recordedDefinitions(): Promise<{ slo: Slo; team: string; file: string }[]> {
    const latest = new Map<string, DefinitionVersion>();
    for (const v of await this.store.definitionVersions()) latest.set(v.slo, v);
    return [...latest.values()].filter((v) => !v.removed).flatMap((v) => {
      const parsed = validateSloDocument(v.file, 0, v.definition);
      return 'slo' in parsed ? [{ slo: parsed.slo, team: v.team, file: v.file }] : [];
    });
  }
}

/** A store whose definition versions are the ones given (read once for many SLOs). */
function withDefinitions(store: HistoryStore, versions: readonly DefinitionVersion[]): HistoryStore {
  return Object.assign(Object.create(store) as HistoryStore, {
    definitionVersions: async (names?: readonly string[]) => versions.filter((v) => names === undefined || names.includes(v.slo)),
  });
}

function checkRange(fromMs: number, toMs: number): void {
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || !(toMs > fromMs)) throw new SluiceError('HISTORY_BAD_RANGE', `need from < to (epoch ms), got ${fromMs} – ${toMs}`);
  if (toMs - fromMs > 400 * 86_400_000) throw new SluiceError('HISTORY_BAD_RANGE', 'the range is longer than the 400 days rollups are kept');
}

function scoredIncident(i: { incidentId: string; severity: string; title: string; openedAtMs: number; resolvedAtMs: number | null }): ScoredIncidentInput {
  return { incidentId: i.incidentId, severity: i.severity, title: i.title, openedAtMs: i.openedAtMs, resolvedAtMs: i.resolvedAtMs };
}

function dataBasis(loaded: { basis: SeriesBasis[]; estimatedMinutes: number; limits: string[]; latencyBound?: LatencyBound | undefined }): DataBasis {
  return { basis: loaded.basis, estimatedMinutes: loaded.estimatedMinutes, limits: loaded.limits, latencyBound: loaded.latencyBound };
}

/** The definition versions loaded in `[fromMs, toMs)`, each with what changed from the one before (consecutive repeats collapsed). */
function configChanges(versions: readonly DefinitionVersion[], fromMs: number, toMs: number): ConfigChange[] {
  const out: ConfigChange[] = [];
  let previous: DefinitionVersion | undefined;
  for (const v of versions) {
    if (previous !== undefined && previous.fingerprint === v.fingerprint && previous.removed === v.removed) continue;
    if (v.loadedAtMs >= fromMs && v.loadedAtMs < toMs) {
      const changes = v.removed ? ['removed from the SLO directory'] : previous === undefined || previous.removed ? ['added'] : definitionChanges(previous.definition, v.definition);
      out.push({ atMs: v.loadedAtMs, loadedBy: v.loadedBy, file: v.file, changes });
    }
    previous = v;
  }
  return out;
}
