import { readFile } from 'node:fs/promises';
import { ClickHouseHistoryStore } from '../../engine/adapters/clickhouse-history-store.ts';
import { sloFromText, timeOf } from '../../engine/adapters/history-inputs.ts';
import type { Slo } from '../../engine/core/slo/slo-definition.ts';
import type { HistoryProgress } from '../../engine/adapters/slo-history-service.ts';
import { SloHistoryService } from '../../engine/adapters/slo-history-service.ts';
import { SOURCE_PREFERENCES, type SourcePreference } from '../../engine/adapters/slo-history-loader.ts';
import { ConfigError, optionsHelp, parseConfig, type SluiceConfig } from '../../platform/config/sluice-config.ts';
import { errorMessage, SluiceError } from '../../platform/errors/sluice-error.ts';
import type { CliIo } from './cli-io.ts';
import { flagsHelp, parseCommandFlags, requiredFlag, stringFlag, UsageError, type FlagSpec, type ParsedFlags } from './command-options.ts';
import { openOperatorStore } from './operator-store.ts';

/**
 * What `sluice backtest | tune | targets | report` share: the storage they read (as the
 * local operator, like `sluice token`: CLICKHOUSE_URL, or the embedded data directory),
 * progress on stderr, plain tables on stdout, and one way to report failures
 * (exit 2: bad arguments or input, 1: storage or other errors).
 */

export const SOURCE_FLAG: FlagSpec = { name: 'source', doc: `where minutes come from: ${SOURCE_PREFERENCES.join(' | ')} (default auto; docs/history.md)` };
export const JSON_FLAG: FlagSpec = { name: 'json', boolean: true, doc: 'print the answer as JSON (the GraphQL shape) instead of tables' };

/** Help lines for the storage options a history command passes through to the configuration. */
export function storageHelp(): string {
  return optionsHelp().split('\n').filter((l) => /clickhouse|data-dir|slo-dir|log-level/i.test(l)).join('\n');
}

export interface HistorySession {
  service: SloHistoryService;
  config: SluiceConfig;
  where: string;
  close(): Promise<void>;
}

/** Opens the storage named by the passed-through options. */
export async function openHistory(flags: ParsedFlags, env: Readonly<Record<string, string | undefined>>): Promise<HistorySession> {
  const config = parseConfig(flags.passthrough, env);
  const store = await openOperatorStore(config);
  return { service: new SloHistoryService({ store: new ClickHouseHistoryStore(store.client) }), config, where: store.where, close: () => store.close() };
}

/** Progress lines on stderr: `[phase] detail (done/total)`, with the time since the command started. */
export function stderrProgress(io: CliIo, startedAtMs = performance.now()): HistoryProgress {
  return (p) => io.err(`[${((performance.now() - startedAtMs) / 1000).toFixed(1)} s] ${p.phase}${p.total > 1 ? ` ${p.done}/${p.total}` : ''}${p.detail ? `: ${p.detail}` : ''}\n`);
}

export async function readTextFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${what}: cannot read ${path}: ${errorMessage(err)}`);
  }
}

export function sourceFlag(flags: ParsedFlags): SourcePreference {
  const v = stringFlag(flags, 'source') ?? 'auto';
  if (!(SOURCE_PREFERENCES as readonly string[]).includes(v)) throw new UsageError(`--source must be one of ${SOURCE_PREFERENCES.join(', ')}, got ${JSON.stringify(v)}`);
  return v as SourcePreference;
}

/** A time flag (ISO date/time or epoch ms), or `fallback` when absent. */
export function timeFlag(flags: ParsedFlags, name: string, fallback?: number): number {
  const v = stringFlag(flags, name);
  if (v === undefined) {
    if (fallback === undefined) throw new UsageError(`option --${name} is required`);
    return fallback;
  }
  return timeOf(v, `--${name}`);
}

/** Left-aligned columns, two spaces apart. */
export function table(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

export const iso = (ms: number | null | undefined): string => (ms == null ? '-' : new Date(ms).toISOString().replace(/:\d\d\.\d{3}Z$/, 'Z').replace('T', ' '));
export const pct = (r: number | null | undefined, digits = 1): string => (r == null ? 'n/a' : `${(r * 100).toFixed(digits)} %`);
export const minutes = (ms: number | null | undefined): string => (ms == null ? '-' : `${(ms / 60_000).toFixed(0)} min`);

/** Exit code and message of a failure: 2 for what the caller can fix in the command line or its files. */
export function failure(io: CliIo, command: string, err: unknown): number {
  const usage = err instanceof UsageError || err instanceof ConfigError || (err instanceof SluiceError && err.code.startsWith('HISTORY_'));
  io.err(`sluice ${command}: ${errorMessage(err)}${usage ? `\n(run \`sluice ${command} --help\`)` : ''}\n`);
  return usage ? 2 : 1;
}

/** The help of a history command: usage, what it does, its options, then the storage options. */
export function historyHelp(usage: string, about: readonly string[], flags: readonly FlagSpec[]): string {
  return [
    usage,
    '',
    ...about,
    'Exit codes: 0 done, 1 storage or other error, 2 bad arguments or input.',
    '',
    'options:',
    flagsHelp(flags),
    '',
    'storage options (as for `sluice start`; flag, environment variable):',
    storageHelp(),
    '',
  ].join('\n');
}

/**
 * Runs a history command (backtest, tune, targets, report): `--help`, its flags parsed
 * strictly (no positional arguments), `run` with a way to open the store — closed afterwards
 * whatever happens — printing what `run` returns, and failures as exit codes (`failure`).
 */
export async function runHistoryCommand(o: {
  name: string;
  argv: string[];
  env: Readonly<Record<string, string | undefined>>;
  io: CliIo;
  help: () => string;
  flags: readonly FlagSpec[];
  run: (flags: ParsedFlags, open: () => Promise<HistorySession>) => Promise<string>;
}): Promise<number> {
  if (o.argv.includes('--help')) {
    o.io.out(o.help());
    return 0;
  }
  let session: HistorySession | undefined;
  try {
    const flags = parseCommandFlags(o.argv, o.flags, o.env, { passthrough: true });
    if (flags.positional.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(flags.positional[0])}`);
    o.io.out(await o.run(flags, async () => (session = await openHistory(flags, o.env))));
    return 0;
  } catch (err) {
    return failure(o.io, o.name, err);
  } finally {
    await session?.close();
  }
}

/** The SLO of a required `--slo <file>` flag (YAML or JSON, one sluice/v1 SLO document). */
export async function sloFileFlag(flags: ParsedFlags, spec: FlagSpec): Promise<Slo> {
  const file = requiredFlag(flags, spec);
  return sloFromText(await readTextFile(file, `--${spec.name}`), file).slo;
}
