import type { AddressInfo } from 'node:net';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiAccess } from '../../../api/auth/api-access.ts';
import { InMemoryTokenStore } from '../../../api/auth/in-memory-token-store.ts';
import { operatorPrincipal } from '../../../api/auth/principal.ts';
import type { Role } from '../../../api/auth/roles.ts';
import { InMemoryAuditStore } from '../../../api/audit/in-memory-audit-store.ts';
import { benchmarksCsv, CSV_COLUMNS, runBenchmarksCommand } from '../../../api/cli/benchmarks-command.ts';
import type { CliIo } from '../../../api/cli/cli-io.ts';
import type { ApiDeps } from '../../../api/graphql/graphql-server.ts';
import { DEFAULT_QUERY_LIMITS } from '../../../api/graphql/query-limits.ts';
import type { ReleaseDeps } from '../../../api/graphql/release-deps.ts';
import { createApiRoutes } from '../../../api/http/api-routes.ts';
import { startHttpServer } from '../../../api/http/http-server.ts';
import { InMemoryRollbackStore } from '../../../engine/adapters/rollback-store.ts';
import type { ReleaseTopics } from '../../../engine/adapters/rollback-sinks.ts';
import type { CanaryInput } from '../../../engine/core/canary/canary-comparison.ts';
import { ROLLBACK_REQUEST_SCHEMA_VERSION, type RollbackRequest } from '../../../engine/core/release/rollback-request.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { createPubSub } from '../../../platform/pubsub/typed-pubsub.ts';
import { DAY, T0 } from '../../engine/core/dora/delivery-fixtures.ts';
import { generatedMonth } from '../../engine/core/dora/generated-history.ts';

/**
 * The release fields of the API (doraMetrics, benchmarks, canaryComparison,
 * rollbackRequests) served by the real API stack (admission, tokens, roles, GraphQL) on a
 * loopback port, over in-memory release data; and `sluice benchmarks` against it.
 */
const b = (i: number) => 40 + ((i * 37) % 101) * 0.5;
const c = (i: number) => 55 + ((i * 53) % 103) * 0.5;

const rollback: RollbackRequest = {
  schemaVersion: ROLLBACK_REQUEST_SCHEMA_VERSION, requestId: 'rb_1', service: 'checkout', environment: 'production', version: '1.4.2', deployId: 'd-42',
  rollbackToVersion: '1.4.1', rollbackToDeployId: 'd-41', reason: 'burn', trigger: { kind: 'slo-breach', slo: 'checkout-availability', transitionId: 't', atMs: T0, rule: 'page-1h-5m', reason: 'fires' },
  deployFinishedAtMs: T0 - 600_000, bakeEndsAtMs: T0 + 1_200_000, requestedAtMs: T0 + 60_000, dryRun: false,
};

let url: string;
const tokens: Partial<Record<Role, string>> = {};
let close: () => Promise<void>;
const pubsub = createPubSub<ReleaseTopics>();
const historyCalls: unknown[] = [];

