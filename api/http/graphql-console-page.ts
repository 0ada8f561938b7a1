import { createHash } from 'node:crypto';
import type { RouteHandler } from './http-server.ts';

/**
 * The page a browser gets at `GET /graphql`: a small GraphQL console (query, variables,
 * token, result) in plain HTML and JavaScript, shipped in this file. It loads nothing from
 * anywhere — no CDN, no fonts — so it works offline; the Content-Security-Policy below
 * forbids any other source and allows requests only to this origin. The token is kept in
 * the tab's sessionStorage, never in a cookie (so no other site can use it).
 */

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; display: grid; grid-template-rows: auto 1fr; height: 100vh; }
header { display: flex; gap: .75rem; align-items: center; padding: .5rem .75rem; background: #1f2937; color: #f9fafb; }
header h1 { font-size: 1rem; margin: 0; }
header input { flex: 1; max-width: 32rem; font: inherit; padding: .25rem .5rem; }
header button { font: inherit; padding: .25rem 1rem; cursor: pointer; }
main { display: grid; grid-template-columns: 1fr 1fr; gap: .5rem; padding: .5rem; min-height: 0; }
section { display: grid; grid-template-rows: auto 3fr auto 1fr; gap: .25rem; min-height: 0; }
label { font-size: .8rem; color: #4b5563; }
textarea, pre { font: 13px/1.4 ui-monospace, monospace; margin: 0; padding: .5rem; border: 1px solid #d1d5db; border-radius: 4px; resize: none; overflow: auto; }
pre { background: #f9fafb; white-space: pre-wrap; }
#status { font-size: .8rem; }
`;

const SCRIPT = `
const $ = (id) => document.getElementById(id);
const token = $('token');
token.value = sessionStorage.getItem('sluice-token') || '';
token.addEventListener('change', () => sessionStorage.setItem('sluice-token', token.value.trim()));
$('query').value = sessionStorage.getItem('sluice-query') || '{\\n  whoami { name role permissions authMode }\\n  health { version mode clickhouse { reachable } }\\n}\\n';
async function run() {
  const query = $('query').value;
  sessionStorage.setItem('sluice-query', query);
  let variables;
  try {
    variables = $('variables').value.trim() ? JSON.parse($('variables').value) : undefined;
  } catch (e) {
    $('result').textContent = 'variables are not valid JSON: ' + e.message;
    return;
  }
  const headers = { 'content-type': 'application/json' };
  if (token.value.trim()) headers.authorization = 'Bearer ' + token.value.trim();
  $('status').textContent = 'running…';
  const started = performance.now();
  try {
    const res = await fetch(location.pathname, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const text = await res.text();
    let shown = text;
    try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch {}
    $('result').textContent = shown;
    $('status').textContent = 'HTTP ' + res.status + ' in ' + Math.round(performance.now() - started) + ' ms';
  } catch (e) {
    $('result').textContent = String(e);
    $('status').textContent = 'request failed';
  }
}
$('run').addEventListener('click', run);
document.addEventListener('keydown', (e) => { if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') run(); });
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** Only this page's own script and style; requests only to this origin; no framing. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>sluice GraphQL console</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>sluice GraphQL</h1>
  <input id="token" type="password" autocomplete="off" placeholder="API token (slc_…); empty when auth is off" aria-label="API token">
  <button id="run" type="button" title="Ctrl+Enter">Run</button>
  <span id="status"></span>
</header>
<main>
  <section>
    <label for="query">Query</label>
    <textarea id="query" spellcheck="false"></textarea>
    <label for="variables">Variables (JSON)</label>
    <textarea id="variables" spellcheck="false"></textarea>
  </section>
  <pre id="result" aria-live="polite">Ctrl+Enter runs the query. Schema: schema/graphql/sluice.graphql; access: docs/api-security.md.</pre>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

/** Whether a request is a browser asking for a page (GET preferring text/html), as Apollo decides for its landing page. */
function wantsHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const html = accept.indexOf('text/html');
  if (html < 0) return false;
  const json = accept.search(/application\/(graphql-response\+)?json/);
  return json < 0 || html < json;
}

/** `GET /graphql` from a browser: the console. Other requests go on to the GraphQL handler. */
export function graphqlConsoleRoute(path = '/graphql'): RouteHandler {
  return async (req, res, url) => {
    if (url.pathname !== path || (req.method !== 'GET' && req.method !== 'HEAD') || !wantsHtml(req.headers.accept)) return false;
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CONSOLE_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : CONSOLE_HTML);
    return true;
  };
}
