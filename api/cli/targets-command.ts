import { durationOf } from '../../engine/adapters/history-inputs.ts';
import type { TargetsAnswer } from '../../engine/adapters/slo-history-service.ts';
import { targetsView } from '../graphql/history-views.ts';
import type { CliIo } from './cli-io.ts';
import { stringFlag, UsageError, type FlagSpec } from './command-options.ts';
import { iso, JSON_FLAG, pct, SOURCE_FLAG, sourceFlag, stderrProgress, table, timeFlag, historyHelp, runHistoryCommand, sloFileFlag } from './history-cli.ts';

const SLO: FlagSpec = { name: 'slo', doc: 'SLO file (YAML or JSON, one sluice/v1 SLO document)' };
const FLAGS: FlagSpec[] = [
  SLO,
  { name: 'at', doc: 'now for the forecast, and the end of the history read (default now)' },
  { name: 'lookback', doc: 'history read before --at (default 400d)' },
  { name: 'share', doc: 'share of past windows the recommended target must have met, ratio (default 0.9)' },
  { name: 'burn-window', doc: 'window of the current burn for the forecast (default 1d)' },
  SOURCE_FLAG,
  JSON_FLAG,
];

export function targetsHelp(): string {
  return historyHelp(
    'usage: sluice targets --slo <file> [--at <time>] [--lookback 400d] [--share 0.9] [--burn-window 1d] [--json]',
    [
      'From stored history: the attainment of every past compliance window, the target met in a share of them,',
      'a recommended target with its reasoning, and when the budget runs out at the current burn. docs/history.md',
    ],
    FLAGS,
  );
}

export function renderTargets(a: TargetsAnswer): string {
  return [
    `targets of ${a.slo.name} (now ${pct(a.slo.target, 3)}) from ${a.windows.length} past windows, as of ${iso(a.atMs)}`,
    '',
    table([['MET IN', 'TARGET'], ...a.met.map((m) => [`${Math.round(m.share * 100)} % of windows`, m.target === null ? 'n/a' : pct(m.target, 3)])]),
    '',
    `recommended: ${a.recommendation.target === null ? 'none' : pct(a.recommendation.target, 3)}`,
    ...a.recommendation.reasoning.map((r) => `  ${r}`),
    '',
    `budget: ${pct(a.forecast.remainingRatio)} left; burn ${a.forecast.burnRate.toFixed(2)}× over the last ${a.forecast.burnWindow}`,
    `exhaustion: ${a.forecast.statement}`,
    ...a.data.limits.map((l) => `limit: ${l}`),
    '',
  ].join('\n');
}

/** `sluice targets`. Returns the exit code. */
export async function runTargetsCommand(argv: string[], env: Readonly<Record<string, string | undefined>>, io: CliIo): Promise<number> {
  return runHistoryCommand({
    name: 'targets', argv, env, io, help: targetsHelp, flags: FLAGS,
    run: async (flags, open) => {
      const slo = await sloFileFlag(flags, SLO);
      const share = stringFlag(flags, 'share');
      const shareValue = share === undefined ? undefined : Number(share);
      if (shareValue !== undefined && !(shareValue > 0 && shareValue <= 1)) throw new UsageError(`--share must be a ratio in (0, 1], got ${JSON.stringify(share)}`);
      const lookback = stringFlag(flags, 'lookback');
      const burnWindow = stringFlag(flags, 'burn-window');
      const request = {
        slo, atMs: timeFlag(flags, 'at', Date.now()), source: sourceFlag(flags),
        ...(lookback !== undefined ? { lookbackMs: durationOf(lookback, '--lookback') } : {}),
        ...(shareValue !== undefined ? { share: shareValue } : {}),
        ...(burnWindow !== undefined ? { burnWindow } : {}),
      };
      const session = await open();
      const answer = await session.service.targets(request, stderrProgress(io));
      return flags.values.json === true ? `${JSON.stringify(targetsView(answer), null, 2)}\n` : renderTargets(answer);
    },
  });
}
