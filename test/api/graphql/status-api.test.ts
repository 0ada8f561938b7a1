import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../../api/auth/principal.ts';
import { UnavailableDeployReportSink } from '../../../engine/adapters/deploy-report-sink.ts';
import { StaticSloDirectory } from '../../../engine/adapters/slo-definition-directory.ts';
import { entry, snapshot, startStatusApi, type StatusApi } from './status-harness.ts';

const MIN = 60_000;
const T = 1_767_225_600_000; // 2026-01-01T00:00:00Z, a whole minute

let api: StatusApi;
let viewer: Principal;
let ci: Principal;

beforeAll(async () => {
  api = await startStatusApi({
    directory: new StaticSloDirectory([
      entry('checkout-availability', { team: 'payments' }),
      entry('checkout-latency', { team: 'payments', indicator: 'latency' }),
      entry('search-availability', { team: 'discovery', service: 'search' }),
      entry('search-staging', { service: 'search', environment: 'staging' }),
      entry('batch-availability', { service: 'batch', tier: 'best-effort' }),
    ]),
  });
  await api.states.save([
    snapshot('checkout-availability', { status: 'BREACHED', attainment: 0.99 }),
    snapshot('checkout-latency', { status: 'OK', attainment: 0.9995 }),
    snapshot('search-availability', { service: 'search', status: 'WARNING' }),
    snapshot('search-staging', { service: 'search', environment: 'staging', status: 'UNKNOWN' }),
    snapshot('batch-availability', { service: 'batch', tier: 'best-effort', status: 'OK' }),
  ]);
  viewer = await api.caller('viewer');
  ci = await api.caller('ci');
});
afterAll(async () => api.close());

const names = (r: Awaited<ReturnType<StatusApi['run']>>, field: string) =>
  ((r.data?.[field] as { edges: { node: { name: string } }[] }).edges).map((e) => e.node.name);

describe('sloStatuses and slos(filter): SLOs with attainment, budget, burn rates, state and freshness, filtered', () => {
  it('pages by name with opaque cursors, every SLO once, with totalCount on every page', async () => {
    const q = 'query($after: String) { sloStatuses(first: 2, after: $after) { totalCount edges { cursor node { name team status evaluation { attainment budget { remainingRatio } burnRates { window burnRate } } freshness { fresh watermarkLagMs } } } pageInfo { hasNextPage endCursor } } }';
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page++) {
      const r = await api.run(q, viewer, { after });
      expect(r.errors).toBeUndefined();
      const conn = r.data!.sloStatuses as { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string } };
      expect(conn.totalCount).toBe(5);
      seen.push(...names(r, 'sloStatuses'));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seen).toEqual(['batch-availability', 'checkout-availability', 'checkout-latency', 'search-availability', 'search-staging']);
    const first = await api.run('{ sloStatuses(first: 2) { edges { node { name team evaluation { attainment burnRates { burnRate } } } } } }', viewer);
    expect((first.data!.sloStatuses as { edges: { node: unknown }[] }).edges[1]!.node).toEqual({ name: 'checkout-availability', team: 'payments', evaluation: { attainment: 0.99, burnRates: [{ burnRate: 10 }] } });
  });

  it.each([
    ['team', '{team: ["payments"]}', ['checkout-availability', 'checkout-latency']],
    ['two teams', '{team: ["payments", "discovery"]}', ['checkout-availability', 'checkout-latency', 'search-availability']],
    ['service', '{service: ["search"]}', ['search-availability', 'search-staging']],
    ['environment', '{environment: ["staging"]}', ['search-staging']],
    ['tier', '{tier: ["best-effort"]}', ['batch-availability']],
    ['state', '{status: [BREACHED, WARNING]}', ['checkout-availability', 'search-availability']],
    ['all at once', '{team: ["payments"], service: ["checkout"], environment: ["production"], tier: ["critical"], status: [OK]}', ['checkout-latency']],
  ])('filters by %s', async (_what, filter, expected) => {
    const paged = await api.run(`{ sloStatuses(filter: ${filter.replace(/\b(BREACHED|WARNING|OK)\b/g, '"$1"')}) { totalCount edges { node { name } } } }`, viewer);
    expect(paged.errors).toBeUndefined();
    expect(names(paged, 'sloStatuses')).toEqual(expected);
    const listed = await api.run(`{ slos(filter: ${filter.replace(/\b(BREACHED|WARNING|OK)\b/g, '"$1"')}) { name } }`, viewer);
    expect((listed.data!.slos as { name: string }[]).map((s) => s.name)).toEqual(expected);
  });

  it('an SLO whose definition names no team has team null and matches no team filter', async () => {
    const r = await api.run('{ slos(filter: {service: ["batch"]}) { name team } }', viewer);
    expect(r.data!.slos).toEqual([{ name: 'batch-availability', team: null }]);
  });

  it.each([
    ['an unknown tier', '{ sloStatuses(filter: {tier: ["gold"]}) { totalCount } }', 'filter.tier'],
    ['an empty list', '{ slos(filter: {team: []}) { name } }', 'filter.team'],
    ['a cursor of another list', '{ sloStatuses(after: "eyJ2IjoxLCJrIjoidG9rZW5zIiwia2V5IjoiYSJ9") { totalCount } }', 'after'],
    ['first out of bounds', '{ sloStatuses(first: 0) { totalCount } }', 'first'],
  ])('refuses %s with BAD_USER_INPUT naming the argument', async (_what, query, argument) => {
    const r = await api.run(query, viewer);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
  });
});

