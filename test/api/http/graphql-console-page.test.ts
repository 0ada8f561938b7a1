import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './api-harness.ts';

describe('the GraphQL console at GET /graphql', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ mode: 'required' });
  });
  afterAll(async () => api.close());

  const page = () => fetch(`${api.url}/graphql`, { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });

  it('is served to a browser without a token, as a self-contained page', async () => {
    const res = await page();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('<textarea id="query"');
    expect(html).toContain('id="token"');
    expect(html).toContain('id="variables"');
  });

  it('references no URL outside its own origin (works offline: no CDN, fonts or scripts from elsewhere)', async () => {
    const html = await (await page()).text();
    expect(html.match(/https?:\/\/[^\s"'<>)]+/g) ?? []).toEqual([]);
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]*\s(src|href)=/i);
    expect(html.toLowerCase()).not.toContain('apollo');
    expect(html.toLowerCase()).not.toContain('cdn');
  });

  it('forbids every other source through its Content-Security-Policy', async () => {
    const csp = (await page()).headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'$|script-src 'sha256-[A-Za-z0-9+/=]+';/);
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it('leaves JSON clients to GraphQL (who still need a token)', async () => {
    const res = await fetch(`${api.url}/graphql?query=${encodeURIComponent('{ whoami { name } }')}`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(401);
  });
});
