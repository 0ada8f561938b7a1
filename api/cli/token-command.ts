import { parseDurationMs } from '../../engine/core/time/duration.ts';
import { ConfigError, optionsHelp, parseConfig } from '../../platform/config/sluice-config.ts';
import { errorMessage } from '../../platform/errors/sluice-error.ts';
import { ClickHouseTokenStore } from '../auth/clickhouse-token-store.ts';
import { ROLES } from '../auth/roles.ts';
import { DEFAULT_TOKEN_LIFETIME_MS, TokenAdmin, TokenInputError } from '../auth/token-admin.ts';
import { tokenStatus, type TokenRecord } from '../auth/token-store.ts';
import type { CliIo } from './cli-io.ts';
import { flagsHelp, parseCommandFlags, requiredFlag, stringFlag, UsageError, type FlagSpec } from './command-options.ts';
import { openOperatorStore } from './operator-store.ts';

const NAME: FlagSpec = { name: 'name', doc: 'token name, unique among tokens not revoked (create)' };
const ROLE: FlagSpec = { name: 'role', doc: `${ROLES.join(' | ')} (create; docs/api-security.md)` };
const FLAGS: FlagSpec[] = [
  NAME,
  ROLE,
  { name: 'team', repeatable: true, doc: 'a team the token acts for; repeat for several (create; required for team-owner)' },
  { name: 'expires', doc: `lifetime: 90d, 12h, 30m, or never (create; default ${DEFAULT_TOKEN_LIFETIME_MS / 86_400_000}d)` },
  { name: 'all', boolean: true, doc: 'list revoked tokens too (list)' },
  { name: 'json', boolean: true, doc: 'machine-readable output' },
];

export function tokenHelp(): string {
  return [
    'usage: sluice token create --name <name> --role <role> [--team <team>]… [--expires 90d|never] [--json]',
    '       sluice token list [--all] [--json]',
    '       sluice token revoke <id or name>',
    '',
    'Manages API bearer tokens directly in ClickHouse, as the local operator (audited as cli:<os user>).',
    '`create` prints the secret once on stdout (details on stderr): TOKEN=$(sluice token create …).',
    'Only its SHA-256 is stored. A revocation applies to running servers within 5 s.',
    'Exit codes: 0 done, 1 no such token or storage error, 2 bad arguments (e.g. an unknown role) or configuration.',
    '',
    'options:',
    flagsHelp(FLAGS),
    '',
    'storage options (as for `sluice start`; flag, environment variable):',
    optionsHelp().split('\n').filter((l) => /clickhouse|data-dir|log-level/i.test(l)).join('\n'),
    '',
  ].join('\n');
}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function listView(r: TokenRecord, nowMs: number) {
  return { id: r.id, name: r.name, role: r.role, teams: r.teams, status: tokenStatus(r, nowMs), createdAt: iso(r.createdAtMs), createdBy: r.createdBy, expiresAt: iso(r.expiresAtMs), revokedAt: iso(r.revokedAtMs), revokedBy: r.revokedBy || null };
}

/** `sluice token create | list | revoke`. Returns the exit code. */
export async function runTokenCommand(argv: string[], env: Readonly<Record<string, string | undefined>>, io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.length === 0) {
    io.out(tokenHelp());
    return argv.length === 0 ? 2 : 0;
  }
  let store;
  try {
    const flags = parseCommandFlags(argv, FLAGS, env, { passthrough: true });
    const [action, ...args] = flags.positional;
    if (action !== 'create' && action !== 'list' && action !== 'revoke') throw new UsageError(`unknown action ${JSON.stringify(action ?? '')}: use create, list or revoke`);
    if (action === 'revoke' && args.length !== 1) throw new UsageError('revoke takes one argument: the token id or name');
    if (action !== 'revoke' && args.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args[0])}`);
    const config = parseConfig(flags.passthrough, env);
    const json = flags.values.json === true;
    let expiresInMs: number | null | undefined;
    if (action === 'create') {
      const text = stringFlag(flags, 'expires');
      expiresInMs = text === undefined ? undefined : text === 'never' ? null : parseDurationMs(text);
      if (expiresInMs === undefined && text !== undefined) throw new UsageError(`option --expires must be a duration such as 90d, 12h or 30m, or never; got ${JSON.stringify(text)}`);
    }
    store = await openOperatorStore(config);
    const admin = new TokenAdmin({ store: new ClickHouseTokenStore(store.client), now: Date.now });
    const actor = { id: store.operator.id, name: store.operator.name, role: store.operator.role };
    if (action === 'list') {
      const nowMs = Date.now();
      const tokens = (await admin.list()).filter((r) => flags.values.all === true || r.revokedAtMs === null).map((r) => listView(r, nowMs));
      if (json) io.out(`${JSON.stringify(tokens, null, 2)}\n`);
      else if (tokens.length === 0) io.err(`no tokens in ${store.where}${flags.values.all ? '' : ' (--all to include revoked ones)'}\n`);
      else io.out(`${table([['ID', 'NAME', 'ROLE', 'TEAMS', 'STATUS', 'CREATED', 'EXPIRES', 'CREATED BY'], ...tokens.map((t) => [t.id, t.name, t.role, t.teams.join(',') || '-', t.status, t.createdAt, t.expiresAt, t.createdBy])])}\n`);
      return 0;
    }
    if (action === 'create') {
      const input = { name: requiredFlag(flags, NAME), role: requiredFlag(flags, ROLE), teams: (flags.values.team as string[] | undefined) ?? [], expiresInMs };
      const auditInput = { name: input.name, role: input.role, teams: input.teams, expires: stringFlag(flags, 'expires') ?? null };
      try {
        const { record, secret } = await admin.create(input, store.operator);
        await store.audit.append({ actor, operation: 'cli.token.create', input: auditInput, outcome: 'ok', detail: `token ${record.id} created` });
        if (json) {
          io.out(`${JSON.stringify({ token: listView(record, Date.now()), secret }, null, 2)}\n`);
        } else {
          io.err(`token ${record.id} created: name ${record.name}, role ${record.role}, teams ${record.teams.join(',') || '-'}, expires ${iso(record.expiresAtMs)} (${store.where})\n`);
          io.err('the secret below is shown once and stored only as a hash: keep it now\n');
          io.out(`${secret}\n`);
        }
        return 0;
      } catch (err) {
        if (err instanceof TokenInputError) await store.audit.append({ actor, operation: 'cli.token.create', input: auditInput, outcome: 'error', detail: `${err.code}: ${err.message}` });
        throw err;
      }
    }
    const target = args[0]!;
    try {
      const revoked = await admin.revoke(target, store.operator);
      await store.audit.append({ actor, operation: 'cli.token.revoke', input: { id: target }, outcome: 'ok', detail: `token ${revoked.id} revoked` });
      io.err(`token ${revoked.id} (${revoked.name}) revoked; running servers refuse it within 5 s\n`);
      return 0;
    } catch (err) {
      if (err instanceof TokenInputError) await store.audit.append({ actor, operation: 'cli.token.revoke', input: { id: target }, outcome: 'error', detail: `${err.code}: ${err.message}` });
      throw err;
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || (err instanceof TokenInputError && !err.notFound)) {
      io.err(`sluice token: ${err.message}\n(run \`sluice token --help\`)\n`);
      return 2;
    }
    io.err(`sluice token: ${errorMessage(err)}\n`);
    return 1;
  } finally {
    await store?.close();
  }
}
