import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { GraphQLError, GraphQLScalarType, Kind, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { API_ERROR_CODES } from './api-error.ts';
import { resolveHealth, type HealthDeps } from './health-resolver.ts';
import { sloResolvers, sloSubscriptions, type SloDeps } from './slo-resolvers.ts';
import { resolveSpanEstimate, type SpanEstimateArgs } from './span-estimate-resolver.ts';

export const TYPE_DEFS = readFileSync(new URL('../../schema/graphql/sluice.graphql', import.meta.url), 'utf8');

export interface ApiDeps {
  health: HealthDeps;
  slo: SloDeps;
  logger: Logger;
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
const PASS_THROUGH = new Set<string>([...API_ERROR_CODES, 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'OPERATION_RESOLUTION_FAILURE']);

/**
 * The Apollo server with sluice's schema. Errors are masked by default (GraphQL Yoga's
 * approach): expected errors carry `extensions.code`; anything else becomes
 * "Unexpected error." with code INTERNAL_SERVER_ERROR and is logged with its stack.
 */
export function createGraphQLSchema(deps: ApiDeps): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs: TYPE_DEFS,
    resolvers: {
      EpochMs,
      BreachStatus,
      Query: {
        health: () => resolveHealth(deps.health),
        ...sloResolvers(deps.slo),
        spanEstimate: (_: unknown, args: SpanEstimateArgs) => resolveSpanEstimate(deps.slo.clickhouse, args),
      },
      Subscription: sloSubscriptions(deps.slo),
    },
  });
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
  return new ApolloServer({ schema, introspection: true, formatError: maskError(deps.logger) });
}

/**
 * Serves subscriptions over WebSocket (graphql-ws) on `path` of an HTTP server, with the
 * same schema and error masking as queries. Returns the function that closes it.
 */
export function attachGraphQLSubscriptions(server: Server, schema: GraphQLSchema, logger: Logger, path = '/graphql'): () => Promise<void> {
  const wss = new WebSocketServer({ server, path });
  const mask = maskError(logger);
  const cleanup = useServer({
    schema,
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
