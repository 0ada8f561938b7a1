import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { GraphQLError, GraphQLScalarType, Kind, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { API_ERROR_CODES } from './api-error.ts';
import type { ApiAccess } from '../auth/api-access.ts';
import { authorizeSchema } from '../auth/field-authorization.ts';
import type { Principal } from '../auth/principal.ts';
import { accessResolvers } from './access-resolvers.ts';
import { auditResolvers } from './audit-resolvers.ts';
import { gateNotAvailable, type GateArgs, type GateResolver } from './gate-contract.ts';
import { gateRecordResolvers, type GateRecordsDeps } from './gate-resolvers.ts';
import { principalOf } from './graphql-context.ts';
import { resolveHealth, type HealthDeps } from './health-resolver.ts';
import { sloResolvers, type SloDeps } from './slo-resolvers.ts';
import { defaultStatusDeps, type StatusDeps } from './status-deps.ts';
import { statusResolvers } from './status-resolvers.ts';
import { statusSubscriptions } from '../subscriptions/status-subscriptions.ts';
import { wsSubscriberConnection } from '../subscriptions/subscriber-connection.ts';
import { TransitionHub } from '../subscriptions/transition-hub.ts';
import { resolveSpanEstimate, type SpanEstimateArgs } from './span-estimate-resolver.ts';
import { clickHouseHistory, historyResolvers } from './history-resolvers.ts';
import { canaryResolvers } from './canary-resolver.ts';
import { deliveryMetricsResolvers } from './delivery-metrics-resolvers.ts';
import type { ReleaseDeps } from './release-deps.ts';
import { rollbackResolvers } from './rollback-resolvers.ts';

export const TYPE_DEFS = readFileSync(new URL('../../schema/graphql/sluice.graphql', import.meta.url), 'utf8');

export interface ApiDeps {
  health: HealthDeps;
  slo: SloDeps;
  logger: Logger;
  /** Tokens, audit log and service ownership: who may call, and the record of what they did. */
  access: ApiAccess;
  /** Gate evaluation (gate-contract.ts); until it is wired in, `gate` answers UNAVAILABLE. */
  gate?: GateResolver;
  /** Gate decision records, policies and the live decision feed (gate-resolvers.ts); without them those fields answer UNAVAILABLE. */
  gateRecords?: GateRecordsDeps;
  /** DORA metrics, benchmarks, canary comparisons and rollback requests (release-deps.ts); without them those fields answer UNAVAILABLE. */
  release?: ReleaseDeps;
  /** Status analytics, subscriptions and release reports (status-deps.ts); defaults: ClickHouse reads, deploy reports refused. */
  status?: StatusDeps;
}

const STATUSES = new Set(['OK', 'WARNING', 'BREACHED', 'RECOVERED', 'UNKNOWN']);
const BreachStatus = new GraphQLScalarType({
  name: 'BreachStatus',
  serialize: (v) => String(v),
  parseValue: (v) => {
    if (typeof v !== 'string' || !STATUSES.has(v)) throw new GraphQLError(`BreachStatus must be one of ${[...STATUSES].join(', ')}`, { extensions: { code: 'BAD_USER_INPUT' } });
    return v;
  },
});

const EpochMs = new GraphQLScalarType({
  name: 'EpochMs',
  description: 'Epoch milliseconds (UTC)',
  serialize: (v) => Number(v),
  parseValue: (v) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new GraphQLError('EpochMs must be an integer', { extensions: { code: 'BAD_USER_INPUT' } });
    return v;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.INT) throw new GraphQLError('EpochMs must be an integer', { extensions: { code: 'BAD_USER_INPUT' } });
    return Number(ast.value);
  },
});

/** Codes GraphQL itself and Apollo give to bad requests; shown as-is. */
const PASS_THROUGH = new Set<string>([...API_ERROR_CODES, 'QUERY_TOO_COMPLEX', 'PAYLOAD_TOO_LARGE', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'OPERATION_RESOLUTION_FAILURE']);

/**
 * The Apollo server with sluice's schema. Errors are masked by default (GraphQL Yoga's
 * approach): expected errors carry `extensions.code`; anything else becomes
 * "Unexpected error." with code INTERNAL_SERVER_ERROR and is logged with its stack.
 */
export function createGraphQLSchema(deps: ApiDeps): GraphQLSchema {
  const access = accessResolvers(deps.access);
  const audit = auditResolvers(deps.access);
  const gate = deps.gate ?? gateNotAvailable;
  const gateRecords = gateRecordResolvers(deps.gateRecords);
  const rollbacks = rollbackResolvers(deps.release);
  const statusDeps = deps.status ?? defaultStatusDeps(deps.slo.clickhouse, deps.logger);
  // one fan-out of the breach stream for every subscription (api/subscriptions/transition-hub.ts)
  const hub = new TransitionHub({ source: deps.slo.pubsub, directory: statusDeps.directory, logger: deps.logger, capacity: statusDeps.subscriptionQueue });
  const status = statusResolvers(deps.slo, statusDeps, hub);
  const schema = makeExecutableSchema({
    typeDefs: TYPE_DEFS,
    resolvers: {
      EpochMs,
      BreachStatus,
      GateDecision: gateRecords.GateDecision,
      Query: {
        health: () => resolveHealth(deps.health),
        ...sloResolvers(deps.slo, statusDeps.directory),
        spanEstimate: (_: unknown, args: SpanEstimateArgs) => resolveSpanEstimate(deps.slo.clickhouse, args),
        // backtest, tuneAlerts, sloTargets, sloReport over stored history (docs/history.md)
        ...historyResolvers(clickHouseHistory(deps.slo.clickhouse)),
        ...access.Query,
        ...audit.Query,
        gate: (_: unknown, args: GateArgs, context: unknown) => gate(args, principalOf(context)),
        ...gateRecords.Query,
        ...deliveryMetricsResolvers(deps.release),
        ...canaryResolvers(deps.release),
        ...rollbacks.Query,
        ...status.Query,
      },
      Mutation: { ...access.Mutation, ...status.Mutation },
      Subscription: { ...statusSubscriptions(hub), ...rollbacks.Subscription, ...gateRecords.Subscription },
      SloStatus: status.SloStatus,
      Health: status.Health,
    },
  });
  // every field checked against api/auth/roles.ts; mutations and gate decisions audited
  return authorizeSchema(schema, { audit: deps.access.audit, ownership: deps.access.ownership, logger: deps.logger });
}

