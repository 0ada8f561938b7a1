import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API token secrets: `slc_<id>_<secret>`, where `id` (12 hex characters) names the token
 * in lists, logs and audit entries, and `secret` is 256 random bits (base64url). The
 * prefix makes a leaked token recognisable to secret scanners. Only the SHA-256 of the
 * whole token string is stored; a presented token is hashed and compared in constant time.
 * (A fast hash is enough: the secret has 256 bits of entropy, nothing to brute-force.)
 */

export const TOKEN_PREFIX = 'slc_';
const TOKEN_PATTERN = /^slc_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface IssuedToken {
  id: string;
  /** The bearer token; shown once, never stored. */
  secret: string;
  /** Hex SHA-256 of `secret`, what storage keeps. */
  secretSha256: string;
}

export function issueToken(random: (n: number) => Buffer = randomBytes): IssuedToken {
  const id = random(6).toString('hex');
  const secret = `${TOKEN_PREFIX}${id}_${random(32).toString('base64url')}`;
  return { id, secret, secretSha256: sha256Hex(secret) };
}

/** The token id of a well-formed token, or undefined. */
export function parseToken(text: string): { id: string } | undefined {
  const match = TOKEN_PATTERN.exec(text);
  return match ? { id: match[1]! } : undefined;
}

/** Whether `presented` hashes to `storedSha256` (hex), in time independent of where they differ. */
export function tokenMatches(presented: string, storedSha256: string): boolean {
  const stored = Buffer.from(storedSha256, 'hex');
  const actual = createHash('sha256').update(presented).digest();
  return stored.length === actual.length && timingSafeEqual(stored, actual);
}

/** The token in an `Authorization: Bearer …` header value; undefined when there is no bearer token. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization.trim());
  return match ? match[1] : undefined;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
