import type { Server } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import { attachGraphQLSubscriptions, createGraphQLSchema, createGraphQLServer, type ApiDeps, type SubscriptionGuard } from '../graphql/graphql-server.ts';
import { queryLimitError, type QueryLimits } from '../graphql/query-limits.ts';
import { crossSiteRefusal, openModeHostRefusal } from './cross-site-guard.ts';
import { graphQLRequestGate } from './graphql-admission.ts';
import { graphqlConsoleRoute } from './graphql-console-page.ts';
import { createGraphQLHttpHandler } from './graphql-http-handler.ts';
import type { RouteHandler } from './http-server.ts';
import { guardIngestRoute } from './ingest-guard.ts';

export interface ApiRoutesOptions {
  deps: ApiDeps;
  limits: QueryLimits;
  /** Largest GraphQL request body, bytes; larger → 413. */
  maxBodyBytes: number;
}

export interface ApiRoutes {
  /** GraphQL console and GraphQL — mount before other routes. */
  routes: RouteHandler[];
  /** Puts the NDJSON ingest route (`/ingest/<signal>`) behind permission events:ingest and the cross-site check. */
  guardNdjson(route: RouteHandler): RouteHandler;
  /** The same for the OTLP/HTTP route (`/v1/traces`, `/v1/logs`). */
  guardOtlp(route: RouteHandler): RouteHandler;
  /** Serves subscriptions on the HTTP server with the same admission; returns its closer. */
  attachSubscriptions(server: Server): () => Promise<void>;
  graphql: ApolloServer;
  stop(): Promise<void>;
}

/**
 * The API of a serving process, secured: every GraphQL operation (HTTP and WebSocket)
 * and every ingest request goes through the same admission — cross-site refusal, the
 * caller's token (unless auth is off), query limits, the permission table — before it runs.
 */
export async function createApiRoutes(opts: ApiRoutesOptions): Promise<ApiRoutes> {
  const { access } = opts.deps;
  const schema = createGraphQLSchema(opts.deps);
  const graphql = createGraphQLServer(opts.deps, schema);
  await graphql.start();
  const handler = createGraphQLHttpHandler(graphql, opts.maxBodyBytes, graphQLRequestGate(access, schema, opts.limits));
  const routes: RouteHandler[] = [
    graphqlConsoleRoute(),
    async (req, res, url) => {
      if (url.pathname !== '/graphql') return false;
      await handler(req, res, url);
      return true;
    },
  ];

  const guard: SubscriptionGuard = {
    // a WebSocket handshake is a GET, but a page of another site can open one: always checked
    refuseUpgrade: (req) => crossSiteRefusal(req) ?? (access.authenticator.mode === 'off' ? openModeHostRefusal(req) : undefined),
    authenticate: (req, params) => {
      const fromParams = typeof params?.authorization === 'string' ? params.authorization : undefined;
      return access.authenticator.authenticate(req.headers.authorization ?? fromParams);
    },
    checkQuery: (query) => queryLimitError(schema, query, opts.limits),
  };
  return {
    routes,
    guardNdjson: (route) => guardIngestRoute(route, access, { paths: /^\/ingest(\/|$)/, operation: 'HTTP POST /ingest/<signal>' }),
    guardOtlp: (route) => guardIngestRoute(route, access, { paths: /^\/v1\/(traces|logs)$/, operation: 'HTTP POST /v1/traces, /v1/logs' }),
    attachSubscriptions: (server) => attachGraphQLSubscriptions(server, schema, opts.deps.logger, '/graphql', guard),
    graphql,
    stop: () => graphql.stop(),
  };
}
