import { SluiceError } from '../../platform/errors/sluice-error.ts';
import { issueToken } from './api-token.ts';
import type { Principal } from './principal.ts';
import { isRole, ROLE_GRANTS, ROLES } from './roles.ts';
import { tokenStatus, type TokenRecord, type TokenStore } from './token-store.ts';

/** Default lifetime of a token when none is given, ms (90 days). */
export const DEFAULT_TOKEN_LIFETIME_MS = 90 * 86_400_000;

export interface CreateTokenInput {
  name: string;
  role: string;
  teams?: readonly string[];
  /** Lifetime, ms; null = never expires; undefined = DEFAULT_TOKEN_LIFETIME_MS. */
  expiresInMs?: number | null;
}

/** A token request or revocation that cannot be done as asked; `argument` names the input at fault. */
export class TokenInputError extends SluiceError {
  readonly argument: string;
  readonly notFound: boolean;
  constructor(argument: string, message: string, opts: { notFound?: boolean } = {}) {
    super(opts.notFound ? 'NOT_FOUND' : 'BAD_USER_INPUT', message);
    this.name = 'TokenInputError';
    this.argument = argument;
    this.notFound = opts.notFound ?? false;
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$/;
const TEAM = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TOKEN_ID = /^[0-9a-f]{12}$/;

/**
 * Creating, listing and revoking tokens — the same rules for the CLI (`sluice token`) and
 * the GraphQL mutations. Auditing is the caller's: each surface knows its actor.
 */
export class TokenAdmin {
  private readonly store: TokenStore;
  private readonly now: () => number;
  private readonly onChange: () => void;

  constructor(opts: { store: TokenStore; now: () => number; onChange?: () => void }) {
    this.store = opts.store;
    this.now = opts.now;
    this.onChange = opts.onChange ?? (() => undefined);
  }

  /** Creates a token; the returned `secret` is the only copy there will ever be. */
  async create(input: CreateTokenInput, by: Principal): Promise<{ record: TokenRecord; secret: string }> {
    const name = input.name.trim();
    if (!NAME.test(name) || TOKEN_ID.test(name)) {
      throw new TokenInputError('name', `name must be 1–64 letters, digits or . _ : @ - (starting with a letter or digit, and not 12 hex digits like a token id), got ${JSON.stringify(input.name)}`);
    }
    if (!isRole(input.role)) throw new TokenInputError('role', `role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(input.role)}`);
    const teams = [...new Set((input.teams ?? []).map((t) => t.trim()))].sort();
    const badTeam = teams.find((t) => !TEAM.test(t));
    if (badTeam !== undefined) throw new TokenInputError('teams', `a team must be 1–64 letters, digits or . _ - , got ${JSON.stringify(badTeam)}`);
    if (ROLE_GRANTS[input.role].requiresTeams && teams.length === 0) {
      throw new TokenInputError('teams', `role ${input.role} acts for teams: name at least one (--team)`);
    }
    const lifetime = input.expiresInMs === undefined ? DEFAULT_TOKEN_LIFETIME_MS : input.expiresInMs;
    if (lifetime !== null && !(Number.isSafeInteger(lifetime) && lifetime > 0)) {
      throw new TokenInputError('expires', `a lifetime must be a positive whole number of ms, got ${lifetime}`);
    }
    const nowMs = this.now();
    const existing = await this.store.all();
    if (existing.some((r) => r.name === name && tokenStatus(r, nowMs) !== 'revoked')) {
      throw new TokenInputError('name', `a token named ${JSON.stringify(name)} exists and is not revoked: revoke it first or choose another name`);
    }
    let issued = issueToken();
    while (existing.some((r) => r.id === issued.id)) issued = issueToken();
    const record: TokenRecord = {
      id: issued.id, name, role: input.role, teams, secretSha256: issued.secretSha256,
      createdAtMs: nowMs, createdBy: by.id, expiresAtMs: lifetime === null ? null : nowMs + lifetime,
      revokedAtMs: null, revokedBy: '', version: nowMs,
    };
    await this.store.put(record);
    this.onChange();
    return { record, secret: issued.secret };
  }

  /** Revokes the token with this id, or the unrevoked token with this name. */
  async revoke(idOrName: string, by: Principal): Promise<TokenRecord> {
    const all = await this.store.all();
    const target = all.find((r) => r.id === idOrName) ?? all.find((r) => r.name === idOrName && r.revokedAtMs === null);
    if (!target) throw new TokenInputError('id', `no token with id or name ${JSON.stringify(idOrName)}`, { notFound: true });
    if (target.revokedAtMs !== null) throw new TokenInputError('id', `token ${target.id} (${target.name}) is already revoked`);
    const nowMs = this.now();
    const revoked: TokenRecord = { ...target, revokedAtMs: nowMs, revokedBy: by.id, version: Math.max(target.version + 1, nowMs) };
    await this.store.put(revoked);
    this.onChange();
    return revoked;
  }

  /** Every token, newest first. */
  async list(): Promise<TokenRecord[]> {
    return (await this.store.all()).sort((a, b) => b.createdAtMs - a.createdAtMs || (a.id < b.id ? -1 : 1));
  }
}
