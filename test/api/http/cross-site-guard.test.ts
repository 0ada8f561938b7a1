import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossSiteRefusal, openModeHostRefusal } from '../../../api/http/cross-site-guard.ts';
import { startTestApi, type TestApi } from './api-harness.ts';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('cross-site refusal', () => {
  it.each([
    [{}, undefined],
    [{ host: '127.0.0.1:4000', origin: 'http://127.0.0.1:4000', 'sec-fetch-site': 'same-origin' }, undefined],
    [{ host: 'sluice.internal', 'x-forwarded-host': 'sluice.example.com', origin: 'https://sluice.example.com' }, undefined],
    [{ host: '127.0.0.1:4000', 'sec-fetch-site': 'cross-site' }, /Sec-Fetch-Site: cross-site/],
    [{ host: '127.0.0.1:4000', origin: 'https://evil.example' }, /Origin https:\/\/evil.example is not this server/],
    [{ host: '127.0.0.1:4000', origin: 'http://127.0.0.1:3000' }, /is not this server/],
    [{ host: '127.0.0.1:4000', origin: 'null' }, /Origin: null/],
  ])('%j → %s', (headers, expected) => {
    const refusal = crossSiteRefusal(req(headers));
    if (expected === undefined) expect(refusal).toBeUndefined();
    else expect(refusal).toMatch(expected);
  });

  it.each([
    ['127.0.0.1:4000', true], ['localhost:4000', true], ['[::1]:4000', true], ['evil.example:4000', false], ['192.168.1.5:4000', false],
  ])('open mode accepts Host %s: %s (DNS rebinding)', (host, accepted) => {
    expect(openModeHostRefusal(req({ host })) === undefined).toBe(accepted);
  });
});

describe.each(['required', 'off'] as const)('with auth %s, the whole API', (mode) => {
  let api: TestApi;
  let ingestToken: string;
  beforeAll(async () => {
    api = await startTestApi({ mode });
    ingestToken = await api.tokenFor('ingest');
  });
  afterAll(async () => api.close());

  const forgedBreach = '{"service":"checkout","traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","startTimeMs":1,"durationMs":1,"httpStatusCode":500}\n';

  it.each(['/ingest/spans', '/v1/traces', '/graphql'])('refuses a cross-site browser POST to %s, even with a valid token', async (path) => {
    for (const headers of [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }]) {
      const res = await fetch(`${api.url}${path}`, { method: 'POST', headers: { 'content-type': 'text/plain', authorization: `Bearer ${ingestToken}`, ...headers }, body: forgedBreach });
      expect(res.status).toBe(403);
      const body = await res.json() as { code?: string; errors?: { extensions: { code: string } }[] };
      expect(body.code ?? body.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    }
    expect(api.ingested).toEqual([]);
  });

  it('accepts the same POST from the same origin with an ingest token', async () => {
    const res = await fetch(`${api.url}/ingest/spans`, { method: 'POST', headers: { origin: api.url, 'sec-fetch-site': 'same-origin', authorization: `Bearer ${ingestToken}` }, body: forgedBreach });
    expect(res.status).toBe(200);
    expect(api.ingested.at(-1)).toEqual({ path: '/ingest/spans', body: forgedBreach });
  });

  // only open mode checks Host (a conditional test, not a skipped one: CI counts 0 skipped)
  if (mode === 'off') it('refuses a request whose Host is not loopback (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const r = request(`${api.url}/ingest/spans`, { method: 'POST', headers: { host: 'evil.example:4000' } }, (res) => resolve(res.statusCode ?? 0));
      r.on('error', reject);
      r.end(forgedBreach);
    });
    expect(status).toBe(403);
  });
});

describe('ingest with auth required', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ mode: 'required' });
  });
  afterAll(async () => api.close());

  it.each(['/ingest/spans', '/v1/traces', '/v1/logs'])('%s: no token → 401, a token without events:ingest → 403, an ingest token → through', async (path) => {
    const post = (token?: string) => fetch(`${api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: '{}' });
    const none = await post();
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="sluice"');
    expect(await none.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    for (const role of ['viewer', 'ci', 'sre', 'auditor'] as const) {
      const res = await post(await api.tokenFor(role));
      expect(res.status, role).toBe(403);
      expect(await res.json()).toMatchObject({ code: 'FORBIDDEN', error: expect.stringMatching(/needs permission events:ingest/) });
    }
    expect(api.ingested.filter((i) => i.path === path)).toEqual([]);
    expect((await post(await api.tokenFor('ingest'))).status).toBe(200);
    expect(api.ingested.filter((i) => i.path === path)).toHaveLength(1);
  });
});
