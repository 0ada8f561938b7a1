import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAuditCommand } from '../../../api/cli/audit-command.ts';
import type { CliIo } from '../../../api/cli/cli-io.ts';
import { runEmbedded } from '../../../api/cli/embedded-mode.ts';
import { runTokenCommand } from '../../../api/cli/token-command.ts';
import { connectClickHouse, type ClickHouseClient } from '../../../platform/clickhouse/clickhouse-connection.ts';
import { parseConfig } from '../../../platform/config/sluice-config.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { services, uniqueName, waitFor } from '../../support/test-services.ts';

function capture(): CliIo & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

/**
 * `sluice start` with tokens in its ClickHouse (auth auto → required), tokens made and
 * revoked with the CLI, the audit chain verified and then tampered with in ClickHouse.
 */
describe('embedded mode with tokens: auth, limits and the audit chain against real ClickHouse', () => {
  const database = uniqueName('t_auth');
  const storage = () => ['--clickhouse-url', services().clickhouseUrl, '--clickhouse-user', services().clickhouseUser, '--clickhouse-password', services().clickhousePassword, '--clickhouse-database', database];
  const cli = async (run: typeof runTokenCommand, args: string[]) => {
    const io = capture();
    const code = await run([...args, ...storage()], {}, io);
    return { code, ...io };
  };
  const tokens: Record<string, string> = {};
  let app: Awaited<ReturnType<typeof runEmbedded>>;
  let clickhouse: ClickHouseClient;
  const graphql = async (query: string, token?: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers }, body: JSON.stringify({ query }) });
    return { status: res.status, body: (await res.json()) as { data?: Record<string, unknown>; errors?: { message: string; extensions: { code: string } }[] } };
  };

  beforeAll(async () => {
    for (const [name, role] of [['root', 'admin'], ['dash', 'viewer'], ['otel', 'ingest'], ['audit', 'auditor']]) {
      const r = await cli(runTokenCommand, ['create', '--name', name!, '--role', role!]);
      expect(r.code, r.stderr).toBe(0);
      tokens[role!] = r.stdout.trim();
    }
    const config = parseConfig(['--port', '0', '--no-simulate', '--slo-dir', 'examples/slos', ...storage()], {});
    app = await runEmbedded(config, silentLogger());
    clickhouse = await connectClickHouse({ url: services().clickhouseUrl, username: services().clickhouseUser, password: services().clickhousePassword, database });
  });
  afterAll(async () => {
    await app?.stop();
    await clickhouse?.close();
  });

  it('requires tokens because some exist: no token → 401 on GraphQL and ingest', async () => {
    const none = await graphql('{ health { version } }');
    expect(none.status).toBe(401);
    expect(none.body.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
    const ingest = await fetch(`${app.url}/ingest/spans`, { method: 'POST', body: '{}\n' });
    expect(ingest.status).toBe(401);
    const who = await graphql('{ whoami { name role authMode } }', tokens.viewer);
    expect(who.body.data).toEqual({ whoami: { name: 'dash', role: 'viewer', authMode: 'REQUIRED' } });
  });

  it('lets only ingest tokens reach the ingest handlers, and never a cross-site request', async () => {
    // an unknown signal is answered by the NDJSON handler itself (404): the request got past admission
    const post = (path: string, token: string, headers: Record<string, string> = {}) => fetch(`${app.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers }, body: '{}\n' });
    expect((await post('/ingest/nosuchsignal', tokens.viewer!)).status).toBe(403);
    expect((await post('/ingest/nosuchsignal', tokens.ingest!)).status).toBe(404);
    expect((await post('/v1/traces', tokens.viewer!, { 'content-type': 'text/plain' })).status).toBe(403);
    expect((await post('/v1/traces', tokens.ingest!, { 'content-type': 'text/plain' })).status).toBe(415);
    const crossSite = await post('/ingest/spans', tokens.ingest!, { 'content-type': 'text/plain', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.json()).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses a viewer each mutation, 300 aliases and an oversized body, each with its code', async () => {
    for (const m of ['mutation { createToken(input: {name: "x", role: "admin"}) { secret } }', 'mutation { revokeToken(id: "root") { id } }']) {
      expect((await graphql(m, tokens.viewer)).body.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    }
    const aliases = await graphql(`{ ${Array.from({ length: 300 }, (_, i) => `h${i}: health { version }`).join(' ')} }`, tokens.admin);
    expect(aliases.status).toBe(400);
    expect(aliases.body.errors?.[0]?.extensions.code).toBe('QUERY_TOO_COMPLEX');
    const big = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.admin}` }, body: JSON.stringify({ query: '{ whoami { name } }', pad: 'x'.repeat(300_000) }) });
    expect(big.status).toBe(413);
  });

  it('serves the console offline', async () => {
    const html = await (await fetch(`${app.url}/graphql`, { headers: { accept: 'text/html' } })).text();
    expect(html).toContain('sluice GraphQL console');
    expect(html.match(/https?:\/\//g)).toBeNull();
  });

  it('revokes with the CLI: the running server refuses the token within seconds', async () => {
    const temp = await cli(runTokenCommand, ['create', '--name', 'temp', '--role', 'viewer', '--expires', '1h']);
    expect((await graphql('{ whoami { name } }', temp.stdout.trim())).status).toBe(200);
    const revoke = await cli(runTokenCommand, ['revoke', 'temp']);
    expect(revoke.code, revoke.stderr).toBe(0);
    await waitFor(async () => (await graphql('{ whoami { name } }', temp.stdout.trim())).status === 401, 10_000, 'revocation to apply');
    const list = await cli(runTokenCommand, ['list', '--all', '--json']);
    expect((JSON.parse(list.stdout) as { name: string; status: string }[]).find((t) => t.name === 'temp')?.status).toBe('revoked');
  });

  it('keeps a verifiable audit chain, and `sluice audit verify` names an entry altered in ClickHouse', async () => {
    const created = await graphql('mutation { createToken(input: {name: "ci-main", role: "ci"}) { token { id } } }', tokens.admin);
    expect(created.body.errors).toBeUndefined();
    await graphql('mutation { revokeToken(id: "ci-main") { status } }', tokens.admin);
    const ok = await cli(runAuditCommand, ['verify']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/: OK, every chain verifies/);
    const log = await graphql('{ auditLog(first: 50) { edges { node { chain seq operation outcome actor { id role } } } } }', tokens.auditor);
    type Node = { chain: string; seq: number; operation: string; outcome: string; actor: { id: string; role: string } };
    const nodes = (log.body.data as { auditLog: { edges: { node: Node }[] } }).auditLog.edges.map((e) => e.node);
    expect(nodes.filter((n) => n.operation === 'cli.token.create').every((n) => n.actor.id.startsWith('cli:') && n.actor.role === 'operator')).toBe(true);
    const apiChain = nodes.find((n) => n.operation === 'Mutation.revokeToken' && n.outcome === 'ok')!.chain;
    expect(apiChain).toMatch(new RegExp(`^start@${hostname()}:0:\\d+/[0-9a-f]{8}$`));
    const revokeSeq = nodes.find((n) => n.chain === apiChain && n.operation === 'Mutation.revokeToken' && n.outcome === 'ok')!.seq;

    // the attacker: turn the revocation's outcome into a denial, directly in ClickHouse
    await clickhouse.command({
      query: 'ALTER TABLE audit_log UPDATE outcome = {outcome:String} WHERE chain = {chain:String} AND seq = {seq:UInt64}',
      query_params: { outcome: 'denied', chain: apiChain, seq: revokeSeq },
      clickhouse_settings: { mutations_sync: '2' },
    });
    const broken = await cli(runAuditCommand, ['verify']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`first broken link: chain ${apiChain} seq ${revokeSeq}: CONTENT_ALTERED`);
    expect(broken.stdout).toMatch(/a column of entry \d+ \(Mutation\.revokeToken, denied\) was changed after it was written/);
    const viaApi = await graphql('{ verifyAuditChain { ok breaks { chain seq kind } } }', tokens.auditor);
    expect(viaApi.body.data).toEqual({ verifyAuditChain: { ok: false, breaks: [{ chain: apiChain, seq: revokeSeq, kind: 'CONTENT_ALTERED' }] } });
  });
});

describe('embedded mode without tokens', () => {
  it('refuses to start open on a non-loopback address, naming the options', async () => {
    const config = parseConfig(['--host', '0.0.0.0', '--port', '0', '--no-simulate', '--clickhouse-url', services().clickhouseUrl, '--clickhouse-user', services().clickhouseUser,
      '--clickhouse-password', services().clickhousePassword, '--clickhouse-database', uniqueName('t_open')], {});
    await expect(runEmbedded(config, silentLogger())).rejects.toThrow(/SLUICE_HOST \(--host\) "0\.0\.0\.0" is not a loopback address and no API token exists/);
  });
});
