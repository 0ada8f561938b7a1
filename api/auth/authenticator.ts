import { SluiceError } from '../../platform/errors/sluice-error.ts';
import { bearerToken, parseToken, tokenMatches } from './api-token.ts';
import { OPEN_PRINCIPAL, type Principal } from './principal.ts';
import { tokenStatus, type TokenRecord, type TokenStore } from './token-store.ts';

/** `required`: every request needs a valid token. `off`: no token needed (loopback only; see auth-mode.ts). */
export type AuthMode = 'required' | 'off';

/** Why a request has no principal: UNAUTHENTICATED (401), or UNAVAILABLE (503) when tokens cannot be read. */
export class AuthError extends SluiceError {
  readonly status: 401 | 503;
  constructor(code: 'UNAUTHENTICATED' | 'UNAVAILABLE', message: string, opts: { cause?: unknown } = {}) {
    super(code, message, { retriable: code === 'UNAVAILABLE', ...opts });
    this.name = 'AuthError';
    this.status = code === 'UNAUTHENTICATED' ? 401 : 503;
  }
}

export interface AuthenticatorOptions {
  mode: AuthMode;
  store: TokenStore;
  now: () => number;
  /** Token records are re-read when older than this, ms: a revocation from another process applies within it (default 5000). */
  refreshMs?: number;
  /**
   * An unknown token id triggers a re-read at most this often, ms (default 1000): a request
   * with a token created a moment ago elsewhere waits for the next re-read rather than
   * failing, and a flood of made-up ids costs one read per interval.
   */
  missRefreshMs?: number;
  /** Waits `ms` (tests pass a fake). */
  sleep?: (ms: number) => Promise<void>;
  /** When re-reading fails, older records are used up to this age, ms; then requests get 503 (default 60000). */
  maxStaleMs?: number;
}

/**
 * Turns an `Authorization` header into a Principal. Token records are cached in the
 * process and re-read from the store every `refreshMs`; revoking in this process
 * (TokenAdmin's onChange → invalidate) applies at once.
 */
export class Authenticator {
  readonly mode: AuthMode;
  private readonly store: TokenStore;
  private readonly now: () => number;
  private readonly refreshMs: number;
  private readonly missRefreshMs: number;
  private readonly maxStaleMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private byId = new Map<string, TokenRecord>();
  private loadedAtMs = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | undefined;

  constructor(opts: AuthenticatorOptions) {
    this.mode = opts.mode;
    this.store = opts.store;
    this.now = opts.now;
    this.refreshMs = opts.refreshMs ?? 5_000;
    this.missRefreshMs = opts.missRefreshMs ?? 1_000;
    this.maxStaleMs = opts.maxStaleMs ?? 60_000;
    this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Forgets cached records: the next request re-reads them. */
  invalidate(): void {
    this.loadedAtMs = Number.NEGATIVE_INFINITY;
  }

  /**
   * The caller of a request with this `Authorization` header. With auth off, a request
   * without a token is the open-mode caller, and one with a token is that token's holder
   * (so pipelines can be tested with their tokens before auth is switched on).
   */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (authorization === undefined || authorization.trim() === '') {
      if (this.mode === 'off') return OPEN_PRINCIPAL;
      throw new AuthError('UNAUTHENTICATED', 'no token: send `Authorization: Bearer <token>` (an admin creates tokens with `sluice token create`)');
    }
    const presented = bearerToken(authorization);
    const parsed = presented === undefined ? undefined : parseToken(presented);
    if (presented === undefined || parsed === undefined) {
      throw new AuthError('UNAUTHENTICATED', 'the Authorization header does not hold a sluice bearer token (`Bearer slc_…`)');
    }
    let record = await this.lookup(parsed.id, this.refreshMs);
    if (!record) {
      const seen = this.loadedAtMs;
      const wait = seen + this.missRefreshMs - this.now();
      if (wait > 0) await this.sleep(wait);
      // re-read unless another request did while this one waited
      if (this.loadedAtMs === seen) await this.reload();
      record = this.byId.get(parsed.id);
    }
    // the same answer for an unknown id and a wrong secret: no oracle for ids
    if (!record || !tokenMatches(presented, record.secretSha256)) throw new AuthError('UNAUTHENTICATED', 'unknown or invalid token');
    const status = tokenStatus(record, this.now());
    if (status === 'revoked') throw new AuthError('UNAUTHENTICATED', `token ${record.id} (${record.name}) was revoked`);
    if (status === 'expired') throw new AuthError('UNAUTHENTICATED', `token ${record.id} (${record.name}) expired at ${new Date(record.expiresAtMs!).toISOString()}`);
    return { id: record.id, name: record.name, role: record.role, teams: [...record.teams], kind: 'token' };
  }

  /** The record of `id`, re-reading the store when the cache is older than `maxAgeMs`. */
  private async lookup(id: string, maxAgeMs: number): Promise<TokenRecord | undefined> {
    if (this.now() - this.loadedAtMs > maxAgeMs) await this.reload();
    return this.byId.get(id);
  }

  private async reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const records = await this.store.all();
        this.byId = new Map(records.map((r) => [r.id, r]));
        this.loadedAtMs = this.now();
      } catch (err) {
        if (this.now() - this.loadedAtMs > this.maxStaleMs) {
          throw new AuthError('UNAVAILABLE', 'API tokens cannot be read from storage right now; retry later', { cause: err });
        }
      } finally {
        this.loading = undefined;
      }
    })();
    await this.loading;
  }
}
