import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ApiAccess } from '../auth/api-access.ts';
import { crossSiteRefusal } from '../http/cross-site-guard.ts';
import type { RouteHandler } from '../http/http-server.ts';
import { admitRequest, sendRefusal } from '../http/request-admission.ts';
import { ALERT_PATH } from '../../ingest/http/alert-webhook-handler.ts';

/** The operation the permission table (api/auth/roles.ts) names the alert doors by. */
export const ALERT_OPERATION = 'HTTP POST /alerts/<source>';

/** Whether the request's bearer credential is the configured shared secret (constant-time comparison). */
export function presentsSecret(req: IncomingMessage, secret: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]!.trim());
  const expected = Buffer.from(secret);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The inbound-alert doors (`/alerts/alertmanager`, `/alerts/datadog`) behind admission: a
 * request from another web site is always refused; one that presents the configured shared
 * secret (SLUICE_ALERT_WEBHOOK_SECRET) as its bearer credential — what an Alertmanager
 * `http_config.authorization` or a Datadog custom header sends — is let in; any other
 * needs an API token with permission events:ingest (the `ingest` role), like every ingest
 * endpoint (docs/api-security.md).
 */
export function guardAlertRoute(route: RouteHandler, access: ApiAccess, secret: string | undefined): RouteHandler {
  return async (req, res, url) => {
    if (!ALERT_PATH.test(url.pathname)) return false;
    const crossSite = crossSiteRefusal(req);
    if (crossSite) {
      sendRefusal(req, res, { status: 403, code: 'FORBIDDEN', message: crossSite });
      return true;
    }
    if (secret !== undefined && presentsSecret(req, secret)) return route(req, res, url);
    const admitted = await admitRequest(req, access, ALERT_OPERATION);
    if ('refusal' in admitted) {
      sendRefusal(req, res, admitted.refusal);
      return true;
    }
    return route(req, res, url);
  };
}
