import type { IncomingMessage } from 'node:http';
import { isLoopbackHost } from '../auth/auth-mode.ts';

/**
 * Browser-borne requests from other sites. A web page can POST a "simple" request
 * (text/plain, form data) to any address the browser reaches — 127.0.0.1 included — so
 * without this check any page could forge ingest data (a fake breach) or call mutations.
 * Browsers mark such requests with `Sec-Fetch-Site` and `Origin`
 * (https://fetch.spec.whatwg.org/#origin-header, https://www.w3.org/TR/fetch-metadata/);
 * non-browser clients (curl, SDK exporters, the CLI) send neither and are unaffected.
 */

/** Everything but GET, HEAD and OPTIONS may change state. */
export function isStateChanging(method: string | undefined): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes((method ?? 'GET').toUpperCase());
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Why a request is refused as coming from another site, or undefined: `Sec-Fetch-Site:
 * cross-site`, an `Origin` of `null` (sandboxed frames, files), or an `Origin` whose
 * host:port is neither the request's `Host` nor the `X-Forwarded-Host` a reverse proxy set.
 */
export function crossSiteRefusal(req: IncomingMessage): string | undefined {
  if (header(req, 'sec-fetch-site')?.toLowerCase() === 'cross-site') return 'cross-site browser request refused (Sec-Fetch-Site: cross-site)';
  const origin = header(req, 'origin');
  if (origin === undefined) return undefined;
  let originHost: string;
  try {
    if (origin === 'null') throw new Error('opaque origin');
    originHost = new URL(origin).host.toLowerCase();
  } catch {
    return `cross-site browser request refused (Origin: ${origin})`;
  }
  const own = [header(req, 'host'), header(req, 'x-forwarded-host')].filter((h): h is string => h !== undefined).map((h) => h.trim().toLowerCase());
  return own.includes(originHost) ? undefined : `cross-site browser request refused (Origin ${origin} is not this server)`;
}

/**
 * With auth off, the `Host` header must name loopback: a page on evil.example whose DNS
 * name is re-pointed at 127.0.0.1 ("DNS rebinding") is then same-origin to the browser, but
 * its requests still say `Host: evil.example` and are refused.
 */
export function openModeHostRefusal(req: IncomingMessage): string | undefined {
  const host = header(req, 'host');
  if (host === undefined) return undefined;
  const name = host.replace(/:\d+$/, '');
  return isLoopbackHost(name) ? undefined : `auth is off (loopback only): requests must address this machine by a loopback name, not ${JSON.stringify(host)}`;
}
