import { durationOf, rulesFromText } from '../../engine/adapters/history-inputs.ts';
import type { BacktestAnswer, RuleSetChoice } from '../../engine/adapters/slo-history-service.ts';
import { formatDurationMs } from '../../engine/core/time/duration.ts';
import { backtestView } from '../graphql/history-views.ts';
import type { CliIo } from './cli-io.ts';
import { stringFlag, UsageError, type FlagSpec } from './command-options.ts';
import { iso, JSON_FLAG, minutes, pct, readTextFile, SOURCE_FLAG, sourceFlag, stderrProgress, table, timeFlag, historyHelp, runHistoryCommand, sloFileFlag } from './history-cli.ts';

const SLO: FlagSpec = { name: 'slo', doc: 'SLO file (YAML or JSON, one sluice/v1 SLO document) — also one not loaded yet' };
const FLAGS: FlagSpec[] = [
  SLO,
  { name: 'from', doc: 'start: ISO date/time (UTC) or epoch ms' },
  { name: 'to', doc: 'end (default now)' },
  { name: 'rules', doc: 'candidate rules file: a YAML/JSON list of { severity, longWindow, shortWindow, burnRate }, { rules: [...] } or an SLO file' },
  { name: 'defaults', boolean: true, doc: "replay the tier's default rules instead of the SLO's own" },
  SOURCE_FLAG,
  { name: 'budget-step', doc: 'spacing of the budget points (default 1d)' },
  { name: 'early-tolerance', doc: 'an alert this long before an incident was opened caught it (default 1h)' },
  JSON_FLAG,
];

export function backtestHelp(): string {
  return historyHelp(
    'usage: sluice backtest --slo <file> --from <time> [--to <time>] [--rules <file> | --defaults] [--source auto|signals|slo-rollups] [--json]',
    [
      'Replays the stored minutes of an SLO through the engine core (the live judge\'s loop, with event time):',
      'every alert its rules would have fired (severity, start, end, peak burn rate), the breach transitions,',
      "the budget over time, and how the alerts matched the service's incidents: precision, recall, detection",
      'delay per incident, noise and missed incidents. Progress on stderr. docs/history.md',
    ],
    FLAGS,
  );
}

/** The answer as tables: alerts, incidents, scores, budget, and what the data rests on. */
export function renderBacktest(a: BacktestAnswer): string {
  const score = (name: string, s: BacktestAnswer['score']) => [name, String(s.alerts), s.alertsPerWeek.toFixed(2), pct(s.precision), String(s.noiseAlerts), `${s.incidents - s.missedIncidents}/${s.incidents}`, pct(s.recall), minutes(s.medianDetectionDelayMs), minutes(s.maxDetectionDelayMs)];
  const lines = [
    `backtest ${a.slo.name} (${a.slo.service}/${a.slo.environment}, target ${pct(a.slo.target, 2)}) ${iso(a.fromMs)} – ${iso(a.toMs)}`,
    `rules (${a.ruleSet}): ${a.rules.map((r) => `${r.name} ${r.severity} ${r.burnRateThreshold}× over ${formatDurationMs(r.longWindowMs)}/${formatDurationMs(r.shortWindowMs)}`).join('; ')}`,
    `${a.counts.total.toLocaleString('en')} events, attainment ${pct(a.counts.total === 0 ? null : a.counts.good / a.counts.total, 3)}; ${a.stats.boundaries.toLocaleString('en')} minute boundaries replayed`,
    '',
    'ALERTS',
    a.alerts.length === 0 ? '  none' : table([['SEVERITY', 'START', 'END', 'LASTED', 'PEAK BURN', 'RULES', 'INCIDENTS'], ...a.alerts.map((x) => [
      x.severity, iso(x.startMs), iso(x.endMs), x.endMs === null ? 'ongoing' : formatDurationMs(x.endMs - x.startMs), `${x.peakBurnRate.toFixed(1)}×`, x.rules.join(','), x.noise ? 'NOISE' : x.incidentIds.join(','),
    ])]),
    '',
    'INCIDENTS',
    a.incidents.length === 0 ? '  none recorded for this service and environment' : table([['INCIDENT', 'SEVERITY', 'OPENED', 'DETECTED', 'DELAY', 'TITLE'], ...a.incidents.map((i) => [
      i.incidentId, i.severity, iso(i.openedAtMs), i.detected ? `yes, ${iso(i.firstAlertAtMs)}` : 'MISSED', minutes(i.detectionDelayMs), i.title,
    ])]),
    '',
    table([['SCORE', 'ALERTS', 'PER WEEK', 'PRECISION', 'NOISE', 'CAUGHT', 'RECALL', 'MEDIAN DELAY', 'MAX DELAY'], score('all', a.score), score('pages', a.bySeverity.page), score('tickets', a.bySeverity.ticket)]),
    '',
    'BUDGET',
    table([['AT', 'ATTAINMENT', 'CONSUMED', 'EXHAUSTED'], ...a.budget.map((b) => [iso(b.atMs), pct(b.attainment, 3), pct(b.consumedRatio), b.exhausted ? 'yes' : ''])]),
    '',
    `TRANSITIONS (${a.transitions.length})`,
    ...a.transitions.map((t) => `  ${iso(t.atMs)}  ${t.from} → ${t.to}${t.rule ? ` (${t.rule})` : ''}: ${t.reason}`),
    '',
    'DATA',
    ...a.data.basis.map((b) => `  ${iso(b.fromMs)} – ${iso(b.toMs)}: ${b.note}${b.exact ? '' : ' (estimates)'}`),
    ...a.data.limits.map((l) => `  limit: ${l}`),
    `  ${a.maintenance.note}`,
    '',
  ];
  return lines.join('\n');
}

/** `sluice backtest`. Returns the exit code. */
export async function runBacktestCommand(argv: string[], env: Readonly<Record<string, string | undefined>>, io: CliIo): Promise<number> {
  return runHistoryCommand({
    name: 'backtest', argv, env, io, help: backtestHelp, flags: FLAGS,
    run: async (flags, open) => {
      const slo = await sloFileFlag(flags, SLO);
      const rulesFile = stringFlag(flags, 'rules');
      if (rulesFile !== undefined && flags.values.defaults === true) throw new UsageError('give --rules or --defaults, not both');
      const rules: RuleSetChoice = rulesFile !== undefined ? { kind: 'candidates', rules: rulesFromText(await readTextFile(rulesFile, '--rules'), rulesFile) } : flags.values.defaults === true ? { kind: 'defaults' } : { kind: 'slo' };
      const budgetStep = stringFlag(flags, 'budget-step');
      const early = stringFlag(flags, 'early-tolerance');
      const request = {
        slo, rules, fromMs: timeFlag(flags, 'from'), toMs: timeFlag(flags, 'to', Date.now()), source: sourceFlag(flags),
        ...(budgetStep !== undefined ? { budgetStepMs: durationOf(budgetStep, '--budget-step') } : {}),
        ...(early !== undefined ? { earlyToleranceMs: durationOf(early, '--early-tolerance') } : {}),
      };
      const session = await open();
      const progress = stderrProgress(io);
      progress({ phase: 'storage', done: 0, total: 1, detail: session.where });
      const answer = await session.service.backtest(request, progress);
      return flags.values.json === true ? `${JSON.stringify(backtestView(answer), null, 2)}\n` : renderBacktest(answer);
    },
  });
}
