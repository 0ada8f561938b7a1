import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiAccess } from '../../../api/auth/api-access.ts';
import { InMemoryTokenStore } from '../../../api/auth/in-memory-token-store.ts';
import { operatorPrincipal } from '../../../api/auth/principal.ts';
import { InMemoryAuditStore } from '../../../api/audit/in-memory-audit-store.ts';
import { guardAlertRoute } from '../../../api/cli/alert-webhook-routes.ts';

const SECRET = 'alert-secret-0123456789abcdef';

describe('the alert doors\' admission', () => {
  let server: Server;
  let url: string;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    const access = createApiAccess({ mode: 'required', tokenStore: new InMemoryTokenStore(), auditStore: new InMemoryAuditStore(), auditWriter: 'test', now: Date.now });
    for (const role of ['ingest', 'viewer'] as const) tokens[role] = (await access.tokens.create({ name: role, role, teams: [] }, operatorPrincipal('t', 'h'))).secret;
    const route = guardAlertRoute(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":0}');
      return true;
    }, access, SECRET);
    server = createServer((req, res) => void route(req, res, new URL(req.url!, 'http://x')).then((handled) => void (handled || res.writeHead(404).end())));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it.each([
    { name: 'the shared secret as bearer credentials', headers: () => ({ authorization: `Bearer ${SECRET}` }), status: 200 },
    { name: 'an ingest token', headers: () => ({ authorization: `Bearer ${tokens.ingest}` }), status: 200 },
    { name: 'a viewer token (no events:ingest)', headers: () => ({ authorization: `Bearer ${tokens.viewer}` }), status: 403 },
    { name: 'a wrong secret', headers: () => ({ authorization: `Bearer ${SECRET.replace('0', '1')}` }), status: 401 },
    { name: 'nothing', headers: () => ({}), status: 401 },
    { name: 'the secret, but from another web site', headers: () => ({ authorization: `Bearer ${SECRET}`, origin: 'https://evil.example' }), status: 403 },
  ])('$name → $status', async ({ headers, status }) => {
    const res = await fetch(`${url}/alerts/alertmanager`, { method: 'POST', headers: headers() as Record<string, string>, body: '{}' });
    expect(res.status).toBe(status);
  });

  it('leaves other paths to other routes', async () => {
    expect((await fetch(`${url}/ingest/spans`, { method: 'POST', body: '' })).status).toBe(404);
  });
});
