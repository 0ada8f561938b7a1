import { ConfigError, optionsHelp, parseConfig } from '../../platform/config/sluice-config.ts';
import { errorMessage } from '../../platform/errors/sluice-error.ts';
import { verifyAuditEntries, type AuditVerification } from '../audit/audit-chain-verifier.ts';
import { ClickHouseAuditStore } from '../audit/clickhouse-audit-store.ts';
import type { CliIo } from './cli-io.ts';
import { flagsHelp, parseCommandFlags, UsageError, type FlagSpec } from './command-options.ts';
import { openOperatorStore } from './operator-store.ts';

const FLAGS: FlagSpec[] = [{ name: 'json', boolean: true, doc: 'print the verification as JSON (breaks and every chain head)' }];

export function auditHelp(): string {
  return [
    'usage: sluice audit verify [--json]',
    '',
    'Recomputes every hash chain of the audit log (ClickHouse table audit_log) and names the',
    'first broken link of each broken chain: its sequence number and what differs (content',
    'altered, link to the previous entry, missing or duplicated entries). Also prints each',
    "chain's head (last seq and hash): keep it elsewhere to detect a later truncation.",
    'Exit codes: 0 every chain verifies, 1 a chain is broken, 2 usage or configuration error, 3 storage error.',
    '',
    'options:',
    flagsHelp(FLAGS),
    '',
    'storage options (as for `sluice start`; flag, environment variable):',
    optionsHelp().split('\n').filter((l) => /clickhouse|data-dir|log-level/i.test(l)).join('\n'),
    '',
  ].join('\n');
}

/** The human report of a verification. */
export function renderVerification(v: AuditVerification, where: string): string {
  const lines = [`audit log in ${where}: ${v.entries} entr${v.entries === 1 ? 'y' : 'ies'} in ${v.chains} chain${v.chains === 1 ? '' : 's'}: ${v.ok ? 'OK, every chain verifies' : `BROKEN (${v.breaks.length} chain${v.breaks.length === 1 ? '' : 's'})`}`];
  for (const b of v.breaks) lines.push(`  first broken link: chain ${b.chain} seq ${b.seq}: ${b.kind}: ${b.detail}`);
  if (v.heads.length > 0) lines.push('  chain heads (chain, last seq, hash):');
  for (const h of v.heads) lines.push(`    ${h.chain}  ${h.seq}  ${h.hash}`);
  return `${lines.join('\n')}\n`;
}

/** `sluice audit verify`. Returns the exit code. */
export async function runAuditCommand(argv: string[], env: Readonly<Record<string, string | undefined>>, io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.length === 0) {
    io.out(auditHelp());
    return argv.length === 0 ? 2 : 0;
  }
  let store;
  try {
    const flags = parseCommandFlags(argv, FLAGS, env, { passthrough: true });
    if (flags.positional.length !== 1 || flags.positional[0] !== 'verify') throw new UsageError(`unknown action ${JSON.stringify(flags.positional.join(' '))}: use verify`);
    const config = parseConfig(flags.passthrough, env);
    store = await openOperatorStore(config);
    const v = await verifyAuditEntries(new ClickHouseAuditStore(store.client).scan());
    if (flags.values.json === true) io.out(`${JSON.stringify(v, null, 2)}\n`);
    else io.out(renderVerification(v, store.where));
    return v.ok ? 0 : 1;
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      io.err(`sluice audit: ${err.message}\n(run \`sluice audit --help\`)\n`);
      return 2;
    }
    io.err(`sluice audit: ${errorMessage(err)}\n`);
    return 3;
  } finally {
    await store?.close();
  }
}
