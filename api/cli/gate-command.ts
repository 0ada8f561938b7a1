import { errorMessage } from '../../platform/errors/sluice-error.ts';
import { GATE_SELECTION, GateDecisionSchema, type GateCheck, type GateDecision, type GateVerdict } from '../graphql/gate-contract.ts';
import { API_CLIENT_FLAGS, ApiClient, apiClientOptions } from './api-client.ts';
import type { CliIo } from './cli-io.ts';
import { flagsHelp, parseCommandFlags, requiredFlag, stringFlag, UsageError, type FlagSpec } from './command-options.ts';

/** Exit code per verdict: a pipeline step passes on 0 and fails otherwise; 3 = sluice could not answer. */
export const GATE_EXIT_CODES: Record<GateVerdict, number> = { PASS: 0, WARN: 0, FAIL: 1, INCONCLUSIVE: 2 };
export const GATE_ERROR_EXIT_CODE = 3;

/**
 * The exit code of a decision: its verdict's, except an INCONCLUSIVE that does not block
 * (the environment's policy says `inconclusive: pass`) exits 0 — the verdict is still
 * printed as INCONCLUSIVE.
 */
export function gateExitCode(d: Pick<GateDecision, 'verdict' | 'blocking'>): number {
  return d.verdict === 'INCONCLUSIVE' && !d.blocking ? 0 : GATE_EXIT_CODES[d.verdict];
}

const SERVICE: FlagSpec = { name: 'service', doc: 'service to release' };
const ENV: FlagSpec = { name: 'env', doc: 'environment it goes to, e.g. production' };
const VERSION: FlagSpec = { name: 'version', doc: 'version being released' };
const FLAGS: FlagSpec[] = [
  SERVICE,
  ENV,
  VERSION,
  { name: 'baseline-version', doc: 'version to compare with (canary analysis; default: none, or the one serving now where the policy requires a baseline)' },
  { name: 'json', boolean: true, doc: 'print the decision as JSON instead of a table' },
  ...API_CLIENT_FLAGS,
];

export function gateHelp(): string {
  return [
    'usage: sluice gate --service <s> --env <e> --version <v> [--baseline-version <b>] [--json] [--url …] [--token …] [--timeout 30s]',
    '',
    'Asks the sluice API for a release gate verdict and prints every check behind it.',
    'Exit codes: 0 PASS or WARN, 1 FAIL, 2 INCONCLUSIVE — or 0 when the environment\'s policy lets INCONCLUSIVE pass',
    '(the decision then says "not blocking"),',
    '3 error (API unreachable, token refused, bad arguments) — a pipeline never mistakes an error for a pass.',
    '',
    'options (flag, environment variable):',
    flagsHelp(FLAGS),
    '',
  ].join('\n');
}

const GATE_QUERY = `query Gate($service: String!, $environment: String!, $version: String!, $baselineVersion: String) {
  gate(service: $service, environment: $environment, version: $version, baselineVersion: $baselineVersion) { ${GATE_SELECTION} }
}`;

function formatNumber(value: number | null, unit: string | null): string {
  if (value === null) return '-';
  const n = Number.isInteger(value) ? String(value) : value.toPrecision(4).replace(/\.?0+$/, '');
  return unit === 'ms' ? `${n} ms` : unit === 'ratio' || unit === null ? n : `${n} ${unit}`;
}

function freshness(c: GateCheck): string {
  const lag = c.freshness.lagMs === null ? '' : ` (lag ${c.freshness.lagMs < 1000 ? `${Math.round(c.freshness.lagMs)} ms` : `${Math.round(c.freshness.lagMs / 1000)} s`})`;
  return c.freshness.fresh ? `fresh${lag}` : `STALE${lag}${c.freshness.reason ? `: ${c.freshness.reason}` : ''}`;
}

/** The decision as a readable report: header, summary and one row per check. */
export function renderGateDecision(d: GateDecision): string {
  const rows = [
    ['CHECK', 'STATUS', 'OBSERVED', 'THRESHOLD', 'WINDOW', 'FRESHNESS', 'EXPLANATION'],
    ...d.checks.map((c) => [
      c.name, c.blocking || c.status === 'PASS' ? c.status : `${c.status} (advisory)`, formatNumber(c.observed, c.unit),
      c.threshold === null ? '-' : `${c.comparator ?? ''} ${formatNumber(c.threshold, c.unit)}`.trim(),
      c.window.length, freshness(c), c.explanation,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
  return [
    `gate ${d.service} → ${d.environment}, version ${d.version}${d.baselineVersion ? ` (baseline ${d.baselineVersion})` : ''}: ${d.verdict}${d.verdict === 'INCONCLUSIVE' ? (d.blocking ? ' (blocking)' : ' (not blocking: the policy lets INCONCLUSIVE pass)') : ''}`,
    `  ${d.summary}`,
    `  decision ${d.decisionId}, policy ${d.policyVersion}, decided ${new Date(d.decidedAt).toISOString()}`,
    '',
    ...(d.checks.length > 0 ? table : ['  (no checks)']),
    '',
  ].join('\n');
}

/** `sluice gate`. Returns the exit code: 0 PASS/WARN (and a non-blocking INCONCLUSIVE), 1 FAIL, 2 INCONCLUSIVE, 3 error. */
export async function runGateCommand(argv: string[], env: Readonly<Record<string, string | undefined>>, io: CliIo, fetchImpl: typeof fetch = fetch): Promise<number> {
  if (argv.includes('--help')) {
    io.out(gateHelp());
    return 0;
  }
  try {
    const flags = parseCommandFlags(argv, FLAGS, env, { passthrough: false });
    if (flags.positional.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(flags.positional[0])}`);
    const variables = {
      service: requiredFlag(flags, SERVICE),
      environment: requiredFlag(flags, ENV),
      version: requiredFlag(flags, VERSION),
      baselineVersion: stringFlag(flags, 'baseline-version') ?? null,
    };
    const client = new ApiClient(apiClientOptions(flags), fetchImpl);
    const data = await client.request<{ gate: unknown }>(GATE_QUERY, variables);
    const parsed = GateDecisionSchema.safeParse(data.gate);
    if (!parsed.success) {
      io.err(`sluice gate: the API's answer does not fit the gate contract (api/graphql/gate-contract.ts): ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n`);
      return GATE_ERROR_EXIT_CODE;
    }
    io.out(flags.values.json === true ? `${JSON.stringify(parsed.data, null, 2)}\n` : renderGateDecision(parsed.data));
    return gateExitCode(parsed.data);
  } catch (err) {
    io.err(`sluice gate: ${errorMessage(err)}${err instanceof UsageError ? '\n(run `sluice gate --help`)' : ''}\n`);
    return GATE_ERROR_EXIT_CODE;
  }
}