describe('sliSeries bounds: refused with BAD_USER_INPUT naming the argument, never clamped', () => {
  it.each([
    ['from not a whole minute', { from: T + 1_000, to: T + 60 * MIN }, 'from'],
    ['to not a whole minute', { from: T, to: T + 60 * MIN + 1 }, 'to'],
    ['to before from', { from: T + 60 * MIN, to: T }, 'to'],
    ['to equal to from', { from: T, to: T }, 'to'],
    ['more than 1440 points', { from: T, to: T + 1_441 * MIN }, 'stepMinutes'],
    ['a zero step', { from: T, to: T + 60 * MIN, stepMinutes: 0 }, 'stepMinutes'],
    ['a range over 400 days', { from: T - 401 * 86_400_000, to: T, stepMinutes: 1_000 }, 'from'],
  ])('%s', async (_what, vars, argument) => {
    const r = await api.run('query($from: EpochMs!, $to: EpochMs!, $stepMinutes: Int) { sliSeries(slo: "checkout-availability", from: $from, to: $to, stepMinutes: $stepMinutes) { total } }', viewer, vars);
    expect(r.data).toBeNull();
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
  });

  it('names the step that fits when there are too many points', async () => {
    const r = await api.run(`{ sliSeries(slo: "checkout-availability", from: ${T}, to: ${T + 2 * 86_400_000}) { total } }`, viewer);
    expect(r.errors?.[0]?.message).toMatch(/2880 points, more than 1440: use stepMinutes ≥ 2/);
  });

  it('answers NOT_FOUND for an SLO nobody knows', async () => {
    const r = await api.run(`{ sliSeries(slo: "nope", from: ${T}, to: ${T + MIN}) { total } }`, viewer);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', argument: 'slo' });
  });
});

describe('breachHistory and releaseSlis argument checks', () => {
  it.each([
    ['an unknown basis', '{ breachHistory(filter: {basis: ["sideways"]}) { pageInfo { hasNextPage } } }', 'filter.basis'],
    ['an empty status list', '{ breachHistory(filter: {status: []}) { pageInfo { hasNextPage } } }', 'filter.status'],
    ['to not after from', `{ breachHistory(filter: {from: ${T}, to: ${T}}) { pageInfo { hasNextPage } } }`, 'filter.to'],
    ['first over 500', '{ breachHistory(first: 501) { pageInfo { hasNextPage } } }', 'first'],
    ['a release range not in whole minutes', `{ releaseSlis(service: "checkout", from: ${T + 5}, to: ${T + MIN}) { pageInfo { hasNextPage } } }`, 'from'],
    ['an empty version list', `{ releaseSlis(service: "checkout", from: ${T}, to: ${T + MIN}, versions: []) { pageInfo { hasNextPage } } }`, 'versions'],
  ])('refuses %s', async (_what, query, argument) => {
    const r = await api.run(query, viewer);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
  });
});

const STARTED = `mutation($input: DeployStartedInput!) { reportDeployStarted(input: $input) { deployId phase status startedAt finishedAt destination truncated } }`;
const FINISHED = `mutation($input: DeployFinishedInput!) { reportDeployFinished(input: $input) { deployId phase status startedAt finishedAt destination } }`;
const BUILD = `mutation($input: BuildMetricsInput!) { reportBuildMetrics(input: $input) { service version reportId testCoverage benchmarks { name value unit } reportedBy } }`;

function started(o: Record<string, unknown> = {}) {
  const now = Date.now();
  return { deployId: 'd-1', service: 'checkout', version: '1.4.2', commitSha: 'ABCDEF1234', commitTimeMs: now - 3_600_000, startedAtMs: now - 60_000, ...o };
}

