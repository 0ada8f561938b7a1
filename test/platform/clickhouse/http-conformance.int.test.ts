import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, ClickHouseLogLevel, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStore, type EmbeddedStore } from '../../../platform/clickhouse/embedded-store.ts';

/**
 * Conformance of the embedded endpoint with a genuine ClickHouse server: Debian's
 * `clickhouse-server` (18.16, 2018 — the only one installable without Docker, see
 * ../shared/INFRA.md) and the embedded endpoint get the same requests, on the subset both
 * support, and must answer with the same status and body. What legitimately differs is
 * normalised: the error text (18.16 writes `Code: 62, e.displayText() = …`, 26.x
 * `Code: 62. DB::Exception: … (SYNTAX_ERROR) (version …)`), so errors compare by code and
 * status; 18.16 sends no `X-ClickHouse-Exception-Code` header.
 *
 * Install the server with: apt-get update && apt-get install -y clickhouse-server
 */

const INSTALL_HINT = 'apt-get update && apt-get install -y clickhouse-server';
const SERVER_START_TIMEOUT_MS = 30_000;

function findClickHouseServer(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/bin', '/usr/local/bin'];
  return dirs.map((d) => path.join(d, 'clickhouse-server')).find((p) => existsSync(p));
}

const binary = findClickHouseServer();
const skip = !binary && !process.env.CI && process.env.SLUICE_SKIP_SERVICE_TESTS === '1';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A throwaway clickhouse-server with all state under one temp dir. */
async function startRealServer(bin: string): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-clickhouse-'));
  const [httpPort, tcpPort, interserverPort] = [await freePort(), await freePort(), await freePort()];
  const args = [
    '--config-file=/etc/clickhouse-server/config.xml',
    '--',
    `--path=${dir}/`,
    `--tmp_path=${dir}/tmp/`,
    `--user_files_path=${dir}/user_files/`,
    `--format_schema_path=${dir}/format_schemas/`,
    `--http_port=${httpPort}`,
    `--tcp_port=${tcpPort}`,
    `--interserver_http_port=${interserverPort}`,
    '--listen_host=127.0.0.1',
    `--logger.log=${dir}/server.log`,
    `--logger.errorlog=${dir}/server.err.log`,
    '--logger.console=0',
  ];
  const child: ChildProcess = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  const url = `http://127.0.0.1:${httpPort}`;
  const stop = async (): Promise<void> => {
    if (exited === undefined) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited !== undefined) break;
    try {
      if ((await fetch(`${url}/ping`)).ok) return { url, stop };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const errLog = existsSync(`${dir}/server.err.log`) ? readFileSync(`${dir}/server.err.log`, 'utf8').slice(-2000) : '';
  await stop();
  throw new Error(`clickhouse-server did not start (exit ${String(exited)}): ${output.slice(-2000)}\n${errLog}`);
}

interface Answer {
  status: number;
  /** Body, or `Code: N` for an error. */
  body: string;
  contentType: string | null;
}

async function ask(url: string, password: string, search: string, body?: string, urlPath = '/'): Promise<Answer & { exceptionCodeHeader: string | null }> {
  const headers = { Authorization: `Basic ${Buffer.from(`default:${password}`).toString('base64')}` };
  const res = await fetch(`${url}${urlPath}${search ? `?${search}` : ''}`, { method: body === undefined ? 'GET' : 'POST', body, headers });
  const text = await res.text();
  const code = /^Code: (\d+)[.,]/.exec(text);
  return {
    status: res.status,
    body: res.status === 200 ? text : code ? `Code: ${code[1]}` : text,
    contentType: res.headers.get('content-type'),
    exceptionCodeHeader: res.headers.get('x-clickhouse-exception-code'),
  };
}

const q = (sql: string): string => `query=${encodeURIComponent(sql)}`;

