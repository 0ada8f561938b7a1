import type { Role } from './roles.ts';

/** The stored state of one API token (never its secret: only the secret's SHA-256). */
export interface TokenRecord {
  id: string;
  /** Unique among tokens that are not revoked; `sluice token revoke <name>` finds it. */
  name: string;
  role: Role;
  teams: string[];
  /** Hex SHA-256 of the bearer token. */
  secretSha256: string;
  createdAtMs: number;
  /** Who created it: `cli:<os user>` or the id of an admin token. */
  createdBy: string;
  expiresAtMs: number | null;
  revokedAtMs: number | null;
  revokedBy: string;
  /** Higher versions replace lower ones (creation, then revocation). */
  version: number;
}

export type TokenStatus = 'active' | 'expired' | 'revoked';

export function tokenStatus(record: TokenRecord, nowMs: number): TokenStatus {
  if (record.revokedAtMs !== null) return 'revoked';
  if (record.expiresAtMs !== null && record.expiresAtMs <= nowMs) return 'expired';
  return 'active';
}

/**
 * Where token records live: ClickHouse (clickhouse-token-store.ts) in every mode, or
 * memory (InMemoryTokenStore) in tests. Append-only: a revocation writes a new version.
 */
export interface TokenStore {
  /** Writes a token's new state; the record with the highest version wins. */
  put(record: TokenRecord): Promise<void>;
  /** The latest state of every token. */
  all(): Promise<TokenRecord[]>;
}
