import { describe, expect, it } from 'vitest';
import { InMemoryTokenStore } from '../../../api/auth/in-memory-token-store.ts';
import { DEFAULT_TOKEN_LIFETIME_MS, TokenAdmin, type CreateTokenInput } from '../../../api/auth/token-admin.ts';
import { operatorPrincipal } from '../../../api/auth/principal.ts';

const TEST_OPERATOR = operatorPrincipal('tester', 'localhost');

const NOW = 1_700_000_000_000;
const admin = () => new TokenAdmin({ store: new InMemoryTokenStore(), now: () => NOW });

describe('TokenAdmin', () => {
  it('creates a token with a 90-day default lifetime, recording who created it and never the secret', async () => {
    const a = admin();
    const { record, secret } = await a.create({ name: 'ci-main', role: 'ci' }, TEST_OPERATOR);
    expect(record).toMatchObject({ name: 'ci-main', role: 'ci', teams: [], createdAtMs: NOW, createdBy: 'cli:tester', expiresAtMs: NOW + DEFAULT_TOKEN_LIFETIME_MS, revokedAtMs: null });
    expect(JSON.stringify(await a.list())).not.toContain(secret);
  });

  it.each<[string, CreateTokenInput, RegExp]>([
    ['an unknown role', { name: 'x', role: 'root' }, /role must be one of viewer, ci, ingest, team-owner/],
    ['a team-owner without teams', { name: 'x', role: 'team-owner' }, /role team-owner acts for teams/],
    ['a bad name', { name: 'has space', role: 'viewer' }, /name must be/],
    ['a name that looks like a token id', { name: '0123456789ab', role: 'viewer' }, /not 12 hex digits/],
    ['a bad team', { name: 'x', role: 'sre', teams: ['a b'] }, /a team must be/],
    ['a zero lifetime', { name: 'x', role: 'viewer', expiresInMs: 0 }, /lifetime must be a positive/],
  ])('refuses %s as BAD_USER_INPUT', async (_what, input, message) => {
    await expect(admin().create(input, TEST_OPERATOR)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(message) });
  });

  it('keeps names unique among tokens that are not revoked', async () => {
    const a = admin();
    await a.create({ name: 'dash', role: 'viewer' }, TEST_OPERATOR);
    await expect(a.create({ name: 'dash', role: 'viewer' }, TEST_OPERATOR)).rejects.toThrow(/exists and is not revoked/);
    await a.revoke('dash', TEST_OPERATOR);
    await expect(a.create({ name: 'dash', role: 'viewer', expiresInMs: null }, TEST_OPERATOR)).resolves.toMatchObject({ record: { expiresAtMs: null } });
  });

  it('revokes by id or name, once, with a higher version', async () => {
    const a = admin();
    const { record } = await a.create({ name: 'ci', role: 'ci' }, TEST_OPERATOR);
    const revoked = await a.revoke(record.id, TEST_OPERATOR);
    expect(revoked).toMatchObject({ revokedAtMs: NOW, revokedBy: 'cli:tester' });
    expect(revoked.version).toBeGreaterThan(record.version);
    await expect(a.revoke(record.id, TEST_OPERATOR)).rejects.toThrow(/already revoked/);
    await expect(a.revoke('nope', TEST_OPERATOR)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