describe('reportDeployStarted / reportDeployFinished: the deploys contract, through the sink', () => {
  it('hands a started deploy to the sink as a contract event without finishedAtMs, then the finished one', async () => {
    const s = await api.run(STARTED, ci, { input: started({ attributes: [{ key: 'pipeline', value: 'gitlab#42' }] }) });
    expect(s.errors).toBeUndefined();
    expect(s.data!.reportDeployStarted).toMatchObject({ deployId: 'd-1', phase: 'started', status: null, finishedAt: null, destination: 'memory', truncated: [] });
    const event = api.deploys.events.at(-1)!;
    expect(event).toMatchObject({ deployId: 'd-1', service: 'checkout', environment: 'production', version: '1.4.2', status: 'succeeded', strategy: 'rolling', emergency: false, attributes: { pipeline: 'gitlab#42' } });
    expect(event.finishedAtMs).toBeUndefined();

    const input = { ...started(), finishedAtMs: Date.now(), status: 'rolled_back', strategy: 'canary' };
    const f = await api.run(FINISHED, ci, { input });
    expect(f.errors).toBeUndefined();
    expect(f.data!.reportDeployFinished).toMatchObject({ phase: 'finished', status: 'rolled_back', finishedAt: input.finishedAtMs });
    expect(api.deploys.events.at(-1)).toMatchObject({ status: 'rolled_back', strategy: 'canary', finishedAtMs: input.finishedAtMs });
    // audited by the field guard
    const audited = api.audit.entries.filter((e) => e.operation.startsWith('Mutation.reportDeploy'));
    expect(audited.map((e) => [e.operation, e.outcome, e.actor.role])).toEqual([['Mutation.reportDeployStarted', 'ok', 'ci'], ['Mutation.reportDeployFinished', 'ok', 'ci']]);
  });

  it.each([
    ['a commit that is not hex', STARTED, started({ commitSha: 'not-a-sha' }), 'input.commitSha'],
    ['an empty service', STARTED, started({ service: ' ' }), 'input.service'],
    ['an unknown strategy', STARTED, started({ strategy: 'yolo' }), 'input.strategy'],
    ['a start far in the future', STARTED, started({ startedAtMs: Date.now() + 3_600_000 }), 'input.startedAtMs'],
    ['a start before 2000', STARTED, started({ startedAtMs: 1_000 }), 'input.startedAtMs'],
    ['an attribute given twice', STARTED, started({ attributes: [{ key: 'a', value: '1' }, { key: 'a', value: '2' }] }), 'input.attributes.1.key'],
    ['an unknown status', FINISHED, { ...started(), finishedAtMs: Date.now(), status: 'exploded' }, 'input.status'],
    ['a finish before the start', FINISHED, { ...started(), finishedAtMs: Date.now() - 3_600_000, status: 'succeeded' }, 'input.finishedAtMs'],
  ])('refuses %s with BAD_USER_INPUT and the field path', async (_what, mutation, input, argument) => {
    const before = api.deploys.events.length;
    const r = await api.run(mutation, ci, { input });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
    expect(r.errors?.[0]?.message).toContain(argument);
    expect(api.deploys.events.length).toBe(before);
  });

  it('refuses a wrong GraphQL type before the contract, with BAD_USER_INPUT', async () => {
    const r = await api.run(STARTED, ci, { input: started({ startedAtMs: 'yesterday' }) });
    expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0]?.message).toMatch(/startedAtMs/);
  });
});

