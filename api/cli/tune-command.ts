import { durationOf } from '../../engine/adapters/history-inputs.ts';
import type { TuneAnswer } from '../../engine/adapters/slo-history-service.ts';
import type { AlertRule } from '../../engine/core/alerting/alert-rules.ts';
import type { WindowPair } from '../../engine/core/history/threshold-sweep.ts';
import { formatDurationMs } from '../../engine/core/time/duration.ts';
import { tuneView } from '../graphql/history-views.ts';
import type { CliIo } from './cli-io.ts';
import { stringFlag, UsageError, type FlagSpec } from './command-options.ts';
import { iso, JSON_FLAG, minutes, pct, SOURCE_FLAG, sourceFlag, stderrProgress, table, timeFlag, historyHelp, runHistoryCommand, sloFileFlag } from './history-cli.ts';

const SLO: FlagSpec = { name: 'slo', doc: 'SLO file (YAML or JSON, one sluice/v1 SLO document)' };
const FLAGS: FlagSpec[] = [
  SLO,
  { name: 'from', doc: 'start: ISO date/time (UTC) or epoch ms' },
  { name: 'to', doc: 'end (default now)' },
  { name: 'windows', doc: 'window pairs long/short, comma-separated (default 1h/5m,6h/30m,1d/2h,3d/6h)' },
  { name: 'burn-rates', doc: 'burn-rate thresholds, comma-separated (default 1,1.5,2,3,4,6,8,10,14.4,20,30,50)' },
  { name: 'max-points', doc: 'most grid points replayed (default 200; the grid is thinned evenly beyond it)' },
  { name: 'max-pages-per-week', doc: 'pages a week the recommendation may cost (default 1)' },
  { name: 'all', boolean: true, doc: 'print every grid point, not only the Pareto front' },
  SOURCE_FLAG,
  JSON_FLAG,
];

export function tuneHelp(): string {
  return historyHelp(
    'usage: sluice tune --slo <file> --from <time> [--to <time>] [--windows 1h/5m,6h/30m] [--burn-rates 2,6,14.4] [--max-points 200] [--max-pages-per-week 1] [--all] [--json]',
    [
      'Sweeps page rules over a grid of window pairs and burn-rate thresholds on stored history, scores each',
      "against the service's incidents, and prints the Pareto front of pages a week, median detection delay",
      'and recall, with a recommended rule set and why. Progress on stderr. docs/history.md',
    ],
    FLAGS,
  );
}

const ruleText = (r: AlertRule) => `${r.burnRateThreshold}× ${formatDurationMs(r.longWindowMs)}/${formatDurationMs(r.shortWindowMs)}`;

/** The front (or every point) as a table, then the recommendation and why. */
export function renderTuning(a: TuneAnswer, all = false): string {
  const points = all ? [...a.points].sort((x, y) => x.score.alertsPerWeek - y.score.alertsPerWeek) : a.front;
  const rec = a.recommended;
  return [
    `tuning page rules of ${a.slo.name} on ${iso(a.fromMs)} – ${iso(a.toMs)}: ${a.points.length} grid points, ${a.incidents} incidents`,
    '',
    table([['RULE', 'PAGES/WEEK', 'MEDIAN DELAY', 'RECALL', 'PRECISION', 'PAGES', 'NOISE', 'MISSED', 'PARETO'], ...points.map((p) => [
      ruleText(p.rule), p.score.alertsPerWeek.toFixed(2), minutes(p.score.medianDetectionDelayMs), pct(p.score.recall, 0), pct(p.score.precision, 0),
      String(p.score.alerts), String(p.score.noiseAlerts), String(p.score.missedIncidents), p.pareto ? 'yes' : '',
    ])]),
    '',
    rec === undefined ? 'no recommendation: the grid was empty' : `recommended: ${rec.rules.map(ruleText).join(' + ')}`,
    ...(rec?.why.map((w) => `  ${w}`) ?? []),
    ...a.skipped.map((s) => `skipped: ${s}`),
    ...a.data.limits.map((l) => `limit: ${l}`),
    '',
  ].join('\n');
}

function windowPairs(text: string): WindowPair[] {
  return text.split(',').map((pair) => {
    const [long, short] = pair.trim().split('/');
    if (long === undefined || short === undefined) throw new UsageError(`--windows: ${JSON.stringify(pair)} is not long/short (e.g. 1h/5m)`);
    return { longWindowMs: durationOf(long, '--windows'), shortWindowMs: durationOf(short, '--windows') };
  });
}

function numbers(text: string, what: string): number[] {
  return text.split(',').map((v) => {
    const n = Number(v.trim());
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${what}: ${JSON.stringify(v)} is not a positive number`);
    return n;
  });
}

/** `sluice tune`. Returns the exit code. */
export async function runTuneCommand(argv: string[], env: Readonly<Record<string, string | undefined>>, io: CliIo): Promise<number> {
  return runHistoryCommand({
    name: 'tune', argv, env, io, help: tuneHelp, flags: FLAGS,
    run: async (flags, open) => {
      const slo = await sloFileFlag(flags, SLO);
      const windows = stringFlag(flags, 'windows');
      const burnRates = stringFlag(flags, 'burn-rates');
      const maxPoints = stringFlag(flags, 'max-points');
      const maxPages = stringFlag(flags, 'max-pages-per-week');
      const request = {
        slo, fromMs: timeFlag(flags, 'from'), toMs: timeFlag(flags, 'to', Date.now()), source: sourceFlag(flags),
        grid: {
          ...(windows !== undefined ? { windows: windowPairs(windows) } : {}),
          ...(burnRates !== undefined ? { burnRates: numbers(burnRates, '--burn-rates') } : {}),
          ...(maxPoints !== undefined ? { maxPoints: Math.round(numbers(maxPoints, '--max-points')[0]!) } : {}),
        },
        ...(maxPages !== undefined ? { maxPagesPerWeek: numbers(maxPages, '--max-pages-per-week')[0]! } : {}),
      };
      const session = await open();
      const answer = await session.service.tune(request, stderrProgress(io));
      return flags.values.json === true ? `${JSON.stringify(tuneView(answer), null, 2)}\n` : renderTuning(answer, flags.values.all === true);
    },
  });
}