/** The same requests, in order (later ones depend on earlier DDL). */
const requests: { name: string; search: string; body?: string; path?: string; compareContentType?: boolean }[] = [
  // 18.16 sends /ping without a Content-Type; recent servers send text/html like GET /
  { name: 'GET /ping', search: '', path: '/ping' },
  { name: 'GET / (no query)', search: '', compareContentType: true },
  { name: 'constants in TabSeparated (query in body)', search: '', body: "SELECT 1, 'a\\tb', toInt8(-3), 2.5 FORMAT TabSeparated", compareContentType: true },
  { name: 'constants in JSONEachRow', search: '', body: "SELECT toUInt32(7) AS n, 'x\"y' AS s FORMAT JSONEachRow" },
  { name: 'constants in CSV', search: '', body: "SELECT 1, 'a,b' FORMAT CSV", compareContentType: true },
  { name: 'query in URL, GET', search: q('SELECT 42') },
  { name: 'query parameter joined with the body', search: q('SELECT'), body: ' 1 + 1' },
  { name: 'CREATE DATABASE', search: '', body: 'CREATE DATABASE conformance' },
  {
    name: 'CREATE TABLE MergeTree (syntax both accept)',
    search: 'database=conformance',
    body: 'CREATE TABLE events (id UInt32, service String, ok UInt8) ENGINE = MergeTree() ORDER BY id',
  },
  {
    name: 'INSERT JSONEachRow: query in URL, rows in the body',
    search: `database=conformance&${q('INSERT INTO events FORMAT JSONEachRow')}`,
    body: '{"id":2,"service":"b\'q","ok":0}\n{"service":"a","id":1,"ok":1}\n',
  },
  { name: 'INSERT with no rows', search: `database=conformance&${q('INSERT INTO events FORMAT JSONEachRow')}`, body: '' },
  { name: 'select back JSONEachRow', search: 'database=conformance', body: 'SELECT id, service, ok FROM events ORDER BY id FORMAT JSONEachRow' },
  { name: 'select back TabSeparated (default format)', search: 'database=conformance', body: 'SELECT service, sum(ok) FROM events GROUP BY service ORDER BY service' },
  { name: 'default_format parameter', search: 'database=conformance&default_format=CSV', body: 'SELECT count() FROM events' },
  { name: 'syntax error', search: '', body: 'SELEC 1' },
  { name: 'unknown table', search: 'database=conformance', body: 'SELECT * FROM no_such_table' },
  { name: 'unknown database', search: '', body: 'SELECT * FROM no_such_db.t' },
  { name: 'unknown setting in the URL', search: `no_such_setting=1&${q('SELECT 1')}` },
  { name: 'empty query', search: '', body: '' },
  { name: 'runtime exception', search: '', body: 'SELECT throwIf(1)' },
  // safety: both refuse a second statement, and a GET stays read-only whatever it asks
  { name: 'multi-statements refused', search: 'database=conformance', body: 'SELECT 1; DROP TABLE events' },
  { name: 'GET with readonly=0 runs no DDL', search: `database=conformance&readonly=0&${q('DROP TABLE events')}` },
  { name: 'the table is still there', search: 'database=conformance', body: 'SELECT count() FROM events' },
  { name: 'DROP DATABASE', search: '', body: 'DROP DATABASE conformance' },
];

describe.skipIf(skip)('HTTP conformance: embedded endpoint vs clickhouse-server', () => {
  let real: { url: string; stop(): Promise<void> } | undefined;
  let embedded: EmbeddedStore | undefined;
  const embeddedDir = mkdtempSync(path.join(tmpdir(), 'sluice-conformance-'));
  const answers = new Map<string, { real: Answer; embedded: Answer & { exceptionCodeHeader: string | null } }>();

  beforeAll(async () => {
    if (!binary) {
      throw new Error(`clickhouse-server is not installed; the conformance test needs Debian's package: ${INSTALL_HINT}`);
    }
    [real, embedded] = await Promise.all([startRealServer(binary), openEmbeddedStore({ dataDir: embeddedDir, port: 0 })]);
    for (const r of requests) {
      const [a, b] = [await ask(real.url, '', r.search, r.body, r.path), await ask(embedded.url, embedded.password, r.search, r.body, r.path)];
      const { exceptionCodeHeader: _ignored, ...realAnswer } = a;
      answers.set(r.name, { real: realAnswer, embedded: b });
    }
  });

  afterAll(async () => {
    await Promise.all([real?.stop(), embedded?.close()]);
    rmSync(embeddedDir, { recursive: true, force: true });
  });

  it.each(requests)('$name: same status and body', ({ name, compareContentType }) => {
    const pair = answers.get(name);
    if (!pair) throw new Error(`no answers recorded for ${name}`);
    const { real: a, embedded: b } = pair;
    expect({ status: b.status, body: b.body }).toEqual({ status: a.status, body: a.body });
    if (compareContentType) expect(b.contentType).toBe(a.contentType);
    if (b.status !== 200) expect(`Code: ${b.exceptionCodeHeader}`).toBe(b.body);
  });

  it('the same client calls give the same results on both', async () => {
    const run = async (url: string, password: string): Promise<unknown[]> => {
      const client: ClickHouseClient = createClient({ url, password, log: { level: ClickHouseLogLevel.OFF } });
      try {
        const out: unknown[] = [await client.ping()];
        await client.command({ query: 'CREATE TABLE client_probe (id UInt32, name String) ENGINE = MergeTree() ORDER BY id' });
        await client.insert({ table: 'client_probe', format: 'JSONEachRow', values: [{ id: 2, name: "it's" }, { id: 1, name: 'a\\b' }] });
        const rs = await client.query({ query: 'SELECT id, name FROM client_probe ORDER BY id', format: 'JSONEachRow' });
        out.push(await rs.json());
        const ts = await client.query({ query: 'SELECT name FROM client_probe ORDER BY id', format: 'TabSeparated' });
        out.push(await ts.text());
        await client.command({ query: 'DROP TABLE client_probe' });
        return out;
      } finally {
        await client.close();
      }
    };
    if (!real || !embedded) throw new Error('servers not started');
    expect(await run(embedded.url, embedded.password)).toEqual(await run(real.url, ''));
  });
});
