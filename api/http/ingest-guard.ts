import type { ApiAccess } from '../auth/api-access.ts';
import type { RouteHandler } from './http-server.ts';
import { admitRequest, sendRefusal } from './request-admission.ts';

/**
 * Puts an ingest route (NDJSON `/ingest/<signal>`, OTLP/HTTP `/v1/traces|logs`) behind
 * the API's admission: requests on `paths` need a token with permission events:ingest
 * (auth on) and are never accepted from another site; the route itself is unchanged.
 * Refused requests are answered before their body is read.
 */
export function guardIngestRoute(route: RouteHandler, access: ApiAccess, opts: { paths: RegExp; operation: string }): RouteHandler {
  return async (req, res, url) => {
    if (!opts.paths.test(url.pathname)) return false;
    const admitted = await admitRequest(req, access, opts.operation);
    if ('refusal' in admitted) {
      sendRefusal(req, res, admitted.refusal);
      return true;
    }
    return route(req, res, url);
  };
}
