import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { createApiAccess, type ApiAccess } from '../../../api/auth/api-access.ts';
import { InMemoryTokenStore } from '../../../api/auth/in-memory-token-store.ts';
import { operatorPrincipal, type Principal } from '../../../api/auth/principal.ts';
import type { Role } from '../../../api/auth/roles.ts';
import { staticOwnership } from '../../../api/auth/service-ownership.ts';
import { InMemoryAuditStore } from '../../../api/audit/in-memory-audit-store.ts';
import type { ApiDeps } from '../../../api/graphql/graphql-server.ts';
import { DEFAULT_QUERY_LIMITS } from '../../../api/graphql/query-limits.ts';
import type { StatusDeps } from '../../../api/graphql/status-deps.ts';
import { createApiRoutes, type ApiRoutes } from '../../../api/http/api-routes.ts';
import { createPubSub, type PubSub } from '../../../platform/pubsub/typed-pubsub.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import type { EngineTopics, PublishedTransition } from '../../../engine/adapters/breach-publisher.ts';
import { InMemoryBuildMetricsStore } from '../../../engine/adapters/build-metrics-store.ts';
import type { DeployReportSink } from '../../../engine/adapters/deploy-report-sink.ts';
import { StaticSloDirectory, type SloDirectoryEntry, type SloDirectoryReader } from '../../../engine/adapters/slo-definition-directory.ts';
import { SLO_STATE_SNAPSHOT_VERSION, type SloStateSnapshot } from '../../../engine/adapters/slo-state-snapshot.ts';
import { InMemorySloStateStore, type SloStateReader } from '../../../engine/adapters/slo-state-store.ts';
import type { DeployV1 } from '../../../schema/events/v1/deploy.ts';

/** Deploy reports as a sink receives them (the standard fake of DeployReportSink). */
export class RecordingDeploySink implements DeployReportSink {
  readonly destination = 'memory';
  readonly events: DeployV1[] = [];
  async submit(event: DeployV1): Promise<void> {
    this.events.push(event);
  }
}

/** An SLO's directory entry with the workbook's default rule names. */
export function entry(name: string, o: Partial<SloDirectoryEntry> = {}): SloDirectoryEntry {
  return {
    name, service: 'checkout', environment: 'production', tier: 'critical', indicator: 'availability', target: 0.999,
    ruleSeverities: { 'page-1h-5m': 'page', 'page-6h-30m': 'page', 'ticket-1d-2h': 'ticket', 'ticket-3d-6h': 'ticket' }, ...o,
  };
}

/** A state snapshot of an SLO as a judge persists it. */
export function snapshot(name: string, o: { service?: string; environment?: string; tier?: string; status?: SloStateSnapshot['status']; target?: number; attainment?: number } = {}): SloStateSnapshot {
  const status = o.status ?? 'OK';
  const service = o.service ?? 'checkout';
  const environment = o.environment ?? 'production';
  return {
    schemaVersion: SLO_STATE_SNAPSHOT_VERSION,
    sloName: name,
    definition: { displayName: name, service, environment, tier: o.tier ?? 'critical', indicator: 'availability', target: o.target ?? 0.999, maxStalenessMs: 600_000 },
    status, sinceMs: 1_000, reason: `${status} for the test`,
    state: { schemaVersion: 1, sloName: name, key: { sloName: name, service, environment }, status, sinceMs: 1_000, reason: 'test', lastKnownStatus: status === 'UNKNOWN' ? null : status, warningActive: false },
    publishedStatus: status,
    overlay: { stale: false },
    sources: [{ source: 'sluice.spans.v1', partition: 0, signal: 'spans', reported: true, maxEventTimeMs: 1_000_000, eventTimeMs: 1_000_000, caughtUp: true, idle: false, reportedAtMs: 1_000_500, lagMs: 500 }],
    owner: 'judge-1', takenAtMs: 1_001_000, updatedAtMs: 1_001_000,
    ...(o.attainment === undefined ? {} : {
      evaluation: {
        atMs: 960_000, attainment: o.attainment, good: o.attainment * 10_000, total: 10_000,
        budget: { target: 0.999, good: o.attainment * 10_000, total: 10_000, bad: (1 - o.attainment) * 10_000, attainment: o.attainment, periodMs: 2_419_200_000, expectedTotal: 10_000, volumeBasis: 'test', allowedBadEvents: 10, consumedEvents: (1 - o.attainment) * 10_000, remainingEvents: 10 - (1 - o.attainment) * 10_000, consumedRatio: (1 - o.attainment) * 1_000, remainingRatio: 1 - (1 - o.attainment) * 1_000, minEvents: 3_000, exhausted: false },
        burnRates: [{ window: '1h', durationMs: 3_600_000, good: 990, total: 1_000, badRatio: 0.01, burnRate: 10 }],
        firing: [], status: 'OK', reason: 'test', fresh: true,
      },
    }),
  };
}

