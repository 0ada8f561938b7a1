import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import {
  createClient as createClientWithLogs,
  ClickHouseError,
  ClickHouseLogLevel,
  TupleParam,
  type ClickHouseClient,
  type ClickHouseClientConfigOptions,
} from '@clickhouse/client';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClickHouse } from '../../../platform/clickhouse/clickhouse-connection.ts';
import { openEmbeddedStore, PASSWORD_FILE, type EmbeddedStore } from '../../../platform/clickhouse/embedded-store.ts';

/**
 * The embedded ClickHouse — native chDB on a data directory of this test's own process —
 * through the production client (`@clickhouse/client`) both ways sluice uses it: over the
 * loopback HTTP endpoint (other processes) and in-process through the client's
 * `connection` option (embedded mode), plus raw HTTP for what only the endpoint does.
 * Everything lives in the file's own databases.
 */

const DB = 'embedded_endpoint_test';
/** Expected errors are asserted, not logged. */
const createClient = (config: ClickHouseClientConfigOptions): ClickHouseClient =>
  createClientWithLogs({ log: { level: ClickHouseLogLevel.OFF }, ...config });
const dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-endpoint-test-'));
let store: EmbeddedStore;
let startupMs: number;
const logged: { level: string; msg: string | undefined }[] = [];
/** The two ways to the engine; tests that hold for both run once per target. */
const targets = [
  { name: 'HTTP endpoint', http: true, database: DB },
  { name: 'in-process connection', http: false, database: `${DB}_inproc` },
] as const;
const clients = new Map<string, ClickHouseClient>();

beforeAll(async () => {
  const t0 = performance.now();
  store = await openEmbeddedStore({
    dataDir,
    port: 0,
    logger: {
      info: (_o, msg) => logged.push({ level: 'info', msg }),
      warn: (_o, msg) => logged.push({ level: 'warn', msg }),
      error: (_o, msg) => logged.push({ level: 'error', msg }),
    },
  });
  startupMs = performance.now() - t0;
  for (const t of targets) {
    const c = t.http
      ? await connectClickHouse({ url: store.url, password: store.password, database: t.database })
      : await connectClickHouse({ engine: store.engine, database: t.database });
    clients.set(t.name, c);
  }
});

