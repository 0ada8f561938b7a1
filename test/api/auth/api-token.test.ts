import { describe, expect, it } from 'vitest';
import { bearerToken, issueToken, parseToken, tokenMatches } from '../../../api/auth/api-token.ts';

describe('API token secrets', () => {
  it('are slc_<12 hex id>_<256-bit base64url secret>, stored only as the SHA-256 of the whole token', () => {
    const t = issueToken();
    expect(t.secret).toMatch(/^slc_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(parseToken(t.secret)).toEqual({ id: t.id });
    expect(t.secretSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(t.secretSha256).not.toContain(t.secret.slice(17));
  });

  it('match only the exact token they were issued as', () => {
    const t = issueToken();
    expect(tokenMatches(t.secret, t.secretSha256)).toBe(true);
    const flipped = `${t.secret.slice(0, -1)}${t.secret.endsWith('A') ? 'B' : 'A'}`;
    expect(tokenMatches(flipped, t.secretSha256)).toBe(false);
    expect(tokenMatches(t.secret, 'not-hex')).toBe(false);
  });

  it.each([
    ['Bearer slc_abc', 'slc_abc'],
    ['bearer   slc_abc  ', 'slc_abc'],
    ['Basic dXNlcjpwdw==', undefined],
    ['Bearer', undefined],
    [undefined, undefined],
  ])('reads the bearer token of %j', (header, expected) => {
    expect(bearerToken(header)).toBe(expected);
  });

  it.each(['slc_', 'slc_0123456789ab_short', 'xyz_0123456789ab_' + 'a'.repeat(43), 'slc_0123456789AB_' + 'a'.repeat(43)])('refuses malformed token %s', (text) => {
    expect(parseToken(text)).toBeUndefined();
  });
});
