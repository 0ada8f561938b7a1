import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATE_SELECTION } from '../../api/graphql/gate-contract.ts';
import { TrafficSimulator } from '../../ingest/simulator/traffic-simulator.ts';
import { gateHarness } from '../engine/adapters/support/gate-harness.ts';
import { startGateApi } from './gate-api-harness.ts';

const START = Date.UTC(2026, 2, 2, 9, 0, 7);
const MINUTE = 60_000;

const GATE = `query Gate($service: String!, $environment: String!, $version: String!, $baselineVersion: String) {
  gate(service: $service, environment: $environment, version: $version, baselineVersion: $baselineVersion) { ${GATE_SELECTION} requestedBy policy { version content } }
}`;
const BY_ID = `query One($id: ID!) { gateDecision(id: $id) { ${GATE_SELECTION} requestedBy policy { version content } } }`;
const PAGE = `query Page($filter: GateDecisionFilter, $first: Int, $after: String) {
  gateDecisions(filter: $filter, first: $first, after: $after) { edges { cursor node { decisionId verdict version decidedAt } } pageInfo { hasNextPage endCursor } }
}`;

interface Decision { decisionId: string; verdict: string; version: string; decidedAt: number; blocking: boolean; policyVersion: string }

/**
 * The gate through the whole API — admission, token, roles, audit, GraphQL over HTTP and
 * graphql-ws — over a judge fed by the simulator for six minutes (checkout 1.2.0 is bad
 * from minute four and pages).
 */
