import type { RouteHandler } from './http-server.ts';

/** `GET /`: a short plain-text map of the endpoints, for people who open the port in a browser. */
export function indexPageRoute(): RouteHandler {
  return async (req, res, url) => {
    if (url.pathname !== '/' || req.method !== 'GET') return false;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end([
      'sluice',
      '',
      'POST /graphql                 GraphQL (query { health { … } })',
      'POST /ingest/<signal>         NDJSON of sluice v1 contracts: spans, logs, checks, deploys, incidents',
      'POST /v1/traces, /v1/logs     OTLP/HTTP (protobuf or JSON)',
      '',
    ].join('\n'));
    return true;
  };
}