afterAll(async () => {
  for (const c of clients.values()) await c.close();
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const server = {
  get url() {
    return store.endpoint.url;
  },
  stopListening: () => store.endpoint.stopListening(),
  resumeListening: () => store.endpoint.resumeListening(),
};
const auth = () => ({ Authorization: `Basic ${Buffer.from(`default:${store.password}`).toString('base64')}` });

/** One raw HTTP request; `search` is the URL query string. */
async function raw(
  search: string,
  init: { method?: string; body?: string | Uint8Array; headers?: Record<string, string>; path?: string } = {},
): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(`${server.url}${init.path ?? '/'}${search ? `?${search}` : ''}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    body: init.body,
    headers: { ...auth(), ...init.headers },
  });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

async function caught(p: Promise<unknown>): Promise<ClickHouseError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ClickHouseError) return err;
    throw err;
  }
  throw new Error('expected a ClickHouseError');
}

describe.each(targets)('embedded ClickHouse through the $name', (target) => {
  let client: ClickHouseClient;
  beforeAll(() => {
    client = clients.get(target.name)!;
  });

  it('starts within a few seconds and answers ping', async () => {
    console.log(`[embedded-clickhouse] start-up ${startupMs.toFixed(0)} ms`);
    expect(startupMs).toBeLessThan(30_000);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await client.ping()).toEqual({ success: true });
    for (const path of ['/ping', '/']) {
      const r = await raw('', { path });
      expect(r).toMatchObject({ status: 200, body: 'Ok.\n' });
    }
  });

  it('runs DDL as a command: 200, empty body, summary and query id headers', async () => {
    const r = await raw(`database=${target.database}&query_id=ddl-1`, { body: 'CREATE TABLE ddl_probe (a UInt8) ENGINE = Memory' });
    expect(r.status).toBe(200);
    expect(r.body).toBe('');
    expect(r.headers.get('x-clickhouse-query-id')).toBe('ddl-1');
    expect(JSON.parse(r.headers.get('x-clickhouse-summary') ?? '')).toMatchObject({ written_rows: '0' });
    expect(r.headers.get('x-clickhouse-server-display-name')).toBeTruthy();
    expect(r.headers.get('x-clickhouse-timezone')).toBe('UTC');
    const cmd = await client.command({ query: 'DROP TABLE ddl_probe', query_id: 'ddl-2' });
    expect(cmd.query_id).toBe('ddl-2');
  });

  describe('insert and select through the client', () => {
    beforeAll(async () => {
      await client.command({
        query: `CREATE TABLE rows (id UInt32, name String, at DateTime64(3), tags Array(String), big UInt64)
                ENGINE = MergeTree ORDER BY id`,
      });
      await client.insert({
        table: 'rows',
        format: 'JSONEachRow',
        values: [
          { id: 1, name: "o'neil", at: '2026-01-02 03:04:05.678', tags: ['a', 'b'], big: '18446744073709551615' },
          { name: 'tab\there', id: 2, at: '2026-01-02 03:04:06.000', tags: [], big: 7 }, // keys out of order
        ],
      });
    });

    const formats = [
      { format: 'JSONEachRow', expected: '{"id":1,"name":"o\'neil"}\n{"id":2,"name":"tab\\there"}\n' },
      { format: 'JSONCompactEachRow', expected: '[1, "o\'neil"]\n[2, "tab\\there"]\n' },
      { format: 'TabSeparated', expected: "1\to\\'neil\n2\ttab\\there\n" }, // TSV escapes ' and tab
      { format: 'CSV', expected: '1,"o\'neil"\n2,"tab\there"\n' },
    ] as const;
    it.each(formats)('answers in $format', async ({ format, expected }) => {
      const rs = await client.query({ query: 'SELECT id, name FROM rows ORDER BY id', format });
      expect(rs.response_headers['x-clickhouse-format']).toBe(format);
      expect(await rs.text()).toBe(expected);
    });

    it('answers in JSON with meta, data and row count', async () => {
      const rs = await client.query({ query: 'SELECT id, big FROM rows ORDER BY id', format: 'JSON' });
      const json = await rs.json<{ id: number; big: number | string }>();
      expect(json.meta).toEqual([
        { name: 'id', type: 'UInt32' },
        { name: 'big', type: 'UInt64' },
      ]);
      expect(json.rows).toBe(2);
      expect(json.data[1]).toEqual({ id: 2, big: 7 });
    });

    it('applies settings sent by the client, e.g. 64-bit integers quoted', async () => {
      const rs = await client.query({
        query: 'SELECT big FROM rows ORDER BY id',
        format: 'JSONEachRow',
        clickhouse_settings: {
          output_format_json_quote_64bit_integers: 1,
          wait_end_of_query: 1,
          send_progress_in_http_headers: 1,
          http_headers_progress_interval_ms: '110000',
          max_execution_time: 60,
        },
      });
      expect(await rs.json()).toEqual([{ big: '18446744073709551615' }, { big: '7' }]);
    });

    it('reports written rows of an insert in X-ClickHouse-Summary', async () => {
      const r = await client.insert({ table: 'rows', format: 'JSONEachRow', values: [{ id: 3, name: 'c', at: 0, tags: ['x'], big: 1 }] });
      expect(r.summary?.written_rows).toBe('1');
      expect(r.executed).toBe(true);
    });

    it('inserts a column subset; others get their defaults', async () => {
      await client.insert({ table: 'rows', format: 'JSONEachRow', columns: ['id', 'name'], values: [{ id: 4, name: 'd' }] });
      const rs = await client.query({ query: 'SELECT tags, big FROM rows WHERE id = 4', format: 'JSONEachRow' });
      expect(await rs.json()).toEqual([{ tags: [], big: 0 }]);
    });

    it.each([
      { format: 'JSONCompactEachRow', values: [[10, 'ten', 0, [], 1]] },
      { format: 'CSV', values: "11,eleven,2026-01-01 00:00:00,\"['x']\",1\n" },
      { format: 'TabSeparated', values: "12\ttwelve\t2026-01-01 00:00:00\t['y']\t1\n" },
    ] as const)('inserts $format', async ({ format, values }) => {
      await client.insert({ table: 'rows', format, values: typeof values === 'string' ? stringStream(values) : values });
      const rs = await client.query({ query: `SELECT count() AS n FROM rows WHERE id BETWEEN 10 AND 12`, format: 'JSONEachRow' });
      expect(((await rs.json()) as { n: number }[])[0]?.n).toBeGreaterThan(0);
      // each format's row landed (ids 10, 11, 12 in table order)
    });

    it('accepts gzip-compressed request bodies and asks for compressed responses', async () => {
      const gz = createClient({ url: server.url, password: store.password, database: target.database, compression: { request: true, response: true } });
      try {
        await gz.insert({ table: 'rows', format: 'JSONEachRow', values: [{ id: 20, name: 'gz', at: 0, tags: [], big: 0 }] });
        const rs = await gz.query({ query: 'SELECT name FROM rows WHERE id = 20', format: 'JSONEachRow' });
        expect(await rs.json()).toEqual([{ name: 'gz' }]);
      } finally {
        await gz.close();
      }
      const r = await raw(`database=${target.database}`, { body: gzipSync('SELECT name FROM rows WHERE id = 20'), headers: { 'Content-Encoding': 'gzip' } });
      expect(r).toMatchObject({ status: 200, body: 'gz\n' });
    });
  });

  describe('query parameters', () => {
    const strings = [
      { name: 'single quote', value: "it's" },
      { name: 'backslashes', value: 'C:\\path\\to\\file \\n not a newline' },
      { name: 'quote after backslash', value: "\\'; DROP TABLE rows; --" },
      { name: 'newline, tab, carriage return', value: 'line1\nline2\tcol\rend' },
      { name: 'unicode', value: 'żółć — 日本語 — 🚀' },
      { name: 'SQL injection', value: "x' OR 1=1) UNION SELECT name FROM system.tables --" },
      { name: 'braces', value: '{v:String} {{}}' },
      { name: 'empty', value: '' },
      { name: 'NUL byte', value: 'a\u0000b' },
    ];
    it.each(strings)('round-trips a String with $name', async ({ value }) => {
      const rs = await client.query({ query: 'SELECT {v:String} AS v, length({v:String}) AS n', format: 'JSONEachRow', query_params: { v: value } });
      expect(await rs.json()).toEqual([{ v: value, n: Buffer.byteLength(value) }]);
    });

    it('round-trips arrays, maps, tuples, numbers, nulls and dates', async () => {
      const rs = await client.query({
        query: `SELECT {a:Array(String)} AS a, {m:Map(String, UInt32)} AS m, {t:Tuple(UInt8, String)} AS t,
                       {i:Int64} AS i, {f:Float64} AS f, {n:Nullable(String)} AS n, {d:DateTime} AS d, {b:Bool} AS b`,
        format: 'JSONEachRow',
        query_params: {
          a: ["x'y", 'back\\slash', 'new\nline'],
          m: { "k'1": 1, k2: 2 },
          t: new TupleParam([7, "q'"]),
          i: -42,
          f: 1.5,
          n: null,
          d: new Date('2026-03-04T05:06:07Z'),
          b: true,
        },
      });
      expect(await rs.json()).toEqual([
        { a: ["x'y", 'back\\slash', 'new\nline'], m: { "k'1": 1, k2: 2 }, t: [7, "q'"], i: -42, f: 1.5, n: null, d: '2026-03-04 05:06:07', b: true },
      ]);
    });

    it('sends long parameters as multipart/form-data when the client is told to', async () => {
      const mp = createClient({ url: server.url, password: store.password, database: target.database, use_multipart_params: true });
      try {
        const long = "'".repeat(10_000);
        const rs = await mp.query({ query: 'SELECT length({v:String}) AS n', format: 'JSONEachRow', query_params: { v: long } });
        expect(await rs.json()).toEqual([{ n: 10_000 }]);
      } finally {
        await mp.close();
      }
    });

    it('keeps a parameter with semicolons and quotes a value, never a statement', async () => {
      const v = "x'; DROP DATABASE IF EXISTS system; SELECT '\\'; --";
      const rs = await client.query({ query: 'SELECT {v:String} AS v, currentDatabase() AS db', query_params: { v }, clickhouse_settings: { max_threads: 3 }, format: 'JSONEachRow' });
      expect(await rs.json()).toEqual([{ v, db: target.database }]);
    });

    it('never leaks parameters or settings into the next request', async () => {
      await (await client.query({ query: 'SELECT {leak:String}', query_params: { leak: 'x' }, clickhouse_settings: { max_threads: 7 } })).text();
      const err = await caught(client.query({ query: 'SELECT {leak:String}' }));
      expect(err.code).toBe('456');
      expect(err.type).toBe('UNKNOWN_QUERY_PARAMETER');
      const rs = await client.query({ query: "SELECT getSetting('max_threads') AS t", format: 'JSONEachRow' });
      expect(await rs.json()).not.toEqual([{ t: 7 }]);
    });
  });

  describe('errors', () => {
    const cases = [
      { name: 'syntax error', query: 'SELEC 1', code: '62', status: 400 },
      { name: 'unknown table', query: 'SELECT * FROM no_such_table', code: '60', status: 404 },
      { name: 'unknown database', query: 'SELECT * FROM no_such_db.t', code: '81', status: 404 },
      { name: 'unknown function', query: 'SELECT no_such_function(1)', code: '46', status: 404 },
      { name: 'runtime error', query: 'SELECT throwIf(1)', code: '395', status: 500 },
    ];
    it.each(cases)('$name → HTTP $status, code $code, ClickHouseError', async ({ query, code, status }) => {
      const err = await caught(client.query({ query }));
      expect(err.code).toBe(code);
      const r = await raw(`database=${target.database}`, { body: query });
      expect(r.status).toBe(status);
      expect(r.headers.get('x-clickhouse-exception-code')).toBe(code);
      expect(r.body).toMatch(new RegExp(`^Code: ${code}\\. DB::Exception: .*\\([A-Z_]+\\) \\(version [0-9.]+\\)\\n$`, 's'));
    });

    it('rejects an unknown setting the way ClickHouse does (115, 404)', async () => {
      const err = await caught(client.query({ query: 'SELECT 1', clickhouse_settings: { no_such_setting: 1 } as never }));
      expect([err.code, err.type]).toEqual(['115', 'UNKNOWN_SETTING']);
    });

    it('runs GET queries read-only', async () => {
      expect(await raw('query=SELECT%201')).toMatchObject({ status: 200, body: '1\n' });
      const r = await raw(`database=${target.database}&query=CREATE%20TABLE%20ro%20(a%20UInt8)%20ENGINE%3DMemory`);
      expect(r.headers.get('x-clickhouse-exception-code')).toBe('164');
    });

    it('rejects an empty query and unknown paths', async () => {
      expect((await raw('', { body: '' })).headers.get('x-clickhouse-exception-code')).toBe('62');
      expect((await raw('', { path: '/nope' })).status).toBe(404);
    });
  });

  describe('large data', () => {
    it('inserts 200k JSONEachRow rows (~10 MB) in one request', async () => {
      await client.command({ query: 'CREATE TABLE big (id UInt32, service String, value Float64) ENGINE = MergeTree ORDER BY id' });
      const values = Array.from({ length: 200_000 }, (_, i) => ({ id: i, service: `service-${i % 97}-padding-padding`, value: i / 7 }));
      const t0 = performance.now();
      await client.insert({ table: 'big', values, format: 'JSONEachRow' });
      const insertMs = performance.now() - t0;
      console.log(`[embedded-clickhouse] 200k-row JSONEachRow insert ${insertMs.toFixed(0)} ms`);
      const rs = await client.query({ query: 'SELECT count() AS n, sum(id) AS s FROM big', format: 'JSONEachRow' });
      expect(await rs.json()).toEqual([{ n: 200_000, s: 19_999_900_000 }]);
    });

    it('takes an insert with its data inline in the body (no query parameter), beyond chdb\'s 2.5 MB query limit', async () => {
      const rows = Array.from({ length: 60_000 }, (_, i) => JSON.stringify({ id: 1_000_000 + i, service: 'inline-body-row', value: i })).join('\n');
      expect(rows.length).toBeGreaterThan(3_000_000);
      const r = await raw(`database=${target.database}`, { body: `INSERT INTO big FORMAT JSONEachRow\n${rows}` });
      expect(r.status).toBe(200);
      const count = await raw(`database=${target.database}`, { body: 'SELECT count() FROM big WHERE id >= 1000000' });
      expect(count.body).toBe('60000\n');
    });

    it('streams a result of tens of MB', async () => {
      const rs = await client.query({
        query: "SELECT number AS n, repeat('x', 100) AS pad FROM numbers(400000)",
        format: 'JSONEachRow',
      });
      let rows = 0;
      let last = -1;
      for await (const batch of rs.stream<{ n: number }>()) {
        for (const row of batch) {
          last = row.json().n;
          rows++;
        }
      }
      expect([rows, last]).toEqual([400_000, 399_999]);
    });

    it('reports an exception raised in mid-stream as an error', async () => {
      // over HTTP the error arrives in the stream after rows were sent; in-process the
      // result is complete before it is handed over, so it arrives with the query
      const err = await caught(
        (async () => {
          const rs = await client.query({
            query: "SELECT throwIf(number = 300000) AS t, repeat('y', 100) AS pad FROM numbers(1000000)",
            format: 'JSONEachRow',
          });
          for await (const batch of rs.stream()) void batch;
        })(),
      );
      expect(err.code).toBe('395');
    });
  });

  it('queues many concurrent requests from one client', async () => {
    const results = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const rs = await client.query({ query: 'SELECT {i:UInt32} * 2 AS v', query_params: { i }, format: 'JSONEachRow' });
        return ((await rs.json()) as { v: number }[])[0]?.v;
      }),
    );
    expect(results).toEqual(Array.from({ length: 60 }, (_, i) => i * 2));
  });

  it('drops a repeated insert with the same insert_deduplication_token (non-replicated MergeTree window)', async () => {
    await client.command({
      query: 'CREATE TABLE dedup (id UInt32) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100',
    });
    const insert = (token: string, ids: number[]) =>
      client.insert({ table: 'dedup', format: 'JSONEachRow', values: ids.map((id) => ({ id })), clickhouse_settings: { insert_deduplication_token: token } });
    await insert('batch-1', [1, 2, 3]);
    await insert('batch-1', [1, 2, 3]); // retry of the same batch
    await insert('batch-1', [4, 5]); // same token, other rows: still dropped (the token decides)
    await insert('batch-2', [1, 2, 3]); // new token: inserted
    const rs = await client.query({ query: 'SELECT count() AS n FROM dedup', format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ n: 6 }]);
  });

  if (target.http) it('stops listening (clients see connection errors), keeps the data, resumes on the same port', async () => {
    await client.command({ query: 'CREATE TABLE survives (a UInt8) ENGINE = Memory' });
    await client.insert({ table: 'survives', values: [{ a: 1 }], format: 'JSONEachRow' });
    await server.stopListening();
    const down = await client.ping();
    expect(down.success).toBe(false);
    await expect(fetch(`${server.url}/ping`)).rejects.toThrow();
    await server.resumeListening();
    expect(await client.ping()).toEqual({ success: true });
    const rs = await client.query({ query: 'SELECT a FROM survives', format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ a: 1 }]);
    expect(logged.filter((l) => l.level === 'error')).toEqual([]);
  });
});

/** The client takes raw formats (CSV, TSV) as a stream of text. */
function stringStream(text: string): Readable {
  return Readable.from([Buffer.from(text)], { objectMode: false });
}

describe('embedded ClickHouse endpoint: safety', () => {
  const post = (body: string, headers: Record<string, string> = {}, search = `database=${DB}`) =>
    fetch(`${server.url}/?${search}`, { method: 'POST', body, headers });
  const count = async (table: string) => Number((await raw(`database=${DB}`, { body: `SELECT count() FROM system.tables WHERE database = '${DB}' AND name = '${table}'` })).body);

  beforeAll(async () => {
    await raw(`database=${DB}`, { body: 'CREATE TABLE IF NOT EXISTS guarded (a UInt8) ENGINE = MergeTree ORDER BY a' });
  });

  it('keeps a generated password in the data directory, readable by its owner only', () => {
    expect(store.password.length).toBeGreaterThanOrEqual(24);
    expect(store.passwordFile).toBe(path.join(store.dataDir, PASSWORD_FILE));
    expect(statSync(store.passwordFile!).mode & 0o777).toBe(0o600);
  });

  it.each([
    { name: 'no credentials', headers: {}, code: '194', status: 401 },
    { name: 'a wrong password', headers: { Authorization: `Basic ${Buffer.from('default:nope').toString('base64')}` }, code: '516', status: 403 },
    { name: 'another user', headers: { 'X-ClickHouse-User': 'admin', 'X-ClickHouse-Key': 'x' }, code: '516', status: 403 },
  ])('refuses $name (HTTP $status, code $code) and runs nothing', async ({ headers, code, status }) => {
    const r = await post('DROP TABLE guarded', headers as Record<string, string>);
    expect(r.status).toBe(status);
    expect(r.headers.get('x-clickhouse-exception-code')).toBe(code);
    expect(await count('guarded')).toBe(1);
  });

  it('accepts the password as X-ClickHouse-Key and as user/password parameters, as ClickHouse does', async () => {
    const viaHeaders = await post('SELECT 1', { 'X-ClickHouse-User': 'default', 'X-ClickHouse-Key': store.password });
    expect(await viaHeaders.text()).toBe('1\n');
    const viaParams = await post('SELECT 2', {}, `user=default&password=${encodeURIComponent(store.password)}`);
    expect(await viaParams.text()).toBe('2\n');
  });

  it('refuses multi-statements: SELECT 1; DROP TABLE … drops nothing', async () => {
    const r = await raw(`database=${DB}`, { body: 'SELECT 1; DROP TABLE guarded' });
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/Multi-statements are not allowed/);
    expect(await count('guarded')).toBe(1);
    // a trailing semicolon is still one statement
    expect((await raw(`database=${DB}`, { body: 'SELECT 3;' })).body).toBe('3\n');
    // a semicolon inside a string or a comment is not a statement separator
    expect((await raw(`database=${DB}`, { body: "SELECT 'a;b' /* ; */ -- ;\n" })).body).toBe('a;b\n');
  });

  it('runs a GET read-only whatever readonly=0 says', async () => {
    const r = await raw(`database=${DB}&readonly=0&query=${encodeURIComponent('DROP TABLE guarded')}`);
    expect(r.status).toBe(500); // as ClickHouse answers READONLY
    expect(r.headers.get('x-clickhouse-exception-code')).toBe('164');
    expect(await count('guarded')).toBe(1);
  });

  it('refuses a cross-site text/plain POST (CSRF) even with credentials in the URL', async () => {
    const r = await fetch(`${server.url}/?database=${DB}&user=default&password=${encodeURIComponent(store.password)}`, {
      method: 'POST',
      body: 'DROP TABLE guarded',
      headers: { 'Content-Type': 'text/plain', Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' },
    });
    expect(r.headers.get('x-clickhouse-exception-code')).toBe('497');
    expect(await count('guarded')).toBe(1);
  });

  it.each([
    { name: 'file()', sql: "SELECT * FROM file('/etc/hostname', 'LineAsString')" },
    { name: 'url()', sql: "SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')" },
    { name: 'INFILE', sql: "INSERT INTO guarded FROM INFILE '/etc/hostname' FORMAT TSV" },
    { name: 'INTO OUTFILE', sql: "SELECT 1 INTO OUTFILE '/tmp/sluice-outfile-probe'" },
    { name: 'a File engine', sql: 'CREATE TABLE leak (s String) ENGINE = File(TSV)' },
    { name: 'executable()', sql: "SELECT * FROM executable('id', 'TSV', 's String')" },
    { name: 'SYSTEM', sql: 'SYSTEM SHUTDOWN' },
  ])('refuses $name: no file system, network or process access from SQL', async ({ sql }) => {
    const r = await raw(`database=${DB}`, { body: sql });
    expect(r.status).toBe(500); // as ClickHouse answers ACCESS_DENIED
    expect(r.headers.get('x-clickhouse-exception-code')).toBe('497');
  });

  it('runs requests concurrently: an insert finishes while a slow read is still running', async () => {
    const order: string[] = [];
    const slow = raw(`database=${DB}`, { body: 'SELECT sum(sipHash64(number)) FROM numbers(300000000)' }).then(() => order.push('slow read'));
    await new Promise((r) => setTimeout(r, 100));
    const insert = raw(`database=${DB}`, { body: 'INSERT INTO guarded FORMAT JSONEachRow\n{"a":1}' }).then(() => order.push('insert'));
    await Promise.all([slow, insert]);
    expect(order).toEqual(['insert', 'slow read']);
  });
});

describe('embedded ClickHouse data directory', () => {
  it('refuses a second process on the same directory with an error naming the directory', () => {
    const root = path.resolve(import.meta.dirname, '../../..');
    const r = spawnSync(path.join(root, 'node_modules/.bin/node'), [path.join(root, 'bin/sluice.ts'), 'clickhouse', '--data-dir', store.dataDir, '--embedded-clickhouse-port', '0'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(store.dataDir);
    expect(r.stderr).toMatch(new RegExp(`already open in another process \\(pid ${process.pid}\\)`));
  });
});
