/**
 * Insert formats: rows/s of inserting the same span rows (the real `spans_raw` row shape:
 * JSON span events → JsonEventDecoder → SIGNAL_TABLES.spans.toRow, ~1 % of them with
 * tabs, newlines, quotes, backslashes, NUL and non-ASCII text) through `@clickhouse/client`
 * into the embedded native store, per format the client can send, over two transports:
 *   - in-process: the client on ChdbClientConnection (what `sluice start` uses);
 *   - HTTP: the client over the store's loopback ClickHouse endpoint (another process's view;
 *     here both ends run in this process, so its CPU-seconds count both).
 *
 *   node_modules/.bin/node bench/insert-formats.bench.ts
 *   BENCH_ROWS=200000 BENCH_BATCHES=1000,10000,50000 node_modules/.bin/node bench/insert-formats.bench.ts
 *
 * Per format and batch size: rows/s of the inserts (wall time, one insert after the other,
 * encoding included), the JS-side encode cost alone (µs/row, main thread), bytes/row sent,
 * process CPU-seconds (chDB's threads included) per transport, and whether the stored rows
 * equal those of the JSONEachRow reference (count and an order-independent hash of every
 * column, read back from the table). Formats:
 *   JSONEachRow        objects, serialized by the client (ClickHouseRowWriter's old format)
 *   JSONCompactEachRow arrays in column order, serialized by the client
 *   TabSeparated, CSV  text encoded here (ClickHouse's escaping rules), sent as a raw stream
 *   RowBinary          ingest/sink/row-binary-encoder.ts, sent with client.exec (the client's
 *                      insert() refuses binary streams)
 *   Native             ingest/sink/native-encoder.ts (one block, column after column; what
 *                      ClickHouseRowWriter sends), sent with client.exec
 * Parquet is left out: producing it needs a Parquet writer (Thrift footer, pages), which no
 * dependency of the project provides. Prints figures; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { JsonEventDecoder } from '../ingest/decode/json-event-decoder.ts';
import { NativeEncoder } from '../ingest/sink/native-encoder.ts';
import { RowBinaryEncoder, type ColumnSpec } from '../ingest/sink/row-binary-encoder.ts';
import { SIGNAL_TABLES, type Row } from '../ingest/sink/signal-rows.ts';
import { connectClickHouse, type ClickHouseClient } from '../platform/clickhouse/clickhouse-connection.ts';
import { openEmbeddedStore } from '../platform/clickhouse/embedded-store.ts';
import { migrate } from '../platform/clickhouse/migrations.ts';

process.env.UV_THREADPOOL_SIZE ??= '32'; // as bin/sluice.ts
const ROWS = Number(process.env.BENCH_ROWS ?? 200_000);
const BATCHES = (process.env.BENCH_BATCHES ?? '10000,50000').split(',').map(Number);
const FORMATS = (process.env.BENCH_FORMATS ?? 'JSONEachRow,JSONCompactEachRow,TabSeparated,CSV,RowBinary,Native').split(',');
const DATABASE = 'bench_formats';

// ---- the rows -------------------------------------------------------------------------

const decoder = new JsonEventDecoder('spans');
const nowMs = Date.now();
const hard = ['tab\there', 'new\nline', "quote ' and \" both", 'back\\slash', 'nul\u0000byte', 'ünïcödé ✓ 日本語 🚀', 'comma, and {braces}', '\r\n'];
const rows: Row[] = [];
for (let i = 0; i < ROWS; i++) {
  const odd = i % 97 === 0 ? hard[(i / 97) % hard.length]! : undefined;
  const event = {
    service: `svc-${i % 5}`, environment: 'production', version: `1.${i % 3}.0`,
    traceId: (i * 7919).toString(16).padStart(32, 'a').slice(-32), spanId: i.toString(16).padStart(16, '0'),
    ...(i % 2 === 0 ? { parentSpanId: (i + 1).toString(16).padStart(16, 'f') } : {}),
    operation: odd ? `GET ${odd}` : 'GET /items/{id}', route: '/items/{id}', kind: i % 4 === 0 ? 'client' : 'server',
    startTimeMs: nowMs - 3_600_000 + (i % 3_600_000), durationMs: 3 + (i % 97) + (i % 7) / 8,
    status: i % 100 === 0 ? 'error' : 'ok', httpStatusCode: i % 100 === 0 ? 500 : 200,
    ...(i % 4 === 0 ? { peerService: 'postgres' } : {}),
    attributes: { 'http.request.method': 'GET', 'url.path': `/items/${i}`, ...(odd ? { note: odd } : {}) },
  };
  const item = decoder.decode(Buffer.from(JSON.stringify(event)))[0]!;
  if (!item.ok || item.value.signal !== 'spans') throw new Error(`bench input did not decode: ${JSON.stringify(item)}`);
  rows.push(SIGNAL_TABLES.spans.toRow(item.value.event, { source: 'bench', partition: 0, offset: i }, 1, nowMs));
}

// ---- encoders -------------------------------------------------------------------------

const dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-formats-'));
const store = await openEmbeddedStore({ dataDir, port: 0 });
const inProcess = await connectClickHouse({ engine: store.engine, database: DATABASE });
const overHttp = await connectClickHouse({ url: store.url, username: store.user, password: store.password, database: DATABASE });
await migrate(inProcess);
const columns = await (await inProcess.query({
  query: "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'spans_raw' ORDER BY position",
  format: 'JSONEachRow',
})).json<ColumnSpec>();
const names = columns.map((c) => c.name);

/** TabSeparated escaping (ClickHouse docs, "TabSeparated": \b \f \r \n \t \0 \' \\). */
function tsvEscape(s: string): string {
  return s.replace(/[\\\t\n\r\b\f\0']/g, (c) => TSV_ESCAPES[c]!);
}
const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\b': '\\b', '\f': '\\f', '\0': '\\0', "'": "\\'" };
/** A Map in the text formats: `{'k':'v',…}` with quoted-string escaping. */
function mapText(m: Record<string, string>): string {
  let out = '{';
  for (const [k, v] of Object.entries(m)) out += `${out.length > 1 ? ',' : ''}'${tsvEscape(k)}':'${tsvEscape(v)}'`;
  return `${out}}`;
}
/** A TabSeparated field: strings escaped, a Map in its quoted text form (already escaped inside). */
function tsvField(v: unknown): string {
  if (typeof v === 'string') return tsvEscape(v);
  if (typeof v === 'number') return String(v);
  if (v !== null && typeof v === 'object') return mapText(v as Record<string, string>);
  throw new Error(`unexpected value ${String(v)}`);
}
function encodeTsv(batch: readonly Row[]): Buffer {
  let out = '';
  for (const row of batch) {
    for (let c = 0; c < names.length; c++) out += (c > 0 ? '\t' : '') + tsvField(row[names[c]!]);
    out += '\n';
  }
  return Buffer.from(out);
}
function csvQuote(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}
function encodeCsv(batch: readonly Row[]): Buffer {
  let out = '';
  for (const row of batch) {
    for (let c = 0; c < names.length; c++) {
      const v = row[names[c]!];
      out += (c > 0 ? ',' : '') + (typeof v === 'number' ? String(v) : csvQuote(typeof v === 'string' ? v : mapText(v as Record<string, string>)));
    }
    out += '\n';
  }
  return Buffer.from(out);
}

const rowBinary = RowBinaryEncoder.forColumns(columns)!;

const native = NativeEncoder.forColumns(columns)!;

// ---- inserting ------------------------------------------------------------------------

interface Format {
  name: string;
  /** JS-side encoding of a batch alone (for the µs/row column); undefined = done inside the client. */
  encode(batch: readonly Row[]): Buffer | string;
  insert(client: ClickHouseClient, table: string, batch: readonly Row[], token: string): Promise<void>;
}

const settings = (token: string) => ({ insert_deduplication_token: token });
async function execInsert(client: ClickHouseClient, query: string, data: Buffer, token: string): Promise<void> {
  const r = await client.exec({ query, values: Readable.from([data], { objectMode: false }), clickhouse_settings: settings(token) });
  for await (const _ of r.stream) {
    // drain: the endpoint answers inserts with an empty body
  }
}
const ALL_FORMATS: Format[] = [
  {
    name: 'JSONEachRow',
    encode: (batch) => batch.map((r) => `${JSON.stringify(r)}\n`).join(''),
    insert: async (client, table, batch, token) => {
      await client.insert({ table, values: batch as Row[], format: 'JSONEachRow', clickhouse_settings: settings(token) });
    },
  },
  {
    name: 'JSONCompactEachRow',
    encode: (batch) => batch.map((r) => `${JSON.stringify(names.map((n) => r[n]))}\n`).join(''),
    insert: async (client, table, batch, token) => {
      await client.insert({ table, columns: names as [string, ...string[]], values: batch.map((r) => names.map((n) => r[n])), format: 'JSONCompactEachRow', clickhouse_settings: settings(token) });
    },
  },
  {
    name: 'TabSeparated',
    encode: encodeTsv,
    insert: async (client, table, batch, token) => {
      await client.insert({ table, columns: names as [string, ...string[]], values: Readable.from([encodeTsv(batch)], { objectMode: false }), format: 'TabSeparated', clickhouse_settings: settings(token) });
    },
  },
  {
    name: 'CSV',
    encode: encodeCsv,
    insert: async (client, table, batch, token) => {
      await client.insert({ table, columns: names as [string, ...string[]], values: Readable.from([encodeCsv(batch)], { objectMode: false }), format: 'CSV', clickhouse_settings: settings(token) });
    },
  },
  {
    name: 'RowBinary',
    encode: (batch) => rowBinary.encode(batch)!.data,
    insert: async (client, table, batch, token) => {
      const encoded = rowBinary.encode(batch);
      if (!encoded) throw new Error('RowBinary: rows not encodable');
      await execInsert(client, `INSERT INTO ${table} (${encoded.columns.join(', ')}) FORMAT RowBinary`, encoded.data, token);
    },
  },
  {
    name: 'Native',
    encode: (batch) => native.encode(batch)!.data,
    insert: async (client, table, batch, token) => {
      const encoded = native.encode(batch);
      if (!encoded) throw new Error('Native: rows not encodable');
      await execInsert(client, `INSERT INTO ${table} (${encoded.columns.join(', ')}) FORMAT Native`, encoded.data, token);
    },
  },
];
const formats = ALL_FORMATS.filter((f) => FORMATS.includes(f.name));

async function count(table: string): Promise<{ n: number; hash: string }> {
  const hashed = names.map((n) => (n === 'attributes' ? 'toString(attributes)' : n)).join(', ');
  const [r] = await (await inProcess.query({ query: `SELECT count() AS n, toString(sum(cityHash64(${hashed}))) AS hash FROM ${table}`, format: 'JSONEachRow' })).json<{ n: string; hash: string }>();
  return { n: Number(r!.n), hash: r!.hash };
}

interface Result { rowsPerSecond: number; cpuSeconds: number; stored: { n: number; hash: string } }

async function run(client: ClickHouseClient, transport: string, format: Format, batch: number): Promise<Result> {
  const table = `spans_${transport}_${format.name}_${batch}`.toLowerCase();
  await inProcess.command({ query: `CREATE TABLE ${table} AS spans_raw` });
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let at = 0; at < rows.length; at += batch) await format.insert(client, table, rows.slice(at, at + batch), `${table}:${at}`);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const stored = await count(table);
  await inProcess.command({ query: `DROP TABLE ${table} SYNC` });
  return { rowsPerSecond: rows.length / seconds, cpuSeconds: (used.user + used.system) / 1e6, stored };
}

function encodeCost(format: Format, batch: number): { usPerRow: number; bytesPerRow: number } {
  let bytes = 0;
  const started = performance.now();
  for (let at = 0; at < rows.length; at += batch) {
    const out = format.encode(rows.slice(at, at + batch));
    bytes += typeof out === 'string' ? Buffer.byteLength(out) : out.length;
  }
  return { usPerRow: ((performance.now() - started) * 1000) / rows.length, bytesPerRow: bytes / rows.length };
}

console.log(`insert formats: ${ROWS.toLocaleString('en')} spans_raw rows, ${availableParallelism()} cores, node ${process.version}, embedded native chDB ${store.engine.version}\n`);
// warm-up: JIT and the engine's first-insert costs, not measured
for (const format of formats) await run(inProcess, 'warm', format, 10_000).catch(() => undefined);

for (const batch of BATCHES) {
  const reference = await run(inProcess, 'ref', ALL_FORMATS[0]!, batch);
  console.log(`batch ${batch.toLocaleString('en')} rows (one insert after the other)\n`);
  console.log('| format             | in-process rows/s | CPU s | HTTP rows/s | CPU s | encode µs/row | bytes/row | stored = JSONEachRow |');
  console.log('| ------------------ | ----------------- | ----- | ----------- | ----- | ------------- | --------- | -------------------- |');
  for (const format of formats) {
    const local = await run(inProcess, 'local', format, batch);
    const http = await run(overHttp, 'http', format, batch);
    const cost = encodeCost(format, batch);
    const same = [local, http].every((r) => r.stored.n === reference.stored.n && r.stored.hash === reference.stored.hash);
    console.log(
      `| ${format.name.padEnd(18)} | ${Math.round(local.rowsPerSecond).toLocaleString('en').padStart(17)} | ${local.cpuSeconds.toFixed(2).padStart(5)} ` +
        `| ${Math.round(http.rowsPerSecond).toLocaleString('en').padStart(11)} | ${http.cpuSeconds.toFixed(2).padStart(5)} ` +
        `| ${cost.usPerRow.toFixed(2).padStart(13)} | ${cost.bytesPerRow.toFixed(0).padStart(9)} | ${(same ? 'yes' : `NO (${local.stored.n}/${http.stored.n} rows)`).padEnd(20)} |`,
    );
  }
  console.log('');
}

await inProcess.close();
await overHttp.close();
await store.close();
rmSync(dataDir, { recursive: true, force: true });