beforeAll(async () => {
  const rollbacks = new InMemoryRollbackStore();
  await rollbacks.create(rollback, T0 + 60_000);
  await rollbacks.appendDelivery({ requestId: 'rb_1', target: 'http://hooks.example/rollback', attempt: 1, atMs: T0 + 61_000, outcome: 'retry', statusCode: 503, detail: 'HTTP 503', durationMs: 12, nextAttemptAtMs: T0 + 62_000 });
  await rollbacks.appendDelivery({ requestId: 'rb_1', target: 'http://hooks.example/rollback', attempt: 2, atMs: T0 + 62_500, outcome: 'delivered', statusCode: 200, detail: '', durationMs: 9, nextAttemptAtMs: null });
  await rollbacks.setState('rb_1', 'delivered', T0 + 62_500);
  // older requests of another service, two of them at the same millisecond (the id breaks the tie)
  for (const [id, at] of [['rb_2', T0], ['rb_3', T0], ['rb_4', T0 - 1]] as const) {
    await rollbacks.create({ ...rollback, requestId: id, service: 'search', requestedAtMs: at, dryRun: true }, at);
  }
  const release: ReleaseDeps = {
    history: { load: async (args) => { historyCalls.push(args); return generatedMonth(); } },
    canary: {
      load: async (r): Promise<CanaryInput> => ({
        ...r,
        errorCounts: [{ source: 'slo:checkout-availability', canary: { good: 4750, total: 5000 }, baseline: { good: 4950, total: 5000 } }],
        latency: { source: 'spans', canary: [{ weight: 1, durationsMs: Array.from({ length: 400 }, (_, i) => c(i)) }], baseline: [{ weight: 1, durationsMs: Array.from({ length: 400 }, (_, i) => b(i)) }] },
      }),
    },
    rollbacks,
    pubsub,
    now: () => T0 + 40 * DAY,
  };
  const access = createApiAccess({ mode: 'required', tokenStore: new InMemoryTokenStore(), auditStore: new InMemoryAuditStore(), auditWriter: 'test@localhost', now: Date.now });
  const unreachable = createClient({ url: 'http://127.0.0.1:9', request_timeout: 1_000, log: { level: ClickHouseLogLevel.OFF } });
  const deps: ApiDeps = {
    logger: silentLogger(), access, release,
    slo: { clickhouse: unreachable } as unknown as ApiDeps['slo'],
    health: { clickhouse: unreachable } as unknown as ApiDeps['health'],
  };
  const api = await createApiRoutes({ deps, limits: DEFAULT_QUERY_LIMITS, maxBodyBytes: 262_144 });
  const http = await startHttpServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), routes: api.routes });
  url = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}`;
  for (const role of ['viewer', 'ingest'] as const) tokens[role] = (await access.tokens.create({ name: role, role, teams: [] }, operatorPrincipal('tester', 'localhost'))).secret;
  close = async () => {
    await http.close();
    await api.stop();
    await unreachable.close();
  };
});
afterAll(async () => close());

async function graphql(query: string, variables: Record<string, unknown> = {}, role: Role = 'viewer') {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[role]}` }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: Record<string, never> | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

