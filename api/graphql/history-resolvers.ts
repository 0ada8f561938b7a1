import type { ClickHouseClient } from '@clickhouse/client';
import { ClickHouseHistoryStore } from '../../engine/adapters/clickhouse-history-store.ts';
import { durationOf, monthRange, sloFromText } from '../../engine/adapters/history-inputs.ts';
import type { HistoryStore } from '../../engine/adapters/history-store.ts';
import { SloHistoryService, type RuleSetChoice } from '../../engine/adapters/slo-history-service.ts';
import type { SourcePreference } from '../../engine/adapters/slo-history-loader.ts';
import type { AlertRuleSpec } from '../../engine/core/alerting/alert-rules.ts';
import { renderReviewMarkdown } from '../../engine/core/history/review-report.ts';
import type { Slo } from '../../engine/core/slo/slo-definition.ts';
import { SluiceError } from '../../platform/errors/sluice-error.ts';
import { apiError } from './api-error.ts';
import { backtestView, reportView, targetsView, tuneView } from './history-views.ts';

/** Where the history resolvers read: ClickHouse (history-store.ts) in both modes; tests pass an in-memory store. */
export interface HistoryDeps {
  store: HistoryStore;
  /** Wall clock, epoch ms (default `at` of sloTargets, report generation). */
  now?: () => number;
}

/** The history deps of a process whose data is in `clickhouse`. */
export function clickHouseHistory(clickhouse: ClickHouseClient): HistoryDeps {
  return { store: new ClickHouseHistoryStore(clickhouse) };
}

interface SloRefInput {
  name?: string | null;
  definition?: string | null;
}
type SourceInput = 'AUTO' | 'SIGNALS' | 'SLO_ROLLUPS';
const SOURCES: Record<SourceInput, SourcePreference> = { AUTO: 'auto', SIGNALS: 'signals', SLO_ROLLUPS: 'slo-rollups' };
interface RuleInput { name?: string | null; severity: string; longWindow: string; shortWindow: string; burnRate: number }

interface BacktestInput {
  slo: SloRefInput;
  from: number;
  to: number;
  ruleSet?: 'SLO' | 'DEFAULTS' | 'CANDIDATES' | null;
  rules?: RuleInput[] | null;
  source?: SourceInput | null;
  budgetStep?: string | null;
  earlyTolerance?: string | null;
}
interface TuneInput {
  slo: SloRefInput;
  from: number;
  to: number;
  windows?: { longWindow: string; shortWindow: string }[] | null;
  burnRates?: number[] | null;
  maxPoints?: number | null;
  maxPagesPerWeek?: number | null;
  source?: SourceInput | null;
  earlyTolerance?: string | null;
}
interface TargetsInput {
  slo: SloRefInput;
  at?: number | null;
  lookback?: string | null;
  share?: number | null;
  burnWindow?: string | null;
  source?: SourceInput | null;
}
interface ReportInput {
  team?: string | null;
  slos?: string[] | null;
  month?: string | null;
  from?: number | null;
  to?: number | null;
  source?: SourceInput | null;
}

/** Expected failures of history input become BAD_USER_INPUT with the reason; anything else is masked. */
async function expected<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof SluiceError && err.code.startsWith('HISTORY_')) throw apiError('BAD_USER_INPUT', err.message);
    throw err;
  }
}

/**
 * `backtest`, `tuneAlerts`, `sloTargets`, `sloReport` (docs/history.md). SLOs come by name —
 * the latest definition recorded in `slo_definitions` as the SLO directory loaded — or as a
 * definition text (YAML or JSON of one sluice/v1 document), e.g. an SLO defined after its
 * data arrived. Each answer is computed within the request: a 90-day backtest of one SLO
 * reads ~130,000 minutes and takes well under a second.
 */
