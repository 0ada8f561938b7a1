import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiAccess } from '../auth/api-access.ts';
import { AuthError } from '../auth/authenticator.ts';
import { denial } from '../auth/field-authorization.ts';
import type { Principal } from '../auth/principal.ts';
import { ruleFor } from '../auth/roles.ts';
import { crossSiteRefusal, isStateChanging, openModeHostRefusal } from './cross-site-guard.ts';

/** Why a request is not served: HTTP status, a stable code and a message. */
export interface Refusal {
  status: number;
  code: 'UNAUTHENTICATED' | 'FORBIDDEN' | 'UNAVAILABLE' | 'QUERY_TOO_COMPLEX' | 'PAYLOAD_TOO_LARGE';
  message: string;
  headers?: Record<string, string>;
}

/**
 * The checks every API request passes before its handler runs, whatever the auth mode:
 * no state-changing request from another site; with auth off, only loopback Host names;
 * then the caller (bearer token, or the open-mode caller) and, when `operation` is given,
 * its permission for it (api/auth/roles.ts).
 */
export async function admitRequest(req: IncomingMessage, access: ApiAccess, operation?: string): Promise<{ principal: Principal } | { refusal: Refusal }> {
  const crossSite = isStateChanging(req.method) ? crossSiteRefusal(req) : undefined;
  if (crossSite) return { refusal: { status: 403, code: 'FORBIDDEN', message: crossSite } };
  if (access.authenticator.mode === 'off') {
    const host = openModeHostRefusal(req);
    if (host) return { refusal: { status: 403, code: 'FORBIDDEN', message: host } };
  }
  let principal: Principal;
  try {
    principal = await access.authenticator.authenticate(req.headers.authorization);
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    const code = err.code === 'UNAVAILABLE' ? 'UNAVAILABLE' : 'UNAUTHENTICATED';
    return { refusal: { status: err.status, code, message: err.message, ...(code === 'UNAUTHENTICATED' ? { headers: { 'www-authenticate': 'Bearer realm="sluice"' } } : {}) } };
  }
  if (operation !== undefined) {
    const reason = await denial(principal, operation, ruleFor(operation), {}, access.ownership);
    if (reason) return { refusal: { status: 403, code: 'FORBIDDEN', message: reason } };
  }
  return { principal };
}

/** Answers a refusal as JSON `{ error, code }`; an unread body is then discarded with the connection. */
export function sendRefusal(req: IncomingMessage, res: ServerResponse, refusal: Refusal, body: unknown = { error: refusal.message, code: refusal.code }): void {
  const text = JSON.stringify(body);
  res.writeHead(refusal.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...refusal.headers });
  res.end(text);
  if (!req.complete) res.once('finish', () => req.destroy());
}
