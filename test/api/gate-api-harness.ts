import type { AddressInfo } from 'node:net';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { createApiAccess } from '../../api/auth/api-access.ts';
import { InMemoryTokenStore } from '../../api/auth/in-memory-token-store.ts';
import { operatorPrincipal } from '../../api/auth/principal.ts';
import type { Role } from '../../api/auth/roles.ts';
import { InMemoryAuditStore } from '../../api/audit/in-memory-audit-store.ts';
import { GateDecisionFeed } from '../../api/graphql/gate-decision-feed.ts';
import { gateResolver, type GateRecordsDeps } from '../../api/graphql/gate-resolvers.ts';
import type { ApiDeps } from '../../api/graphql/graphql-server.ts';
import { DEFAULT_QUERY_LIMITS } from '../../api/graphql/query-limits.ts';
import { createApiRoutes } from '../../api/http/api-routes.ts';
import { startHttpServer } from '../../api/http/http-server.ts';
import { GateService } from '../../engine/adapters/gate-service.ts';
import { silentLogger } from '../../platform/logging/logger.ts';
import type { gateHarness } from '../engine/adapters/support/gate-harness.ts';

/**
 * The whole API (createApiRoutes: admission, tokens, roles, audit, GraphQL over HTTP and
 * graphql-ws) on a loopback port, with the real gate — service, decision store, policy
 * versions and feed — over an in-memory judge fed by a gate harness.
 */
export async function startGateApi(h: Awaited<ReturnType<typeof gateHarness>>, opts: { maxQueued?: number } = {}) {
  const auditStore = new InMemoryAuditStore();
  const access = createApiAccess({ mode: 'required', tokenStore: new InMemoryTokenStore(), auditStore, auditWriter: 'test@localhost', now: Date.now });
  const logger = silentLogger();
  const feed = new GateDecisionFeed({ logger, ...(opts.maxQueued !== undefined ? { maxQueued: opts.maxQueued } : {}) });
  // the harness's service, publishing to this API's feed
  const service = new GateService({ ...h.gateOptions, onDecision: (record) => feed.publish(record) });
  const records: GateRecordsDeps = { service, decisions: h.decisions, feed, policyVersions: h.policyVersions, policies: () => h.policies.policies() };
  const unreachable = createClient({ url: 'http://127.0.0.1:9', request_timeout: 1_000, log: { level: ClickHouseLogLevel.OFF } });
  const deps: ApiDeps = {
    logger,
    access,
    gate: gateResolver(records),
    gateRecords: records,
    slo: { states: h.judge, clickhouse: unreachable },
    health: { version: 'test', mode: 'embedded', clickhouse: unreachable, clickhouseMode: 'external', clickhouseUrl: 'http://127.0.0.1:9', database: 'none', kafkaBrokers: [], simulator: false, startedAtMs: 0 } as ApiDeps['health'],
  };
  const api = await createApiRoutes({ deps, limits: DEFAULT_QUERY_LIMITS, maxBodyBytes: 262_144 });
  const http = await startHttpServer({ host: '127.0.0.1', port: 0, logger, routes: api.routes });
  const closeSubscriptions = api.attachSubscriptions(http.server);
  const url = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}`;
  let n = 0;
  return {
    url,
    auditStore,
    feed,
    records,
    tokenFor: async (role: Role) => (await access.tokens.create({ name: `${role}-${++n}`, role, teams: role === 'team-owner' ? ['payments'] : [] }, operatorPrincipal('tester', 'localhost'))).secret,
    graphql: async <T = Record<string, unknown>>(query: string, token: string, variables: Record<string, unknown> = {}) => {
      const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
      return (await res.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
    },
    close: async () => {
      await closeSubscriptions();
      await http.close();
      await api.stop();
      await unreachable.close();
    },
  };
}