/** The error mask shared by HTTP queries and WebSocket subscriptions. */
function maskError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = String(formatted.extensions?.code ?? '');
    if (PASS_THROUGH.has(code)) {
      // expected errors keep their extensions (code, argument, …) but never a stack
      const { stacktrace: _stack, exception: _exception, ...extensions } = formatted.extensions ?? {};
      return { message: formatted.message, ...(formatted.locations ? { locations: formatted.locations } : {}), ...(formatted.path ? { path: formatted.path } : {}), extensions };
    }
    logger.error({ err: error, path: formatted.path }, 'unexpected GraphQL error');
    return { message: 'Unexpected error.', ...(formatted.path ? { path: formatted.path } : {}), extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

export function createGraphQLServer(deps: ApiDeps, schema: GraphQLSchema = createGraphQLSchema(deps)): ApolloServer {
  // sluice owns SIGINT/SIGTERM (api/cli/sluice-cli.ts): Apollo's own handler would re-send
  // the signal and cut the ordered stop short (exit 143 instead of 0)
  return new ApolloServer({ schema, introspection: true, formatError: maskError(deps.logger), stopOnTerminationSignals: false,
    // Apollo's default landing page loads from a CDN (blank offline): off; api/http/graphql-console-page.ts serves a local one
    plugins: [ApolloServerPluginLandingPageDisabled()] });
}

/** How subscriptions are admitted: the same rules as HTTP requests (api/http/api-routes.ts). */
export interface SubscriptionGuard {
  /** Why an upgrade request is refused (e.g. cross-site), or undefined. */
  refuseUpgrade(req: IncomingMessage): string | undefined;
  /** The caller, from the upgrade's Authorization header or `connectionParams.authorization`; throws when there is none. */
  authenticate(req: IncomingMessage, connectionParams: Readonly<Record<string, unknown>> | undefined): Promise<Principal>;
  /** Refusal of a subscribe message's query (QUERY_TOO_COMPLEX), or undefined. */
  checkQuery(query: string): GraphQLError | undefined;
}

/**
 * Serves subscriptions over WebSocket (graphql-ws) on `path` of an HTTP server, with the
 * same schema and error masking as queries. Returns the function that closes it. Without
 * a guard no connection has a caller, so every field refuses (fail closed).
 */
export function attachGraphQLSubscriptions(server: Server, schema: GraphQLSchema, logger: Logger, path = '/graphql', guard?: SubscriptionGuard): () => Promise<void> {
  const wss = new WebSocketServer({
    server,
    path,
    verifyClient: (info, done) => {
      const refusal = guard?.refuseUpgrade(info.req);
      if (refusal) done(false, 403, refusal);
      else done(true);
    },
  });
  const mask = maskError(logger);
  const principals = new WeakMap<object, Principal>();
  const cleanup = useServer({
    schema,
    // a connection without a valid token is closed with 4403 Forbidden before any subscribe
    onConnect: async (ctx) => {
      if (!guard) return false;
      try {
        principals.set(ctx.extra, await guard.authenticate(ctx.extra.request, ctx.connectionParams));
        return true;
      } catch {
        return false;
      }
    },
    // the connection lets a subscription close it (a subscriber too slow for its queue: 4008)
    context: (ctx) => ({ principal: principals.get(ctx.extra), connection: wsSubscriberConnection(ctx.extra.socket) }),
    onSubscribe: (_ctx, _id, payload) => {
      const refusal = guard?.checkQuery(payload.query);
      return refusal ? [refusal] : undefined;
    },
    // parse/validation errors of a subscribe message: the client's mistake, with a code
    onError: (_ctx, _id, _payload, errors) => errors.map((e) => new GraphQLError(e.message, {
      ...(e.nodes ? { nodes: e.nodes } : {}),
      extensions: { ...e.extensions, code: String(e.extensions?.code ?? 'GRAPHQL_VALIDATION_FAILED') },
    })),
    // execution errors inside results: masked like HTTP responses
    onNext: (_ctx, _id, _payload, _args, result) => {
      if (!('errors' in result) || !result.errors) return result;
      return { ...result, errors: result.errors.map((e) => mask(e.toJSON ? e.toJSON() : (e as GraphQLFormattedError), e)) };
    },
  }, wss);
  return async () => {
    await cleanup.dispose();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
}