describe('doraMetrics and benchmarks over GraphQL', () => {
  it('answers the four keys of a team with its failed deployments', async () => {
    const r = await graphql(`{ doraMetrics(team: "search", from: ${T0}, to: ${T0 + 30 * DAY}) {
      team keys { deployments rollbackDeploys changeFailureRate { failed ratio } leadTime { medianMs bucket bucketLabel } deploymentFrequency { bucket } }
      failedDeployments { deployId causes { kind link by } } } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data!.doraMetrics).toMatchObject({
      team: 'search',
      keys: { deployments: 12, rollbackDeploys: 1, changeFailureRate: { failed: 1 }, leadTime: { medianMs: 3 * DAY, bucket: 'ONE_DAY_TO_ONE_WEEK', bucketLabel: 'between one day and one week' }, deploymentFrequency: { bucket: 'DAILY_TO_WEEKLY' } },
      failedDeployments: [{ deployId: 'search-3', causes: [{ kind: 'rollback', by: 'rollback-deploy' }, { kind: 'slo-breach' }, { kind: 'incident', link: 'named' }] }],
    });
    // the history is read with the incident window on both sides of the period
    expect(historyCalls.at(-1)).toMatchObject({ fromMs: T0, toMs: T0 + 30 * DAY, environments: ['production'], lookbackMs: 7 * DAY, lookaheadMs: 7 * DAY });
  });

  it('benchmarks teams: cluster, percentile (or why none), trend and a comparison', async () => {
    const r = await graphql(`{ benchmarks(from: ${T0}, to: ${T0 + 30 * DAY}, compareFrom: ${T0 - 30 * DAY}, compareTo: ${T0}) {
      groupBy reference { report clusters { level changeFailureRate } }
      rows { group cluster { level limitedBy } percentile { overall } percentileReason trend { month keys { deployments } } comparison { key assessment } } } }`);
    expect(r.errors).toBeUndefined();
    const bench = r.data!.benchmarks as unknown as { groupBy: string; reference: { report: string }; rows: { group: string; cluster: { level: string | null }; percentile: { overall: number } | null; percentileReason: string | null; comparison: { key: string; assessment: string }[] }[] };
    expect(bench.groupBy).toBe('TEAM');
    expect(bench.reference.report).toMatch(/2023/);
    expect(bench.rows.map((x) => [x.group, x.cluster.level])).toEqual([['legacy', null], ['payments', 'HIGH'], ['platform', 'MEDIUM'], ['search', 'HIGH']]);
    expect(bench.rows[0]!.percentileReason).toBe('3 deployments in the period; a percentile needs at least 10');
    expect(bench.rows[1]!.percentile!.overall).toBeCloseTo(75, 9);
    // the compared period (December) has no deployments: frequency improved, the medians cannot be compared
    expect(bench.rows[1]!.comparison.map((k) => [k.key, k.assessment])).toEqual([['deploymentFrequency', 'IMPROVED'], ['leadTime', 'TOO_FEW_DATA'], ['changeFailureRate', 'TOO_FEW_DATA'], ['recoveryTime', 'TOO_FEW_DATA']]);
  });

  it('refuses an empty period as BAD_USER_INPUT, and ingest tokens altogether', async () => {
    const bad = await graphql(`{ benchmarks(from: ${T0}, to: ${T0}) { groupBy } }`);
    expect(bad.errors![0]).toMatchObject({ message: '`to` must be after `from`', extensions: { code: 'BAD_USER_INPUT' } });
    const forbidden = await graphql(`{ benchmarks(from: ${T0}, to: ${T0 + DAY}) { groupBy } }`, {}, 'ingest');
    expect(forbidden.errors![0]!.extensions!.code).toBe('FORBIDDEN');
  });
});

describe('canaryComparison over GraphQL', () => {
  it('answers the verdict with every statistic', async () => {
    const r = await graphql(`{ canaryComparison(service: "checkout", baselineVersion: "1.4.1", canaryVersion: "1.4.2", from: ${T0}, to: ${T0 + 3_600_000}) {
      verdict summary options { alpha minRequestsPerSide }
      errorRatioChecks { name status pGreater pTwoSided difference differenceCiLow differenceCiHigh oddsRatio cohensH relativeRisk canary { bad total errorRatio } }
      latencyCheck { status u z pGreater pTwoSided commonLanguageEffect rankBiserial weight method baseline { samples medianMs } canary { samples medianMs } } } }`);
    expect(r.errors).toBeUndefined();
    const cmp = r.data!.canaryComparison as unknown as { verdict: string; errorRatioChecks: { pGreater: number; canary: { bad: number } }[]; latencyCheck: { u: number; pGreater: number; weight: number } };
    expect(cmp.verdict).toBe('FAIL');
    expect(cmp.errorRatioChecks[0]!.canary.bad).toBe(250);
    // scipy.stats.fisher_exact([[250, 4750], [50, 4950]], alternative='greater') and mannwhitneyu (canary-comparison.test.ts)
    expect(cmp.errorRatioChecks[0]!.pGreater).toBeCloseTo(2.437068073251485e-34, 40);
    expect(cmp.latencyCheck).toMatchObject({ u: 120_820, weight: 1 });
  });

  it('names a bad option', async () => {
    const r = await graphql(`{ canaryComparison(service: "checkout", baselineVersion: "a", canaryVersion: "b", from: ${T0}, to: ${T0 + 1}, options: { alpha: 0.9 }) { verdict } }`);
    expect(r.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(r.errors![0]!.message).toMatch(/^options\.alpha: /);
  });
});

describe('rollbackRequests', () => {
  it('lists requests with their delivery log', async () => {
    const r = await graphql('{ rollbackRequests(service: "checkout") { edges { node { state request { requestId version rollbackToVersion triggerKind dryRun } deliveries { attempt outcome statusCode } } } pageInfo { hasNextPage } } }');
    expect(r.data!.rollbackRequests).toEqual({
      edges: [{
        node: {
          state: 'delivered',
          request: { requestId: 'rb_1', version: '1.4.2', rollbackToVersion: '1.4.1', triggerKind: 'slo-breach', dryRun: false },
          deliveries: [{ attempt: 1, outcome: 'retry', statusCode: 503 }, { attempt: 2, outcome: 'delivered', statusCode: 200 }],
        },
      }],
      pageInfo: { hasNextPage: false },
    });
  });

  it('pages newest first by cursor, ties at one millisecond broken by id, none skipped or repeated', async () => {
    type Page = { edges: { node: { request: { requestId: string } } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    const page = async (after?: string) => {
      const r = await graphql('query($after: String) { rollbackRequests(first: 2, after: $after) { edges { node { request { requestId } } } pageInfo { hasNextPage endCursor } } }', { after });
      return r.data!.rollbackRequests as unknown as Page;
    };
    const first = await page();
    const second = await page(first.pageInfo.endCursor!);
    expect(first.edges.map((e) => e.node.request.requestId)).toEqual(['rb_1', 'rb_3']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(second.edges.map((e) => e.node.request.requestId)).toEqual(['rb_2', 'rb_4']);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it('refuses a cursor of another list and a page size out of range, with codes', async () => {
    const decisionsCursor = Buffer.from(JSON.stringify({ v: 1, k: 'gateDecisions', key: [1, 'x'] })).toString('base64url');
    const wrong = await graphql(`{ rollbackRequests(after: "${decisionsCursor}") { pageInfo { hasNextPage } } }`);
    expect(wrong.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'after' } });
    const big = await graphql('{ rollbackRequests(first: 501) { pageInfo { hasNextPage } } }');
    expect(big.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'first' } });
  });
});

describe('sluice benchmarks', () => {
  const run = async (args: string[]) => {
    const io = { stdout: '', stderr: '' };
    const cli: CliIo = { out: (t) => void (io.stdout += t), err: (t) => void (io.stderr += t) };
    const code = await runBenchmarksCommand(args, { SLUICE_API_URL: url, SLUICE_TOKEN: tokens.viewer! }, cli);
    return { code, ...io };
  };

  it('exports CSV: a row per team for the period, then per team and month', async () => {
    const r = await run(['--team', 'payments', '--team', 'legacy', '--from', '2025-01-01', '--to', '2025-01-31', '--format', 'csv']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\r\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.map((x) => [x[0], x[1]])).toEqual([['legacy', 'all'], ['payments', 'all'], ['legacy', '2025-01'], ['payments', '2025-01']]);
    const payments = Object.fromEntries(CSV_COLUMNS.map((col, i) => [col, rows[1]![i]]));
    expect(payments).toMatchObject({ deployments: '60', failed_deployments: '6', change_failure_rate: '0.1', lead_time_median_ms: String(4 * 3_600_000), cluster: 'HIGH', peers: '3' });
    const legacy = Object.fromEntries(CSV_COLUMNS.map((col, i) => [col, rows[0]![i]]));
    expect(legacy).toMatchObject({ deployments: '3', cluster: '', percentile_overall: '' });
    expect(legacy.percentile_reason).toBe('3 deployments in the period; a percentile needs at least 10');
  });

  it('exports JSON as the query answers it, and a table by default', async () => {
    const json = await run(['--from', '2025-01-01', '--to', '2025-01-31', '--format', 'json']);
    expect(JSON.parse(json.stdout).rows).toHaveLength(4);
    const table = await run(['--from', '2025-01-01', '--to', '2025-01-31']);
    expect(table.stdout).toMatch(/payments\s+60\s+2\.00\s+4\.0 h\s+10\.0 %\s+45 min\s+HIGH\s+75/);
  });

  it('names the option at fault and exits 3', async () => {
    const r = await run(['--from', 'yesterday', '--to', '2025-01-31']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/--from must be a date/);
  });

  it('quotes CSV fields that need it (RFC 4180): the report name holds commas and quotes', async () => {
    const r = await run(['--team', 'payments', '--from', '2025-01-01', '--to', '2025-01-31', '--format', 'csv']);
    expect(r.stdout.split('\r\n')[1]).toMatch(/,"Accelerate State of DevOps Report 2023 \(DORA, Google Cloud\), ""How do you compare\?"""$/);
    expect(benchmarksCsv({ from: 0, to: 1, environment: 'production', groupBy: 'TEAM', reference: { report: 'r' }, rows: [] })).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
  });
});

describe('the rollbackRequests subscription', () => {
  it('yields the requests this process makes, optionally of one service', async () => {
    const { rollbackResolvers } = await import('../../../api/graphql/rollback-resolvers.ts');
    const resolvers = rollbackResolvers({ history: { load: async () => generatedMonth() }, canary: { load: async () => { throw new Error('unused'); } }, rollbacks: new InMemoryRollbackStore(), pubsub });
    const iterator = resolvers.Subscription.rollbackRequests.subscribe(undefined, { service: 'checkout' }) as AsyncGenerator<{ rollbackRequests: { requestId: string; service: string } }>;
    const next = iterator.next();
    pubsub.publish('rollbackRequest', { ...rollback, requestId: 'rb_other', service: 'search' });
    pubsub.publish('rollbackRequest', rollback);
    expect((await next).value!.rollbackRequests).toMatchObject({ requestId: 'rb_1', service: 'checkout', triggerKind: 'slo-breach' });
    await iterator.return(undefined);
  });

  it('is UNAVAILABLE where no process makes requests', async () => {
    const { rollbackResolvers } = await import('../../../api/graphql/rollback-resolvers.ts');
    expect(() => rollbackResolvers(undefined).Subscription.rollbackRequests.subscribe(undefined, {})).toThrow(/rollback topic/);
  });
});
