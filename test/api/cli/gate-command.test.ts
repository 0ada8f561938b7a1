import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../api/cli/cli-io.ts';
import { runGateCommand } from '../../../api/cli/gate-command.ts';
import { GATE_VERDICTS, type GateResolver, type GateVerdict } from '../../../api/graphql/gate-contract.ts';
import { startTestApi, type TestApi } from '../http/api-harness.ts';
import { gateDecision } from '../http/gate-fixtures.ts';

function capture(): CliIo & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * `sluice gate` against the real API (createApiRoutes on a loopback port: admission, token,
 * roles, audit, GraphQL) whose gate resolver is a test double answering the verdict asked.
 */
describe('sluice gate, against an in-process API', () => {
  let api: TestApi;
  let ciToken: string;
  let next: GateVerdict = 'PASS';
  const asked: unknown[] = [];
  const gate: GateResolver = async (args, caller) => {
    asked.push({ args, caller: caller.name });
    return gateDecision(next, { service: args.service, environment: args.environment, version: args.version, baselineVersion: args.baselineVersion ?? null });
  };
  beforeAll(async () => {
    api = await startTestApi({ gate });
    ciToken = await api.tokenFor('ci');
  });
  afterAll(async () => api.close());

  const run = (args: string[], env: Record<string, string> = { SLUICE_API_URL: api.url, SLUICE_TOKEN: ciToken }) => {
    const io = capture();
    return runGateCommand(args, env, io).then((code) => ({ code, ...io }));
  };
  const release = ['--service', 'checkout', '--env', 'production', '--version', '1.4.2'];

  it.each<[GateVerdict, number]>([['PASS', 0], ['WARN', 0], ['FAIL', 1], ['INCONCLUSIVE', 2]])('exits %s → %i and prints every check', async (verdict, exit) => {
    next = verdict;
    const r = await run([...release, '--baseline-version', '1.4.1']);
    expect(r.code, r.stderr).toBe(exit);
    expect(r.stdout).toContain(`gate checkout → production, version 1.4.2 (baseline 1.4.1): ${verdict}`);
    expect(r.stdout).toMatch(/CHECK\s+STATUS\s+OBSERVED\s+THRESHOLD\s+WINDOW\s+FRESHNESS\s+EXPLANATION/);
    expect(r.stdout).toContain('slo:checkout-availability');
    expect(r.stdout).toContain(`decision dec-${verdict.toLowerCase()}, policy policy@7d3a2f1`);
    expect(r.stdout).toContain(verdict === 'INCONCLUSIVE' ? 'STALE: no data since 11:02' : 'fresh (lag 4 s)');
  });

  it('prints the decision as JSON with --json, exactly as the contract defines it', async () => {
    next = 'FAIL';
    const r = await run([...release, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual(gateDecision('FAIL', { baselineVersion: null }));
    expect(asked.at(-1)).toEqual({ args: { service: 'checkout', environment: 'production', version: '1.4.2', baselineVersion: null }, caller: 'ci-1' });
  });

  it('records each decision in the audit log with the caller, verdict and decision id', async () => {
    next = 'WARN';
    await run(release);
    const entry = api.auditStore.entries.at(-1)!;
    expect(entry).toMatchObject({ operation: 'Query.gate', outcome: 'ok', actor: { name: 'ci-1', role: 'ci' }, detail: 'verdict=WARN decisionId=dec-warn policyVersion=policy@7d3a2f1' });
  });

  it('exits 3 when the API is unreachable, naming the option', async () => {
    const r = await run(release, { SLUICE_API_URL: `http://127.0.0.1:${await closedPort()}`, SLUICE_TOKEN: ciToken });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot reach the sluice API at http:\/\/127\.0\.0\.1:\d+\/graphql \(--url \/ SLUICE_API_URL\): ECONNREFUSED/);
  });

  it.each([
    ['no token', { }, /the API requires a token: set SLUICE_TOKEN or pass --token/],
    ['a bad token', { SLUICE_TOKEN: 'slc_000000000000_' + 'a'.repeat(43) }, /the API refused the token \(--token \/ SLUICE_TOKEN\): unknown or invalid token/],
  ])('exits 3 with %s', async (_case, env, message) => {
    const r = await run(release, { SLUICE_API_URL: api.url, ...env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(message);
  });

  it('exits 3 when the token may not ask for gates', async () => {
    const r = await run(release, { SLUICE_API_URL: api.url, SLUICE_TOKEN: await api.tokenFor('viewer') });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/may not do this: role viewer may not run Query.gate/);
  });

  it.each([
    [['--service', 'checkout', '--env', 'production'], /option --version is required/],
    [[...release, '--timeout', 'soon'], /--timeout \(SLUICE_API_TIMEOUT\) must be a duration/],
    [[...release, '--url', 'ftp://x'], /--url \(SLUICE_API_URL\) must be an http\(s\) URL/],
    [[...release, '--colour'], /unknown option --colour/],
  ])('exits 3 on bad arguments %j', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(message);
  });

  it('has an exit code for every verdict of the contract', () => {
    expect([...GATE_VERDICTS]).toEqual(['PASS', 'WARN', 'FAIL', 'INCONCLUSIVE']);
  });
});
