import { parseDurationMs } from '../../engine/core/time/duration.ts';
import { SluiceError } from '../../platform/errors/sluice-error.ts';
import type { FlagSpec, ParsedFlags } from './command-options.ts';
import { stringFlag, UsageError } from './command-options.ts';

/** The flags every API-calling command takes (`sluice gate`, …), with their env vars. */
export const API_CLIENT_FLAGS: FlagSpec[] = [
  { name: 'url', env: 'SLUICE_API_URL', doc: 'sluice API base URL (default http://127.0.0.1:4000; /graphql is added)' },
  { name: 'token', env: 'SLUICE_TOKEN', doc: 'API bearer token (slc_…); prefer the env var: flags show in process lists' },
  { name: 'timeout', env: 'SLUICE_API_TIMEOUT', doc: 'give up after this long: 30s, 2m, or ms (default 30s)' },
];

export const DEFAULT_API_URL = 'http://127.0.0.1:4000';
export const DEFAULT_API_TIMEOUT_MS = 30_000;

export interface ApiClientOptions {
  /** GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  endpoint: string;
  token: string | undefined;
  /** Per request, ms. */
  timeoutMs: number;
}

/** Why a call to the API failed; the message names the option to look at. */
export class ApiClientError extends SluiceError {
  constructor(code: 'API_UNREACHABLE' | 'API_TIMEOUT' | 'API_UNAUTHENTICATED' | 'API_FORBIDDEN' | 'API_ERROR' | 'API_BAD_RESPONSE', message: string, opts: { cause?: unknown; retriable?: boolean } = {}) {
    super(code, message, opts);
    this.name = 'ApiClientError';
  }
}

/** Client options from `--url/--token/--timeout` (or SLUICE_API_URL, SLUICE_TOKEN, SLUICE_API_TIMEOUT). */
export function apiClientOptions(flags: ParsedFlags): ApiClientOptions {
  const base = stringFlag(flags, 'url') ?? DEFAULT_API_URL;
  let endpoint: URL;
  try {
    endpoint = new URL(base);
    if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new UsageError(`--url (SLUICE_API_URL) must be an http(s) URL such as http://127.0.0.1:4000, got ${JSON.stringify(base)}`);
  }
  if (endpoint.pathname === '/' || endpoint.pathname === '') endpoint.pathname = '/graphql';
  const timeoutText = stringFlag(flags, 'timeout');
  const timeoutMs = timeoutText === undefined ? DEFAULT_API_TIMEOUT_MS : /^\d+$/.test(timeoutText) ? Number(timeoutText) : parseDurationMs(timeoutText);
  if (timeoutMs === undefined || !(timeoutMs > 0)) throw new UsageError(`--timeout (SLUICE_API_TIMEOUT) must be a duration such as 30s or 2m, or ms; got ${JSON.stringify(timeoutText)}`);
  return { endpoint: endpoint.toString(), token: stringFlag(flags, 'token'), timeoutMs };
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** A GraphQL client for the CLI: one POST per request, bearer token, timeout, errors naming the option. */
export class ApiClient {
  private readonly opts: ApiClientOptions;
  private readonly fetchImpl: typeof fetch;

  constructor(opts: ApiClientOptions, fetchImpl: typeof fetch = fetch) {
    this.opts = opts;
    this.fetchImpl = fetchImpl;
  }

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const { endpoint, token, timeoutMs } = this.opts;
    let response: Response;
    try {
      response = await this.fetchImpl(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw this.transportError(err);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      throw this.transportError(err);
    }
    let body: GraphQLResponse<T>;
    try {
      body = JSON.parse(text) as GraphQLResponse<T>;
    } catch {
      throw new ApiClientError('API_BAD_RESPONSE', `${endpoint} answered HTTP ${response.status} with something that is not GraphQL JSON (is --url / SLUICE_API_URL a sluice API?): ${text.slice(0, 200)}`);
    }
    const first = body.errors?.[0];
    if (first) {
      const code = first.extensions?.code ?? 'UNKNOWN';
      if (code === 'UNAUTHENTICATED') {
        const hint = token ? 'the API refused the token (--token / SLUICE_TOKEN)' : 'the API requires a token: set SLUICE_TOKEN or pass --token';
        throw new ApiClientError('API_UNAUTHENTICATED', `${hint}: ${first.message}`);
      }
      if (code === 'FORBIDDEN') throw new ApiClientError('API_FORBIDDEN', `the token (--token / SLUICE_TOKEN) may not do this: ${first.message}`);
      throw new ApiClientError('API_ERROR', `${code}: ${first.message}`, { retriable: code === 'UNAVAILABLE' });
    }
    if (body.data === undefined || body.data === null) throw new ApiClientError('API_BAD_RESPONSE', `${endpoint} answered HTTP ${response.status} without data`);
    return body.data;
  }

  private transportError(err: unknown): ApiClientError {
    const { endpoint, timeoutMs } = this.opts;
    if (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
      return new ApiClientError('API_TIMEOUT', `no answer from ${endpoint} within ${timeoutMs} ms (--timeout / SLUICE_API_TIMEOUT)`, { cause: err, retriable: true });
    }
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message ?? (err as Error).message;
    return new ApiClientError('API_UNREACHABLE', `cannot reach the sluice API at ${endpoint} (--url / SLUICE_API_URL): ${detail}`, { cause: err, retriable: true });
  }
}
