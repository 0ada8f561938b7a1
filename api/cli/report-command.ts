import { loadSloDirectory } from '../../engine/adapters/slo-directory-loader.ts';
import { monthRange } from '../../engine/adapters/history-inputs.ts';
import { renderReviewMarkdown } from '../../engine/core/history/review-report.ts';
import type { Slo } from '../../engine/core/slo/slo-definition.ts';
import type { CliIo } from './cli-io.ts';
import { stringFlag, UsageError, type FlagSpec } from './command-options.ts';
import { SOURCE_FLAG, sourceFlag, stderrProgress, timeFlag, historyHelp, runHistoryCommand } from './history-cli.ts';

const FLAGS: FlagSpec[] = [
  { name: 'team', doc: 'the SLOs whose metadata.labels.team is this' },
  { name: 'slo', repeatable: true, doc: 'an SLO by name; repeat for several (with --team: both must hold)' },
  { name: 'month', doc: 'a UTC month, YYYY-MM (or --from and --to)' },
  { name: 'from', doc: 'start: ISO date/time (UTC) or epoch ms' },
  { name: 'to', doc: 'end' },
  { name: 'format', doc: 'markdown (default) or json' },
  SOURCE_FLAG,
];

export function reportHelp(): string {
  return historyHelp(
    'usage: sluice report (--team <team> | --slo <name>…) (--month YYYY-MM | --from <time> --to <time>) [--format markdown|json]',
    [
      'The SLO review report: per SLO over the period, attainment, budget consumed, breaches and their causes',
      '(slo_transitions), alerts and their noise, incidents, deploys and which of them burnt budget, and changes',
      'of the SLO definition (slo_definitions). SLOs come from the SLO directory (--slo-dir, SLUICE_SLO_DIR) and',
      'the definitions sluice recorded. Progress on stderr. docs/history.md',
    ],
    FLAGS,
  );
}

/** `sluice report`. Returns the exit code. */
export async function runReportCommand(argv: string[], env: Readonly<Record<string, string | undefined>>, io: CliIo): Promise<number> {
  return runHistoryCommand({
    name: 'report', argv, env, io, help: reportHelp, flags: FLAGS,
    run: async (flags, open) => {
      const team = stringFlag(flags, 'team');
      const names = flags.values.slo as string[] | undefined;
      if (team === undefined && names === undefined) throw new UsageError('give --team or --slo');
      const month = stringFlag(flags, 'month');
      const period = month !== undefined ? monthRange(month) : (() => {
        const fromMs = timeFlag(flags, 'from');
        const toMs = timeFlag(flags, 'to');
        return { fromMs, toMs, label: `${new Date(fromMs).toISOString().slice(0, 10)} – ${new Date(toMs).toISOString().slice(0, 10)}` };
      })();
      const format = stringFlag(flags, 'format') ?? 'markdown';
      if (format !== 'markdown' && format !== 'json') throw new UsageError(`--format must be markdown or json, got ${JSON.stringify(format)}`);
      const source = sourceFlag(flags);
      const session = await open();
      // the directory's SLOs first, then those only recorded (removed or not in this directory)
      const chosen = new Map<string, { slo: Slo; team: string }>();
      const dir = await loadSloDirectory(session.config.sloDir);
      for (const e of dir.errors) io.err(`sluice report: skipping ${e.file}${e.documentIndex !== undefined ? ` (document ${e.documentIndex + 1})` : ''}: ${e.message}\n`);
      for (const p of dir.slos) chosen.set(p.slo.name, { slo: p.slo, team: p.definition.metadata.labels?.team ?? '' });
      for (const d of await session.service.recordedDefinitions()) if (!chosen.has(d.slo.name)) chosen.set(d.slo.name, { slo: d.slo, team: d.team });
      const slos = [...chosen.values()].filter((s) => (team === undefined || s.team === team) && (names === undefined || names.includes(s.slo.name))).sort((a, b) => a.slo.name.localeCompare(b.slo.name));
      if (slos.length === 0) throw new UsageError(`no SLO matches${team !== undefined ? ` team ${team}` : ''}${names ? ` and ${names.join(', ')}` : ''} in ${session.config.sloDir} or the recorded definitions`);
      const report = await session.service.report({ slos, fromMs: period.fromMs, toMs: period.toMs, label: period.label, team, source }, stderrProgress(io));
      return format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderReviewMarkdown(report);
    },
  });
}
