import { describe, expect, it } from 'vitest';
import { Authenticator } from '../../../api/auth/authenticator.ts';
import { InMemoryTokenStore } from '../../../api/auth/in-memory-token-store.ts';
import { OPEN_PRINCIPAL, operatorPrincipal } from '../../../api/auth/principal.ts';
import { TokenAdmin } from '../../../api/auth/token-admin.ts';
import type { TokenRecord, TokenStore } from '../../../api/auth/token-store.ts';

const TEST_OPERATOR = operatorPrincipal('tester', 'localhost');

function setup(mode: 'required' | 'off' = 'required') {
  const clock = { now: 1_000_000 };
  const store = new InMemoryTokenStore();
  const now = () => clock.now;
  const auth = new Authenticator({ mode, store, now, refreshMs: 5_000, missRefreshMs: 1_000, sleep: async (ms) => void (clock.now += ms) });
  // a second process's admin: its changes reach `auth` only through the store
  const otherProcess = new TokenAdmin({ store, now });
  return { clock, store, auth, otherProcess };
}

describe('Authenticator', () => {
  it('turns a valid bearer token into its holder', async () => {
    const { auth, otherProcess } = setup();
    const { secret, record } = await otherProcess.create({ name: 'ci-main', role: 'ci', teams: [] }, TEST_OPERATOR);
    await expect(auth.authenticate(`Bearer ${secret}`)).resolves.toEqual({ id: record.id, name: 'ci-main', role: 'ci', teams: [], kind: 'token' });
  });

  it.each([
    [undefined, /no token/],
    ['', /no token/],
    ['Basic abc', /does not hold a sluice bearer token/],
    ['Bearer slc_000000000000_' + 'a'.repeat(43), /unknown or invalid token/],
  ])('refuses %j as UNAUTHENTICATED', async (header, message) => {
    const { auth } = setup();
    await expect(auth.authenticate(header)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', status: 401, message: expect.stringMatching(message) });
  });

  it('gives a wrong secret of a known id the same answer as an unknown id', async () => {
    const { auth, otherProcess } = setup();
    const { secret } = await otherProcess.create({ name: 'x', role: 'viewer' }, TEST_OPERATOR);
    await expect(auth.authenticate(`Bearer ${secret.slice(0, 17)}${'b'.repeat(43)}`)).rejects.toThrow('unknown or invalid token');
  });

  it('applies a revocation made by another process within the refresh interval', async () => {
    const { auth, otherProcess, clock } = setup();
    const { secret, record } = await otherProcess.create({ name: 'x', role: 'viewer' }, TEST_OPERATOR);
    await auth.authenticate(`Bearer ${secret}`);
    await otherProcess.revoke(record.id, TEST_OPERATOR);
    clock.now += 4_000;
    await expect(auth.authenticate(`Bearer ${secret}`)).resolves.toMatchObject({ id: record.id }); // cached: ≤ 5 s
    clock.now += 1_001;
    await expect(auth.authenticate(`Bearer ${secret}`)).rejects.toThrow(/was revoked/);
  });

  it('accepts a token created by another process a moment ago, after waiting at most missRefreshMs for a re-read', async () => {
    const { auth, otherProcess, clock } = setup();
    const first = await otherProcess.create({ name: 'a', role: 'viewer' }, TEST_OPERATOR);
    await auth.authenticate(`Bearer ${first.secret}`);
    const loadedAt = clock.now;
    const fresh = await otherProcess.create({ name: 'b', role: 'viewer' }, TEST_OPERATOR);
    await expect(auth.authenticate(`Bearer ${fresh.secret}`)).resolves.toMatchObject({ name: 'b' });
    expect(clock.now - loadedAt).toBe(1_000);
  });

  it('applies a revocation in its own process at once (invalidate)', async () => {
    const { auth, store, clock } = setup();
    const admin = new TokenAdmin({ store, now: () => clock.now, onChange: () => auth.invalidate() });
    const { secret, record } = await admin.create({ name: 'x', role: 'viewer' }, TEST_OPERATOR);
    await auth.authenticate(`Bearer ${secret}`);
    await admin.revoke('x', TEST_OPERATOR);
    await expect(auth.authenticate(`Bearer ${secret}`)).rejects.toThrow(`token ${record.id} (x) was revoked`);
  });

  it('refuses an expired token', async () => {
    const { auth, otherProcess, clock } = setup();
    const { secret } = await otherProcess.create({ name: 'short', role: 'viewer', expiresInMs: 60_000 }, TEST_OPERATOR);
    await auth.authenticate(`Bearer ${secret}`);
    clock.now += 60_000;
    await expect(auth.authenticate(`Bearer ${secret}`)).rejects.toThrow(/expired at/);
  });

  it('with auth off, lets a request without a token in as the open-mode caller, and still checks a presented token', async () => {
    const { auth } = setup('off');
    await expect(auth.authenticate(undefined)).resolves.toBe(OPEN_PRINCIPAL);
    await expect(auth.authenticate('Bearer slc_000000000000_' + 'a'.repeat(43))).rejects.toThrow('unknown or invalid token');
  });

  it('uses cached records while storage is down for up to maxStaleMs, then answers UNAVAILABLE', async () => {
    const clock = { now: 0 };
    const inner = new InMemoryTokenStore();
    let down = false;
    const store: TokenStore = { put: (r: TokenRecord) => inner.put(r), all: async () => (down ? Promise.reject(new Error('ClickHouse down')) : inner.all()) };
    const auth = new Authenticator({ mode: 'required', store, now: () => clock.now, refreshMs: 5_000, maxStaleMs: 60_000 });
    const { secret } = await new TokenAdmin({ store, now: () => clock.now }).create({ name: 'x', role: 'viewer' }, TEST_OPERATOR);
    await auth.authenticate(`Bearer ${secret}`);
    down = true;
    clock.now += 30_000;
    await expect(auth.authenticate(`Bearer ${secret}`)).resolves.toMatchObject({ name: 'x' });
    clock.now += 31_000;
    await expect(auth.authenticate(`Bearer ${secret}`)).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 503 });
  });
});
