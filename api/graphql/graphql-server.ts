import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { GraphQLError, GraphQLScalarType, Kind, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { API_ERROR_CODES } from './api-error.ts';
import { resolveHealth, type HealthDeps } from './health-resolver.ts';
import { sloResolvers, type SloDeps } from './slo-resolvers.ts';
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
export function createGraphQLServer(deps: ApiDeps): ApolloServer {
  return new ApolloServer({
    typeDefs: TYPE_DEFS,
    resolvers: {
      EpochMs,
      BreachStatus,
      Query: {
        health: () => resolveHealth(deps.health),
        ...sloResolvers(deps.slo),
        spanEstimate: (_: unknown, args: SpanEstimateArgs) => resolveSpanEstimate(deps.slo.clickhouse, args),
      },
    },
    introspection: true,
    formatError: (formatted: GraphQLFormattedError, error: unknown) => {
      const code = String(formatted.extensions?.code ?? '');
      if (PASS_THROUGH.has(code)) {
        return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code } };
      }
      deps.logger.error({ err: error, path: formatted.path }, 'unexpected GraphQL error');
      return { message: 'Unexpected error.', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    },
  });
}