describe('reportBuildMetrics and buildMetrics', () => {
  it('stores a report and reads it back newest first, page by page', async () => {
    for (const [i, coverage] of [0.81, 0.82, 0.83].entries()) {
      const r = await api.run(BUILD, ci, { input: { service: 'checkout', version: `2.0.${i}`, testCoverage: coverage, benchmarks: [{ name: 'checkout p95', value: 120 + i, unit: 'ms' }] } });
      expect(r.errors).toBeUndefined();
      expect(r.data!.reportBuildMetrics).toMatchObject({ service: 'checkout', version: `2.0.${i}`, testCoverage: coverage, reportId: expect.stringMatching(/^sha256:[0-9a-f]{16}$/) });
      await new Promise((res) => setTimeout(res, 2)); // distinct report times
    }
    const q = 'query($after: String) { buildMetrics(service: "checkout", first: 2, after: $after) { edges { node { version testCoverage benchmarks { name value unit } } } pageInfo { hasNextPage endCursor } } }';
    const p1 = (await api.run(q, viewer)).data!.buildMetrics as { edges: { node: { version: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
    expect(p1.edges.map((e) => e.node.version)).toEqual(['2.0.2', '2.0.1']);
    const p2 = (await api.run(q, viewer, { after: p1.pageInfo.endCursor })).data!.buildMetrics as typeof p1;
    expect(p2.edges.map((e) => e.node.version)).toEqual(['2.0.0']);
    expect(p2.pageInfo.hasNextPage).toBe(false);
    const one = await api.run('{ buildMetrics(service: "checkout", version: "2.0.1") { edges { node { benchmarks { name value unit } } } } }', viewer);
    expect(one.data!.buildMetrics).toEqual({ edges: [{ node: { benchmarks: [{ name: 'checkout p95', value: 121, unit: 'ms' }] } }] });
  });

  it('a report sent again (same content or same reportId) replaces itself', async () => {
    const input = { service: 'checkout', version: '3.0.0', reportId: 'ci-run-77', testCoverage: 0.5 };
    await api.run(BUILD, ci, { input });
    await api.run(BUILD, ci, { input: { ...input, testCoverage: 0.55 } });
    const r = await api.run('{ buildMetrics(service: "checkout", version: "3.0.0") { edges { node { reportId testCoverage } } } }', viewer);
    expect(r.data!.buildMetrics).toEqual({ edges: [{ node: { reportId: 'ci-run-77', testCoverage: 0.55 } }] });
  });

  it.each([
    ['coverage as a percentage', { service: 'checkout', version: '1', testCoverage: 83 }, 'input.testCoverage'],
    ['neither coverage nor benchmarks', { service: 'checkout', version: '1' }, 'input.testCoverage'],
    ['a benchmark twice', { service: 'checkout', version: '1', benchmarks: [{ name: 'p95', value: 1, unit: 'ms' }, { name: 'p95', value: 2, unit: 'ms' }] }, 'input.benchmarks.1.name'],
    ['a benchmark without a unit', { service: 'checkout', version: '1', benchmarks: [{ name: 'p95', value: 1, unit: '' }] }, 'input.benchmarks.0.unit'],
    ['an empty version', { service: 'checkout', version: '', testCoverage: 0.5 }, 'input.version'],
  ])('refuses %s with BAD_USER_INPUT and the field path', async (_what, input, argument) => {
    const r = await api.run(BUILD, ci, { input });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
  });
});

describe('who may report', () => {
  it.each([
    ['reportDeployStarted', STARTED, { input: started() }],
    ['reportDeployFinished', FINISHED, { input: { ...started(), finishedAtMs: Date.now(), status: 'succeeded' } }],
    ['reportBuildMetrics', BUILD, { input: { service: 'checkout', version: '1', testCoverage: 0.9 } }],
  ])('a viewer token trying %s gets FORBIDDEN, and the attempt is audited', async (field, mutation, vars) => {
    const before = api.deploys.events.length;
    const r = await api.run(mutation, viewer, vars);
    expect(r.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(r.errors?.[0]?.message).toMatch(/release:report/);
    expect(api.deploys.events.length).toBe(before);
    const last = api.audit.entries.filter((e) => e.operation === `Mutation.${field}`).at(-1)!;
    expect([last.outcome, last.actor.role]).toEqual(['denied', 'viewer']);
  });

  it('a team-owner reports for its own team’s services only', async () => {
    const owner = await api.caller('team-owner', ['payments']);
    expect((await api.run(BUILD, owner, { input: { service: 'checkout', version: '9', testCoverage: 0.9 } })).errors).toBeUndefined();
    const other = await api.run(STARTED, owner, { input: started({ service: 'search' }) });
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(other.errors?.[0]?.message).toMatch(/search.*not theirs/);
  });
});

describe('a process that cannot store deploys', () => {
  it('answers UNAVAILABLE with the reason', async () => {
    const noKafka = await startStatusApi({ status: { deploys: new UnavailableDeployReportSink('this `sluice api` has no KAFKA_BROKERS') } });
    try {
      const r = await noKafka.run(STARTED, await noKafka.caller('ci'), { input: started() });
      expect(r.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
      expect(r.errors?.[0]?.message).toMatch(/no KAFKA_BROKERS/);
    } finally {
      await noKafka.close();
    }
  });
});

describe('storage that cannot be read', () => {
  it.each([
    ['sliSeries', `{ sliSeries(slo: "checkout-availability", from: ${T}, to: ${T + MIN}) { total } }`],
    ['breachHistory', '{ breachHistory { pageInfo { hasNextPage } } }'],
    ['releaseSlis', `{ releaseSlis(service: "checkout", from: ${T}, to: ${T + MIN}) { pageInfo { hasNextPage } } }`],
    ['health.ingest.sources', '{ health { ingest { sources { source } } } }'],
  ])('%s answers UNAVAILABLE with the cause, never a masked error', async (_what, query) => {
    const r = await api.run(query, viewer);
    expect(r.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
    expect(r.errors?.[0]?.message).toMatch(/^ClickHouse could not be read: /);
  });
});
