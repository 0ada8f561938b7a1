import type { AddressInfo } from 'node:net';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { createApiAccess, type ApiAccess } from '../../../api/auth/api-access.ts';
import type { AuthMode } from '../../../api/auth/authenticator.ts';
import { InMemoryTokenStore } from '../../../api/auth/in-memory-token-store.ts';
import { operatorPrincipal } from '../../../api/auth/principal.ts';
import type { Role } from '../../../api/auth/roles.ts';
import type { ServiceOwnership } from '../../../api/auth/service-ownership.ts';
import { InMemoryAuditStore } from '../../../api/audit/in-memory-audit-store.ts';
import type { GateResolver } from '../../../api/graphql/gate-contract.ts';
import type { ApiDeps } from '../../../api/graphql/graphql-server.ts';
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from '../../../api/graphql/query-limits.ts';
import { createApiRoutes } from '../../../api/http/api-routes.ts';
import { startHttpServer, type RouteHandler } from '../../../api/http/http-server.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';

export const TEST_OPERATOR = operatorPrincipal('tester', 'localhost');

export interface TestApi {
  url: string;
  access: ApiAccess;
  auditStore: InMemoryAuditStore;
  /** Bodies the (recording) ingest routes accepted, by path. */
  ingested: { path: string; body: string }[];
  /** A fresh token of `role` (its secret). */
  tokenFor(role: Role, teams?: string[]): Promise<string>;
  /** POST a GraphQL request; resolves with the status and parsed body. */
  graphql(query: string, opts?: { token?: string; variables?: Record<string, unknown>; headers?: Record<string, string> }): Promise<{ status: number; body: GraphQLBody }>;
  close(): Promise<void>;
}

export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; [k: string]: unknown } }[];
}

/**
 * The whole API as `sluice start` / `sluice api` assemble it (createApiRoutes: admission,
 * limits, roles, audit, console) on a loopback port, with in-memory token and audit stores
 * and recording ingest routes in place of the pipeline. SLO and health resolvers get no
 * storage: these tests exercise access, not data.
 */
export async function startTestApi(opts: {
  mode?: AuthMode;
  gate?: GateResolver;
  limits?: Partial<QueryLimits>;
  maxBodyBytes?: number;
  ownership?: ServiceOwnership;
  now?: () => number;
} = {}): Promise<TestApi> {
  const auditStore = new InMemoryAuditStore();
  const access = createApiAccess({
    mode: opts.mode ?? 'required',
    tokenStore: new InMemoryTokenStore(),
    auditStore,
    auditWriter: 'test@localhost',
    now: opts.now ?? Date.now,
    ...(opts.ownership ? { ownership: opts.ownership } : {}),
  });
  const logger = silentLogger();
  const unreachable = createClient({ url: 'http://127.0.0.1:9', request_timeout: 1_000, log: { level: ClickHouseLogLevel.OFF } });
  const deps: ApiDeps = {
    logger,
    access,
    ...(opts.gate ? { gate: opts.gate } : {}),
    // never reached by these tests' assertions: data resolvers fail (masked) without storage
    slo: { clickhouse: unreachable } as unknown as ApiDeps['slo'],
    health: { version: 'test', mode: 'embedded', clickhouse: unreachable, clickhouseMode: 'external', clickhouseUrl: 'http://127.0.0.1:9', database: 'none', kafkaBrokers: [], simulator: false, startedAtMs: 0 } as ApiDeps['health'],
  };
  const api = await createApiRoutes({ deps, limits: { ...DEFAULT_QUERY_LIMITS, ...opts.limits }, maxBodyBytes: opts.maxBodyBytes ?? 262_144 });
  const ingested: TestApi['ingested'] = [];
  const recordingIngest: RouteHandler = async (req, res, url) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    ingested.push({ path: url.pathname, body: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"accepted":1,"rejected":[]}');
    return true;
  };
  const http = await startHttpServer({ host: '127.0.0.1', port: 0, logger, routes: [...api.routes, api.guardNdjson(recordingIngest), api.guardOtlp(recordingIngest)] });
  const closeSubscriptions = api.attachSubscriptions(http.server);
  const url = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}`;
  let n = 0;
  return {
    url,
    access,
    auditStore,
    ingested,
    tokenFor: async (role, teams = role === 'team-owner' ? ['payments'] : []) => (await access.tokens.create({ name: `${role}-${++n}`, role, teams }, TEST_OPERATOR)).secret,
    graphql: async (query, o = {}) => {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...o.headers },
        body: JSON.stringify({ query, variables: o.variables ?? {} }),
      });
      return { status: res.status, body: (await res.json()) as GraphQLBody };
    },
    close: async () => {
      await closeSubscriptions();
      await http.close();
      await api.stop();
      await unreachable.close();
    },
  };
}