/** A published transition of an SLO of `service`. */
export function transition(slo: string, to: PublishedTransition['to'], o: { atMs?: number; rule?: string; service?: string; environment?: string; from?: PublishedTransition['from'] } = {}): PublishedTransition {
  const atMs = o.atMs ?? 1_700_000_000_000;
  const from = o.from ?? 'OK';
  return {
    sloName: slo, key: { sloName: slo, service: o.service ?? 'checkout', environment: o.environment ?? 'production' }, from, to, atMs, reason: `${to} for the test`,
    ...(o.rule ? { rule: o.rule } : {}), windows: [], freshness: { fresh: true },
    budget: {} as PublishedTransition['budget'], basis: 'event-time', transitionId: `${slo}|${from}|${to}|${atMs}|event-time`, publishedAtMs: atMs,
  };
}

export interface StatusApi {
  api: ApiRoutes;
  access: ApiAccess;
  audit: InMemoryAuditStore;
  states: InMemorySloStateStore;
  pubsub: PubSub<EngineTopics>;
  deploys: RecordingDeploySink;
  status: StatusDeps;
  /** A principal authenticated from a fresh token of `role` (the real authenticator). */
  caller(role: Role, teams?: string[]): Promise<Principal>;
  /** The secret of a fresh token of `role` (for requests over HTTP or WebSocket). */
  secret(role: Role, teams?: string[]): Promise<string>;
  /** Runs an operation in process (no port) with `caller` as the context, through Apollo's whole pipeline (error masking included). */
  run(query: string, caller: Principal, variables?: Record<string, unknown>): Promise<{ data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] }>;
  close(): Promise<void>;
}

/**
 * The whole API (createApiRoutes: schema, field guard, audit, error masking) over in-memory
 * SLO state, directory, build metrics and a recording deploy sink; ClickHouse is the given
 * client or an unreachable one. Operations run in process with a real context: the
 * principal of a token the real authenticator accepted.
 */
export async function startStatusApi(o: { clickhouse?: ClickHouseClient; directory?: SloDirectoryReader; states?: SloStateReader & InMemorySloStateStore; status?: Partial<StatusDeps>; subscriptionQueue?: number } = {}): Promise<StatusApi> {
  const audit = new InMemoryAuditStore();
  const access = createApiAccess({
    mode: 'required', tokenStore: new InMemoryTokenStore(), auditStore: audit, auditWriter: 'test@localhost', now: Date.now,
    ownership: staticOwnership({ checkout: ['payments'], search: ['discovery'] }),
  });
  const clickhouse = o.clickhouse ?? createClient({ url: 'http://127.0.0.1:9', request_timeout: 1_000, log: { level: ClickHouseLogLevel.OFF } });
  const states = o.states ?? new InMemorySloStateStore();
  const pubsub = createPubSub<EngineTopics>();
  const deploys = new RecordingDeploySink();
  const status: StatusDeps = {
    directory: o.directory ?? new StaticSloDirectory([]),
    deploys,
    buildMetrics: new InMemoryBuildMetricsStore(),
    deployTimeBounds: { maxFutureMs: 600_000, maxAgeMs: 400 * 86_400_000 },
    subscriptionQueue: o.subscriptionQueue ?? 10_000,
    ...o.status,
  };
  const deps: ApiDeps = {
    logger: silentLogger(), access, status,
    slo: { states, pubsub, clickhouse },
    health: { version: 'test', mode: 'embedded', clickhouse, clickhouseMode: 'external', clickhouseUrl: 'http://127.0.0.1:9', database: 'none', kafkaBrokers: [], simulator: false, startedAtMs: 0 },
  };
  const api = await createApiRoutes({ deps, limits: DEFAULT_QUERY_LIMITS, maxBodyBytes: 262_144 });
  let n = 0;
  const secret = async (role: Role, teams = role === 'team-owner' ? ['payments'] : []) =>
    (await access.tokens.create({ name: `${role}-${++n}`, role, teams }, operatorPrincipal('tester', 'localhost'))).secret;
  return {
    api, access, audit, states, pubsub, deploys, status, secret,
    caller: async (role, teams) => access.authenticator.authenticate(`Bearer ${await secret(role, teams)}`),
    run: async (query, caller, variables = {}) => {
      const response = await api.graphql.executeOperation({ query, variables }, { contextValue: { principal: caller } });
      if (response.body.kind !== 'single') throw new Error('incremental delivery is not expected');
      return response.body.singleResult as Awaited<ReturnType<StatusApi['run']>>;
    },
    close: async () => {
      await api.stop();
      if (!o.clickhouse) await clickhouse.close();
    },
  };
}