export function historyResolvers(deps: HistoryDeps) {
  const service = new SloHistoryService({ store: deps.store, ...(deps.now ? { now: deps.now } : {}) });
  const now = deps.now ?? Date.now;

  const definitions = () => service.recordedDefinitions();
  const sloOf = async (ref: SloRefInput): Promise<Slo> => {
    if ((ref.name == null) === (ref.definition == null)) throw apiError('BAD_USER_INPUT', 'give exactly one of slo.name and slo.definition', { argument: 'slo' });
    if (ref.definition != null) return sloFromText(ref.definition, 'slo.definition').slo;
    const found = (await definitions()).find((d) => d.slo.name === ref.name);
    if (!found) throw apiError('NOT_FOUND', `no SLO named "${ref.name}" has a recorded definition (is it in the SLO directory of a running sluice?); pass slo.definition instead`, { argument: 'slo.name' });
    return found.slo;
  };
  const rulesOf = (input: BacktestInput): RuleSetChoice => {
    const kind = input.ruleSet ?? (input.rules ? 'CANDIDATES' : 'SLO');
    if (kind === 'CANDIDATES') {
      if (!input.rules || input.rules.length === 0) throw apiError('BAD_USER_INPUT', 'ruleSet CANDIDATES needs rules', { argument: 'rules' });
      return { kind: 'candidates', rules: input.rules.map((r): AlertRuleSpec => ({ ...(r.name ? { name: r.name } : {}), severity: r.severity as AlertRuleSpec['severity'], longWindow: r.longWindow, shortWindow: r.shortWindow, burnRate: r.burnRate })) };
    }
    if (input.rules) throw apiError('BAD_USER_INPUT', `rules are only taken with ruleSet CANDIDATES, not ${kind}`, { argument: 'rules' });
    return { kind: kind === 'DEFAULTS' ? 'defaults' : 'slo' };
  };
  const source = (s: SourceInput | null | undefined) => SOURCES[s ?? 'AUTO'];

  return {
    backtest: (_: unknown, { input }: { input: BacktestInput }) => expected(async () => backtestView(await service.backtest({
      slo: await sloOf(input.slo), fromMs: input.from, toMs: input.to, rules: rulesOf(input), source: source(input.source),
      ...(input.budgetStep ? { budgetStepMs: durationOf(input.budgetStep, 'budgetStep') } : {}),
      ...(input.earlyTolerance ? { earlyToleranceMs: durationOf(input.earlyTolerance, 'earlyTolerance') } : {}),
    }))),
    tuneAlerts: (_: unknown, { input }: { input: TuneInput }) => expected(async () => {
      const maxPoints = input.maxPoints ?? 200;
      if (!Number.isInteger(maxPoints) || maxPoints < 1 || maxPoints > 500) throw apiError('BAD_USER_INPUT', `maxPoints must be 1–500, got ${maxPoints}`, { argument: 'maxPoints' });
      return tuneView(await service.tune({
        slo: await sloOf(input.slo), fromMs: input.from, toMs: input.to, source: source(input.source),
        grid: {
          ...(input.windows ? { windows: input.windows.map((w) => ({ longWindowMs: durationOf(w.longWindow, 'windows.longWindow'), shortWindowMs: durationOf(w.shortWindow, 'windows.shortWindow') })) } : {}),
          ...(input.burnRates ? { burnRates: input.burnRates } : {}),
          maxPoints,
        },
        ...(input.maxPagesPerWeek != null ? { maxPagesPerWeek: input.maxPagesPerWeek } : {}),
        ...(input.earlyTolerance ? { earlyToleranceMs: durationOf(input.earlyTolerance, 'earlyTolerance') } : {}),
      }));
    }),
    sloTargets: (_: unknown, { input }: { input: TargetsInput }) => expected(async () => {
      const share = input.share ?? 0.9;
      if (!(share > 0 && share <= 1)) throw apiError('BAD_USER_INPUT', `share must be a ratio in (0, 1], got ${share}`, { argument: 'share' });
      return targetsView(await service.targets({
        slo: await sloOf(input.slo), atMs: input.at ?? now(), share, source: source(input.source),
        ...(input.lookback ? { lookbackMs: durationOf(input.lookback, 'lookback') } : {}),
        ...(input.burnWindow ? { burnWindow: input.burnWindow } : {}),
      }));
    }),
    sloReport: (_: unknown, { input }: { input: ReportInput }) => expected(async () => {
      const period = input.month != null ? monthRange(input.month) : input.from != null && input.to != null
        ? { fromMs: input.from, toMs: input.to, label: `${new Date(input.from).toISOString().slice(0, 10)} – ${new Date(input.to).toISOString().slice(0, 10)}` }
        : undefined;
      if (period === undefined) throw apiError('BAD_USER_INPUT', 'give month (YYYY-MM) or from and to', { argument: 'month' });
      const all = await definitions();
      const chosen = all.filter((d) => (input.team == null || d.team === input.team) && (input.slos == null || input.slos.includes(d.slo.name)));
      if (chosen.length === 0) throw apiError('NOT_FOUND', `no recorded SLO definition matches${input.team != null ? ` team ${input.team}` : ''}${input.slos ? ` and ${input.slos.join(', ')}` : ''}`, { argument: input.team != null ? 'team' : 'slos' });
      const report = await service.report({ slos: chosen.map((d) => ({ slo: d.slo, team: d.team })), fromMs: period.fromMs, toMs: period.toMs, label: period.label, team: input.team ?? undefined, source: source(input.source) });
      return reportView(report, renderReviewMarkdown(report));
    }),
  };
}
