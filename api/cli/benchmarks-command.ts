import { errorMessage } from '../../platform/errors/sluice-error.ts';
import { API_CLIENT_FLAGS, ApiClient, apiClientOptions } from './api-client.ts';
import type { CliIo } from './cli-io.ts';
import { flagsHelp, parseCommandFlags, requiredFlag, stringFlag, UsageError, type FlagSpec } from './command-options.ts';

/**
 * `sluice benchmarks`: the `benchmarks` query (docs/dora.md) exported for analysts — CSV
 * (one row per group for the whole period, then one per group and month), JSON (the
 * query's answer as it is) or a readable table. Exit 0, or 3 when sluice could not answer.
 */

const FROM: FlagSpec = { name: 'from', doc: 'period start: a date (2025-01-01), an ISO time, or epoch ms (inclusive)' };
const TO: FlagSpec = { name: 'to', doc: 'period end, exclusive (same forms)' };
const FLAGS: FlagSpec[] = [
  { name: 'team', repeatable: true, doc: 'rows of this team only (repeatable; default every team); percentiles are among all teams' },
  FROM,
  TO,
  { name: 'env', doc: 'environment (default production)' },
  { name: 'group-by', doc: 'team or service (default team)' },
  { name: 'compare-from', doc: 'start of an earlier period to compare with' },
  { name: 'compare-to', doc: 'end of that period' },
  { name: 'format', doc: 'csv, json or table (default table)' },
  ...API_CLIENT_FLAGS,
];

export function benchmarksHelp(): string {
  return [
    'usage: sluice benchmarks --from <date> --to <date> [--team <t>]… [--env production] [--group-by team|service]',
    '                         [--compare-from <date> --compare-to <date>] [--format csv|json|table] [--url …] [--token …]',
    '',
    'DORA four keys per team (or service), the DORA 2023 cluster, the percentile among peers,',
    'monthly trends and, with --compare-*, the change against an earlier period (docs/dora.md).',
    'CSV: one row per group for the period (month "all"), then one per group and month; durations in ms.',
    '',
    'options (flag, environment variable):',
    flagsHelp(FLAGS),
    '',
  ].join('\n');
}

const KEYS = `from to periodDays deployments failedAttempts rollbackDeploys
  deploymentFrequency { perDay perWeek deployDays bucket }
  leadTime { samples excluded medianMs p90Ms bucket }
  changeFailureRate { failed deployments ratio ciLow ciHigh }
  recoveryTime { samples excluded medianMs p90Ms bucket }`;

export const BENCHMARKS_QUERY = `query Benchmarks($environment: String, $from: EpochMs!, $to: EpochMs!, $groupBy: BenchmarkGrouping, $groups: [String!], $compareFrom: EpochMs, $compareTo: EpochMs) {
  benchmarks(environment: $environment, from: $from, to: $to, groupBy: $groupBy, groups: $groups, compareFrom: $compareFrom, compareTo: $compareTo) {
    from to environment groupBy minDeployments minPeers
    reference { report clusters { level deploymentFrequency leadTime changeFailureRate recoveryTime share } }
    rows {
      group services
      keys { ${KEYS} }
      cluster { level limitedBy reason }
      percentile { deploymentFrequency leadTime changeFailureRate recoveryTime overall }
      percentileReason peers
      trend { month from to keys { ${KEYS} } }
      comparison { key unit before after change relativeChange ciLow ciHigh pValue method assessment explanation }
    }
    unattributed { kind id service environment at reason }
  }
}`;

interface Keys {
  periodDays: number;
  deployments: number;
  failedAttempts: number;
  rollbackDeploys: number;
  deploymentFrequency: { perDay: number; deployDays: number; bucket: string };
  leadTime: { samples: number; medianMs: number | null; p90Ms: number | null; bucket: string | null };
  changeFailureRate: { failed: number; deployments: number; ratio: number | null; ciLow: number | null; ciHigh: number | null };
  recoveryTime: { samples: number; excluded: number; medianMs: number | null; p90Ms: number | null; bucket: string | null };
}

interface Row {
  group: string;
  services: string[];
  keys: Keys;
  cluster: { level: string | null; limitedBy: string[]; reason: string };
  percentile: Record<'deploymentFrequency' | 'leadTime' | 'changeFailureRate' | 'recoveryTime' | 'overall', number | null> | null;
  percentileReason: string | null;
  peers: number;
  trend: { month: string; keys: Keys }[];
  comparison: { key: string; change: number | null; pValue: number | null; assessment: string }[] | null;
}

export interface BenchmarksAnswer {
  from: number;
  to: number;
  environment: string;
  groupBy: string;
  reference: { report: string };
  rows: Row[];
}

/** A time flag: YYYY-MM-DD (UTC midnight), an ISO time, or epoch ms. */
export function parseTimeFlag(name: string, text: string): number {
  if (/^\d{1,16}$/.test(text)) return Number(text);
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms)) throw new UsageError(`--${name} must be a date (2025-01-01), an ISO time or epoch ms, got ${JSON.stringify(text)}`);
  return ms;
}

/** RFC 4180 field: quoted when it holds a comma, quote or line break. */
function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const CSV_COLUMNS = [
  'group', 'month', 'services', 'period_days', 'deployments', 'failed_attempts', 'rollback_deploys',
  'deploys_per_day', 'deploy_days', 'frequency_bucket',
  'lead_time_samples', 'lead_time_median_ms', 'lead_time_p90_ms', 'lead_time_bucket',
  'failed_deployments', 'change_failure_rate', 'change_failure_rate_ci_low', 'change_failure_rate_ci_high',
  'recoveries', 'unrecovered', 'recovery_median_ms', 'recovery_p90_ms', 'recovery_bucket',
  'cluster', 'cluster_limited_by', 'cluster_reason',
  'percentile_overall', 'percentile_deployment_frequency', 'percentile_lead_time', 'percentile_change_failure_rate', 'percentile_recovery_time', 'percentile_reason', 'peers',
  'change_vs_compare', 'cluster_report',
] as const;

