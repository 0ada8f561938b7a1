import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../api/cli/cli-io.ts';
import { runClusterApi } from '../../../api/cli/cluster-modes.ts';
import { runEmbedded } from '../../../api/cli/embedded-mode.ts';
import { runGateCommand } from '../../../api/cli/gate-command.ts';
import { runTokenCommand } from '../../../api/cli/token-command.ts';
import { connectClickHouse, type ClickHouseClient } from '../../../platform/clickhouse/clickhouse-connection.ts';
import { parseConfig } from '../../../platform/config/sluice-config.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { availabilitySloYaml, sloDirectory } from '../../support/slo-files.ts';
import { spanJson } from '../../support/span-fixtures.ts';
import { countRows, services, uniqueName, waitFor } from '../../support/test-services.ts';

function capture(): CliIo & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

const MINUTE = 60_000;

/**
 * `sluice gate` against a running `sluice start` (real ClickHouse, tokens required, the
 * example policies) whose SLO state comes from spans sent through the HTTP ingest endpoint
 * — the real pipeline and judge, no stubbed resolver — once per verdict, with its exit
 * code; then the same questions to a `sluice api` (cluster mode) reading slo_state and
 * slo_definitions from the same database.
 */
describe('sluice gate against a running server with real SLO state', () => {
  const database = uniqueName('t_gate_cli');
  const storage = () => ['--clickhouse-url', services().clickhouseUrl, '--clickhouse-user', services().clickhouseUser, '--clickhouse-password', services().clickhousePassword, '--clickhouse-database', database];
  let app: Awaited<ReturnType<typeof runEmbedded>> | undefined;
  let clusterApi: Awaited<ReturnType<typeof runClusterApi>> | undefined;
  let clickhouse: ClickHouseClient;
  const tokens: Record<string, string> = {};

  const gate = async (url: string, args: string[], token = tokens.ci!) => {
    const io = capture();
    const code = await runGateCommand([...args, '--json'], { SLUICE_API_URL: url, SLUICE_TOKEN: token }, io);
    return { code, ...io, decision: code === 3 ? undefined : (JSON.parse(io.stdout) as { verdict: string; blocking: boolean; decisionId: string; summary: string; checks: { name: string; status: string }[] }) };
  };
  const release = (service: string, env = 'production') => ['--service', service, '--env', env, '--version', '1.4.2'];

  beforeAll(async () => {
    for (const [name, role] of [['ci-live', 'ci'], ['ingest-live', 'ingest'], ['dash-live', 'viewer']] as const) {
      const io = capture();
      expect(await runTokenCommand(['create', '--name', name, '--role', role, ...storage()], {}, io), io.stderr).toBe(0);
      tokens[role] = io.stdout.trim();
    }
    const sloDir = sloDirectory(Object.fromEntries(['pass-svc', 'warn-svc', 'fail-svc', 'thin-svc'].map((s) => [`${s}.yaml`, availabilitySloYaml(`${s}-availability`, s, { minEvents: 100 })])));
    const config = parseConfig(['--port', '0', '--no-simulate', '--slo-dir', sloDir, '--policy-dir', 'examples/policies', ...storage(),
      '--batch-max-delay-ms', '100', '--allowed-lateness-ms', '1000', '--idle-source-ms', '1000'], {});
    app = await runEmbedded(config, silentLogger());
    clickhouse = await connectClickHouse({ url: services().clickhouseUrl, username: services().clickhouseUser, password: services().clickhousePassword, database });

    // eight minutes of traffic that ended a minute ago, version 1.4.2 everywhere: 3 000 requests a service with
    // 0 (pass), 12 = 4× burn at 99.9 % (a ticket, below the 6× page), 150 = 50× (a page) failures; 30 requests (too few)
    const now = Date.now();
    const from = now - 9 * MINUTE;
    const traffic = (service: string, n: number, failEvery: number) => Array.from({ length: n }, (_, i) => spanJson(i, {
      service, version: '1.4.2', startTimeMs: from + Math.floor((i * 8 * MINUTE) / n), error: failEvery > 0 && i % failEvery === failEvery - 1,
    }));
    const lines = [...traffic('pass-svc', 3_000, 0), ...traffic('warn-svc', 3_000, 250), ...traffic('fail-svc', 3_000, 20), ...traffic('thin-svc', 30, 0)];
    const res = await fetch(`${app.url}/ingest/spans`, { method: 'POST', headers: { authorization: `Bearer ${tokens.ingest}` }, body: lines.map((l) => JSON.stringify(l)).join('\n') });
    expect(res.status).toBe(200);
    // the judge evaluates once every minute boundary up to now is past its lateness
    await waitFor(async () => {
      const r = await fetch(`${app!.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.viewer}` }, body: JSON.stringify({ query: '{ slos { name status evaluation { at } } }' }) });
      const body = (await r.json()) as { data?: { slos: { name: string; status: string; evaluation: { at: number } | null }[] } };
      return (body.data?.slos ?? []).length === 4 && body.data!.slos.every((s) => (s.evaluation?.at ?? 0) >= now - MINUTE);
    }, 60_000, 'every SLO evaluated up to the last minute');
  }, 120_000);
  afterAll(async () => {
    await clusterApi?.stop();
    await app?.stop();
    await clickhouse?.close();
  });

  it.each<[string, string, string, number, string]>([
    ['PASS', 'pass-svc', 'production', 0, 'budget:pass-svc-availability'],
    ['WARN', 'warn-svc', 'production', 0, 'alerts:warn-svc-availability'],
    ['FAIL', 'fail-svc', 'production', 1, 'alerts:fail-svc-availability'],
    ['INCONCLUSIVE', 'thin-svc', 'production', 2, 'budget:thin-svc-availability'],
  ])('answers %s for %s in %s with exit code %i, and shows the same decision by id', async (verdict, service, env, exit, deciding) => {
    const r = await gate(app!.url, release(service, env));
    expect(r.code, r.stderr || r.decision?.summary).toBe(exit);
    expect(r.decision!.verdict).toBe(verdict);
    expect(r.decision!.checks.find((c) => c.name === deciding)!.status).toBe(verdict);
    const again = await fetch(`${app!.url}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.viewer}` },
      body: JSON.stringify({ query: 'query($id: ID!) { gateDecision(id: $id) { decisionId verdict blocking summary } }', variables: { id: r.decision!.decisionId } }),
    });
    expect(((await again.json()) as { data: { gateDecision: unknown } }).data.gateDecision).toEqual({ decisionId: r.decision!.decisionId, verdict, blocking: r.decision!.blocking, summary: r.decision!.summary });
  });

  it('exits 0 for an INCONCLUSIVE that the environment\'s policy lets pass (staging), saying it does not block', async () => {
    const io = capture();
    const code = await runGateCommand(release('pass-svc', 'staging'), { SLUICE_API_URL: app!.url, SLUICE_TOKEN: tokens.ci! }, io);
    expect(code, io.stderr).toBe(0);
    expect(io.stdout).toContain('gate pass-svc → staging, version 1.4.2: INCONCLUSIVE (not blocking: the policy lets INCONCLUSIVE pass)');
    expect(io.stdout).toMatch(/no SLO covers pass-svc in staging/);
    expect(io.stdout).toMatch(/policy staging\.yaml@sha256:[0-9a-f]{16}/);
  });

  it('stores every decision in gate_decisions with its policy version, recorded in policy_versions', async () => {
    await waitFor(async () => (await countRows(clickhouse, 'SELECT count() FROM gate_decisions FINAL')) >= 5, 10_000, 'decisions stored');
    const orphans = await countRows(clickhouse, 'SELECT count() FROM gate_decisions FINAL WHERE policy_version NOT IN (SELECT version FROM policy_versions)');
    expect(orphans).toBe(0);
    expect(await countRows(clickhouse, "SELECT count() FROM audit_log WHERE operation = 'Query.gate' AND outcome = 'ok'")).toBeGreaterThanOrEqual(5);
  });

  it('gives the same verdicts from `sluice api` (cluster mode), which reads slo_state and slo_definitions', async () => {
    const config = parseConfig(['--port', '0', '--policy-dir', 'examples/policies', ...storage()], {});
    clusterApi = await runClusterApi(config, silentLogger());
    for (const [service, verdict, exit] of [['pass-svc', 'PASS', 0], ['warn-svc', 'WARN', 0], ['fail-svc', 'FAIL', 1], ['thin-svc', 'INCONCLUSIVE', 2]] as const) {
      const r = await gate(clusterApi.url, release(service));
      expect([r.decision?.verdict, r.code], r.stderr || r.decision?.summary).toEqual([verdict, exit]);
    }
  });
});