describe('the gate API', () => {
  let h: Awaited<ReturnType<typeof gateHarness>>;
  let api: Awaited<ReturnType<typeof startGateApi>>;
  let ci: string;
  let viewer: string;
  const ask = async (version: string, extra: Record<string, unknown> = {}) => {
    const r = await api.graphql<{ gate: Decision & Record<string, unknown> }>(GATE, ci, { service: 'checkout', environment: 'production', version, ...extra });
    expect(r.errors).toBeUndefined();
    return r.data!.gate;
  };

  beforeAll(async () => {
    h = await gateHarness({ startMs: START });
    const sim = new TrafficSimulator({ seed: START });
    for (let t = START; t <= START + 6 * MINUTE; t += 500) h.feed(sim.tick(t), t);
    await h.settle();
    api = await startGateApi(h);
    ci = await api.tokenFor('ci');
    viewer = await api.tokenFor('viewer');
  }, 60_000);
  afterAll(async () => api?.close());

  it('shows a decision again exactly as it was made (gateDecision(id) equals what gate returned)', async () => {
    for (const version of ['1.2.0', '1.1.0', '9.9.9']) {
      const made = await ask(version);
      const again = await api.graphql<{ gateDecision: unknown }>(BY_ID, viewer, { id: made.decisionId });
      expect(again.errors).toBeUndefined();
      expect(again.data!.gateDecision).toEqual(made);
    }
  });

  it('answers FAIL for the bad release and PASS for the good one, naming the policy with its full content', async () => {
    const bad = await ask('1.2.0');
    const good = await ask('1.1.0');
    expect([bad.verdict, bad.blocking, good.verdict, good.blocking]).toEqual(['FAIL', true, 'PASS', false]);
    expect(bad.policy).toMatchObject({ version: bad.policyVersion });
    expect(JSON.parse((bad.policy as { content: string }).content)).toMatchObject({ apiVersion: 'sluice/v1', kind: 'GatePolicy', metadata: { name: 'production' } });
    expect(bad.requestedBy).toMatch(/^ci-\d+ \([0-9a-f]{12}\)$/);
  });

  it('stores each decision with its inputs: the SLO states read, their freshness and the per-version counts', async () => {
    const bad = await ask('1.2.0');
    const r = await api.graphql<{ gateDecision: { inputs: string } }>('query($id: ID!) { gateDecision(id: $id) { inputs } }', viewer, { id: bad.decisionId });
    const inputs = JSON.parse(r.data!.gateDecision.inputs) as { slos: { name: string; status: string; freshnessAtDecision: { fresh: boolean } }[]; versionCounts: { slo: string; versions: { version: string }[] }[]; policy: { version: string } };
    expect(inputs.slos.map((s) => [s.name, s.status, s.freshnessAtDecision.fresh])).toEqual([
      ['checkout-availability', 'BREACHED', true], ['checkout-journey', expect.any(String), true], ['checkout-latency', expect.any(String), true],
    ]);
    expect(inputs.versionCounts.find((c) => c.slo === 'checkout-availability')!.versions.map((v) => v.version)).toEqual(['1.1.0', '1.2.0']);
    expect(inputs.policy.version).toBe(bad.policyVersion);
  });

  it('writes an audit entry for every decision, naming its verdict, id and policy version', async () => {
    const made = await ask('1.1.0');
    const entry = api.auditStore.entries.at(-1)!;
    expect(entry).toMatchObject({ operation: 'Query.gate', outcome: 'ok', actor: { role: 'ci' }, detail: `verdict=PASS decisionId=${made.decisionId} policyVersion=${made.policyVersion}` });
  });

  it('refuses gate to a viewer and records the refusal, and lets a viewer read decisions', async () => {
    const r = await api.graphql(GATE, viewer, { service: 'checkout', environment: 'production', version: '1.1.0' });
    expect(r.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(api.auditStore.entries.at(-1)).toMatchObject({ operation: 'Query.gate', outcome: 'denied' });
    expect((await api.graphql(PAGE, viewer, { first: 1 })).errors).toBeUndefined();
  });

  it('pages through decisions newest first with filters and opaque cursors', async () => {
    h.clock.nowMs += 1_000; // these decisions alone from here on (the clock stands still within the test: ties are ordered by id)
    const made: Decision[] = [];
    for (const version of ['1.1.0', '1.2.0', '1.1.0', '1.2.0', '1.1.0']) made.push(await ask(version));
    const since = made[0]!.decidedAt;
    const seen: Decision[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const r: { data?: { gateDecisions: { edges: { cursor: string; node: Decision }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } } = await api.graphql(PAGE, viewer, { filter: { service: 'checkout', from: since }, first: 2, after });
      const conn = r.data!.gateDecisions;
      seen.push(...conn.edges.map((e) => e.node));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    const ids = seen.map((d) => d.decisionId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice(0, 5)).toEqual([...made].reverse().map((d) => d.decisionId).slice(0, 5));
    const failed = await api.graphql<{ gateDecisions: { edges: { node: Decision }[] } }>(PAGE, viewer, { filter: { verdict: 'FAIL', from: since }, first: 50 });
    expect(failed.data!.gateDecisions.edges.map((e) => e.node.version)).toEqual(['1.2.0', '1.2.0']);
    const foreign = Buffer.from(JSON.stringify({ v: 1, k: 'auditLog', key: { atMs: 1, chain: 'x', seq: 1 } })).toString('base64url');
    expect((await api.graphql(PAGE, viewer, { after: foreign })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await api.graphql(PAGE, viewer, { first: 501 })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('answers NOT_FOUND for an unknown decision id, and BAD_USER_INPUT for a baseline equal to the version', async () => {
    expect((await api.graphql(BY_ID, viewer, { id: 'gd_nope' })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await api.graphql(GATE, ci, { service: 'checkout', environment: 'production', version: '1.1.0', baselineVersion: '1.1.0' })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('lists the policies in force with their versions', async () => {
    const r = await api.graphql<{ gatePolicies: { version: string; environments: string[] }[] }>('{ gatePolicies { version environments } }', viewer);
    expect(r.data!.gatePolicies.map((p) => p.environments)).toEqual([['*'], ['production'], ['staging', 'qa']]);
  });

  it('pushes each decision to graphql-ws subscribers as it is made', async () => {
    const client = createClient({ url: `${api.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${viewer}` } });
    const received: { decisionId: string; verdict: string }[] = [];
    const done = new Promise<void>((resolve, reject) => {
      client.subscribe<{ gateDecisions: { decisionId: string; verdict: string } }>(
        { query: 'subscription { gateDecisions(service: "checkout") { decisionId verdict } }' },
        { next: (m) => void received.push(m.data!.gateDecisions), error: reject, complete: resolve },
      );
    });
    done.catch(() => undefined);
    for (let i = 0; i < 50 && api.feed.metrics.subscribers === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const made = [await ask('1.2.0'), await ask('1.1.0')];
    for (let i = 0; i < 100 && received.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(received).toEqual(made.map((d) => ({ decisionId: d.decisionId, verdict: d.verdict })));
    await client.dispose();
    await done.catch(() => undefined);
  });
});