function keyFields(k: Keys): unknown[] {
  return [
    k.periodDays, k.deployments, k.failedAttempts, k.rollbackDeploys,
    k.deploymentFrequency.perDay, k.deploymentFrequency.deployDays, k.deploymentFrequency.bucket,
    k.leadTime.samples, k.leadTime.medianMs, k.leadTime.p90Ms, k.leadTime.bucket,
    k.changeFailureRate.failed, k.changeFailureRate.ratio, k.changeFailureRate.ciLow, k.changeFailureRate.ciHigh,
    k.recoveryTime.samples, k.recoveryTime.excluded, k.recoveryTime.medianMs, k.recoveryTime.p90Ms, k.recoveryTime.bucket,
  ];
}

/** The CSV export: a header, one row per group (month `all`), then one per group and month. */
export function benchmarksCsv(b: BenchmarksAnswer): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of b.rows) {
    const p = r.percentile;
    const comparison = r.comparison?.map((c) => `${c.key} ${c.assessment}${c.pValue === null ? '' : ` p=${c.pValue.toPrecision(3)}`}`).join('; ') ?? '';
    lines.push([r.group, 'all', r.services.join(' '), ...keyFields(r.keys), r.cluster.level, r.cluster.limitedBy.join(' '), r.cluster.reason,
      p?.overall, p?.deploymentFrequency, p?.leadTime, p?.changeFailureRate, p?.recoveryTime, r.percentileReason, r.peers, comparison, b.reference.report].map(csvField).join(','));
  }
  for (const r of b.rows) {
    for (const m of r.trend) lines.push([r.group, m.month, r.services.join(' '), ...keyFields(m.keys), '', '', '', '', '', '', '', '', '', r.peers, '', b.reference.report].map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

const fmt = (ms: number | null) => (ms === null ? '-' : ms >= 86_400_000 ? `${(ms / 86_400_000).toFixed(1)} d` : ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)} h` : `${(ms / 60_000).toFixed(0)} min`);

/** A readable table, one line per group. */
export function benchmarksTable(b: BenchmarksAnswer): string {
  const rows = [
    ['GROUP', 'DEPLOYS', 'PER DAY', 'LEAD (MEDIAN)', 'CFR', 'RECOVERY (MEDIAN)', 'CLUSTER', 'PERCENTILE'],
    ...b.rows.map((r) => [
      r.group, String(r.keys.deployments), r.keys.deploymentFrequency.perDay.toFixed(2), fmt(r.keys.leadTime.medianMs),
      r.keys.changeFailureRate.ratio === null ? '-' : `${(r.keys.changeFailureRate.ratio * 100).toFixed(1)} %`, fmt(r.keys.recoveryTime.medianMs),
      r.cluster.level ?? '-', r.percentile?.overall == null ? `- (${r.percentileReason ?? 'none'})` : r.percentile.overall.toFixed(0),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
  return [`benchmarks ${b.environment}, ${new Date(b.from).toISOString()} – ${new Date(b.to).toISOString()}, by ${b.groupBy.toLowerCase()} (clusters: ${b.reference.report})`, '', ...table, ''].join('\n');
}

export async function runBenchmarksCommand(argv: string[], env: Readonly<Record<string, string | undefined>>, io: CliIo, fetchImpl: typeof fetch = fetch): Promise<number> {
  if (argv.includes('--help')) {
    io.out(benchmarksHelp());
    return 0;
  }
  try {
    const flags = parseCommandFlags(argv, FLAGS, env, { passthrough: false });
    if (flags.positional.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(flags.positional[0])}`);
    const format = stringFlag(flags, 'format') ?? 'table';
    if (!['csv', 'json', 'table'].includes(format)) throw new UsageError(`--format must be csv, json or table, got ${JSON.stringify(format)}`);
    const groupBy = (stringFlag(flags, 'group-by') ?? 'team').toUpperCase();
    if (groupBy !== 'TEAM' && groupBy !== 'SERVICE') throw new UsageError(`--group-by must be team or service, got ${JSON.stringify(stringFlag(flags, 'group-by'))}`);
    const compareFrom = stringFlag(flags, 'compare-from');
    const compareTo = stringFlag(flags, 'compare-to');
    if ((compareFrom === undefined) !== (compareTo === undefined)) throw new UsageError('--compare-from and --compare-to go together');
    const teams = flags.values.team as string[] | undefined;
    const variables = {
      environment: stringFlag(flags, 'env') ?? 'production',
      from: parseTimeFlag('from', requiredFlag(flags, FROM)),
      to: parseTimeFlag('to', requiredFlag(flags, TO)),
      groupBy,
      groups: teams ?? null,
      compareFrom: compareFrom === undefined ? null : parseTimeFlag('compare-from', compareFrom),
      compareTo: compareTo === undefined ? null : parseTimeFlag('compare-to', compareTo),
    };
    const client = new ApiClient(apiClientOptions(flags), fetchImpl);
    const data = await client.request<{ benchmarks: BenchmarksAnswer }>(BENCHMARKS_QUERY, variables);
    io.out(format === 'json' ? `${JSON.stringify(data.benchmarks, null, 2)}\n` : format === 'csv' ? benchmarksCsv(data.benchmarks) : benchmarksTable(data.benchmarks));
    return 0;
  } catch (err) {
    io.err(`sluice benchmarks: ${errorMessage(err)}${err instanceof UsageError ? '\n(run `sluice benchmarks --help`)' : ''}\n`);
    return 3;
  }
}
