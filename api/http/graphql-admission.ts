import type { IncomingMessage } from 'node:http';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { ApiAccess } from '../auth/api-access.ts';
import type { ApiContext } from '../graphql/graphql-context.ts';
import { queryLimitError, type QueryLimits } from '../graphql/query-limits.ts';
import { admitRequest, type Refusal } from './request-admission.ts';

/** A GraphQL request refused before Apollo sees it: status, headers and GraphQL `errors`. */
export interface GraphQLRefusal {
  status: number;
  headers?: Record<string, string>;
  errors: GraphQLFormattedError[];
}

/** What the GraphQL HTTP handler asks before running a request (api/http/graphql-http-handler.ts). */
export interface GraphQLRequestGate {
  /** Before the body is read: the operation context (the caller), or a refusal. */
  context(req: IncomingMessage): Promise<{ context: ApiContext } | { refusal: GraphQLRefusal }>;
  /** After the body is parsed, before execution: a refusal (QUERY_TOO_COMPLEX), or undefined. */
  check(request: { method: string; body: unknown; search: string }): GraphQLRefusal | undefined;
}

export function graphQLRefusal(refusal: Refusal): GraphQLRefusal {
  return { status: refusal.status, ...(refusal.headers ? { headers: refusal.headers } : {}), errors: [{ message: refusal.message, extensions: { code: refusal.code } }] };
}

/** The query text of a POST body or a GET query string, when there is one. */
function queryOf(request: { method: string; body: unknown; search: string }): string | undefined {
  if (request.method === 'GET') return new URLSearchParams(request.search).get('query') ?? undefined;
  const query = (request.body as { query?: unknown } | null | undefined)?.query;
  return typeof query === 'string' ? query : undefined;
}

/** Admission of GraphQL over HTTP: the caller (request-admission.ts), then the query limits. */
export function graphQLRequestGate(access: ApiAccess, schema: GraphQLSchema, limits: QueryLimits): GraphQLRequestGate {
  return {
    async context(req) {
      const admitted = await admitRequest(req, access);
      return 'refusal' in admitted ? { refusal: graphQLRefusal(admitted.refusal) } : { context: { principal: admitted.principal } };
    },
    check(request) {
      const query = queryOf(request);
      const error = query === undefined ? undefined : queryLimitError(schema, query, limits);
      return error ? { status: 400, errors: [{ message: error.message, extensions: error.extensions }] } : undefined;
    },
  };
}
