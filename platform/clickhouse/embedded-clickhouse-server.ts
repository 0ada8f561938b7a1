import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { ChdbEngine, isClickHouseEngineError, type ChdbSession, type ChdbStatementStats } from './chdb-engine.ts';
import {
  endpointException,
  exceptionBody,
  httpStatusForException,
  parseClickHouseException,
  type ClickHouseException,
} from './clickhouse-exception.ts';
import {
  parseMultipart,
  quoteIdentifier,
  readHttpParams,
  setStatement,
} from './clickhouse-http-request.ts';
import { statementShape, type InsertData, type StatementShape } from './clickhouse-query-shape.ts';
import { errorMessage } from '../errors/sluice-error.ts';

/**
 * An in-process ClickHouse HTTP endpoint on loopback, backed by chdb-wasm (ClickHouse 26.5
 * in WebAssembly), serving the subset of https://clickhouse.com/docs/interfaces/http that
 * `@clickhouse/client` uses, so embedded mode and tests run the production client code:
 *
 * - `GET /ping`, `GET /` → `Ok.`
 * - a statement in the `query` URL parameter and/or the POST body (they are joined with a
 *   newline, as ClickHouse does); `multipart/form-data` bodies with `query` and `param_*`
 *   parts; request bodies with `Content-Encoding` gzip / deflate / br / zstd.
 * - `database`, `default_format`, `query_id`, `wait_end_of_query`, `session_id` (accepted,
 *   no session state), settings as URL parameters (applied with `SET` on the request's own
 *   connection, unknown ones rejected by ClickHouse itself), `param_<name>` query parameters
 *   (applied with `SET param_<name> = '…'`, ClickHouse's own substitution, never spliced).
 * - `INSERT … FORMAT x` / `INSERT … VALUES` with the rows as data: the data is written to
 *   chdb's virtual file system and inserted with `INSERT … FROM INFILE`, so its size is not
 *   limited by chdb's query-text limit (~2.5 MB).
 * - results: the first `RESPONSE_BUFFER_BYTES` are buffered, so most errors still get a
 *   clean status; larger SELECT results are streamed, and an exception in mid-stream is
 *   reported in ClickHouse's 25.11+ form (`X-ClickHouse-Exception-Tag`) that the client
 *   turns into an error. `wait_end_of_query=1` buffers everything.
 * - errors: the status ClickHouse would send for the code, `X-ClickHouse-Exception-Code`,
 *   body `Code: N. DB::Exception: … (NAME) (version …)`.
 * - responses are never compressed (allowed: `Accept-Encoding` is a preference).
 *
 * All statements run one at a time on the single engine (see ChdbEngine); concurrent
 * requests wait in its queue.
 */

export interface EmbeddedClickHouseLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface EmbeddedClickHouseOptions {
  /** Listen address; default `127.0.0.1`. */
  host?: string;
  /** Listen port; 0 (default) picks a free one. */
  port?: number;
  logger?: EmbeddedClickHouseLogger;
  /** Called when the wasm engine crashed and was replaced by an empty one (all data lost). */
  onEngineRecreated?: (generation: number) => void;
}

export interface EmbeddedClickHouse {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Close the listener and destroy open connections (clients see connection errors). The
   *  engine and its data are kept. */
  stopListening(): Promise<void>;
  /** Listen again on the same host and port. */
  resumeListening(): Promise<void>;
  /** Stop listening and terminate the engine. */
  close(): Promise<void>;
}

/** Result bytes held back before the response starts, so a failing query still gets an
 *  error status: 1 MiB (ClickHouse's `http_response_buffer_size` idea). */
const RESPONSE_BUFFER_BYTES = 1024 * 1024;
/** Largest request body accepted, after decompression: 512 MiB (the wasm heap caps at ~1.8 GiB). */
const MAX_REQUEST_BODY_BYTES = 512 * 1024 * 1024;
/** Statement text scanned before the data of an insert is expected to start: 1 MiB. */
const SCAN_PREFIX_BYTES = 1024 * 1024;
/** File in chdb's virtual file system that holds the data of the insert being run (the
 *  engine runs one statement at a time, so one path suffices). */
const INSERT_DATA_PATH = '/sluice/http-insert-data';
/** ClickHouse keeps idle HTTP connections for `keep_alive_timeout` (10 s since 24.x);
 *  the client's idle socket TTL (2.5 s by default) must stay below it. */
const KEEP_ALIVE_TIMEOUT_MS = 10_000;
const DISPLAY_NAME = 'sluice-embedded-chdb';

const silentLogger: EmbeddedClickHouseLogger = { info() {}, warn() {}, error() {} };

export async function startEmbeddedClickHouse(opts: EmbeddedClickHouseOptions = {}): Promise<EmbeddedClickHouse> {
  const host = opts.host ?? '127.0.0.1';
  const logger = opts.logger ?? silentLogger;
  const startedAtMs = Date.now();
  const engine = await ChdbEngine.start({ logger, ...(opts.onEngineRecreated ? { onRecreated: opts.onEngineRecreated } : {}) });
  const endpoint = new EndpointHandler(engine, logger);

  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    endpoint.handle(req, res).catch((err: unknown) => {
      logger.error({ err: errorMessage(err) }, 'embedded ClickHouse: request handler failed');
      res.destroy();
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  let listening = false;
  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        listening = true;
        resolve((server.address() as AddressInfo).port);
      });
    });
  let port: number;
  try {
    port = await listen(opts.port ?? 0);
  } catch (err) {
    await engine.close();
    throw err;
  }
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url, startupMs: Date.now() - startedAtMs, version: engine.version }, 'embedded ClickHouse endpoint listening');

  const stopListening = async (): Promise<void> => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  let closed = false;
  return {
    url,
    stopListening,
    async resumeListening() {
      if (closed) throw new Error('embedded ClickHouse endpoint is closed');
      if (!listening) await listen(port);
    },
    async close() {
      if (closed) return;
      closed = true;
      await stopListening();
      await engine.close();
    },
  };
}

/** Statement-independent settings applied before the request's own: parity with a
 *  ClickHouse server where chdb (clickhouse-local) defaults differ. */
const SERVER_DEFAULT_SETTINGS: ReadonlyMap<string, string> = new Map([
  // clickhouse-local turns this on; a server does not (`1+1` is not a query there)
  ['implicit_select', '0'],
]);
/** A GET request runs with `readonly=2` on ClickHouse (reads and settings only). */
const GET_DEFAULT_SETTINGS: ReadonlyMap<string, string> = new Map([...SERVER_DEFAULT_SETTINGS, ['readonly', '2']]);

interface ResponseHeaders {
  [name: string]: string | number;
}

class EndpointHandler {
  private readonly engine: ChdbEngine;
  private readonly logger: EmbeddedClickHouseLogger;

  constructor(engine: ChdbEngine, logger: EmbeddedClickHouseLogger) {
    this.engine = engine;
    this.logger = logger;
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://embedded');
    const method = req.method ?? 'GET';
    const baseHeaders: ResponseHeaders = {
      'X-ClickHouse-Server-Display-Name': DISPLAY_NAME,
    };
    if (url.pathname === '/ping' || (url.pathname === '/' && (method === 'GET' || method === 'HEAD') && !url.searchParams.has('query'))) {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'text/html; charset=UTF-8', 'Content-Length': 4 });
      res.end(method === 'HEAD' ? undefined : 'Ok.\n');
      return;
    }
    const queryId = url.searchParams.get('query_id') || randomUUID();
    const headers: ResponseHeaders = {
      ...baseHeaders,
      'X-ClickHouse-Query-Id': queryId,
      'X-ClickHouse-Timezone': this.engine.timezone,
    };
    if (url.pathname !== '/') {
      req.resume();
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=UTF-8' });
      res.end(`There is no handle ${url.pathname}\n\nUse / or /ping for health checks.\nSend queries with POST method or GET /?query=...\n`);
      return;
    }
    if (method !== 'GET' && method !== 'POST') {
      req.resume();
      this.sendException(res, headers, endpointException('NOT_IMPLEMENTED', `HTTP method ${method} is not supported; use GET or POST`));
      return;
    }

    const body = await readBody(req);
    if ('code' in body) {
      this.sendException(res, headers, body);
      return;
    }
    const entries: [string, string][] = [...url.searchParams];
    let data = body.data;
    const contentType = req.headers['content-type'] ?? '';
    if (/^multipart\/form-data/i.test(contentType)) {
      const parts = parseMultipart(data, contentType);
      if (!Array.isArray(parts)) {
        this.sendException(res, headers, parts);
        return;
      }
      const file = parts.find((p) => p.filename !== undefined);
      if (file) {
        this.sendException(res, headers, endpointException('NOT_IMPLEMENTED', `external data (multipart part '${file.name}') is not supported by the embedded endpoint`));
        return;
      }
      for (const part of parts) entries.push([part.name, part.data.toString('utf8')]);
      data = Buffer.alloc(0);
    }
    const params = readHttpParams(entries);
    if ('code' in params) {
      this.sendException(res, headers, params);
      return;
    }

    // ClickHouse: the `query` parameter, a newline, then the body — as one text whose
    // tail may be the data of an INSERT.
    const text = params.query === undefined ? data : Buffer.concat([Buffer.from(`${params.query}\n`), data]);
    const plan = planStatement(text);
    if ('code' in plan) {
      this.sendException(res, headers, plan);
      return;
    }
    const format = plan.shape.outputFormat ?? params.defaultFormat;
    headers['X-ClickHouse-Format'] = format;
    const out = new ResultWriter(res, headers, params.waitEndOfQuery || plan.shape.kind !== 'select', this.engine.version);
    // statements without output (DDL, INSERT) answer text/plain, as ClickHouse does
    if (plan.shape.kind === 'select' || plan.shape.kind === 'query') out.contentType = contentTypeOf(format);
    res.on('close', () => out.markClientGone());

    const defaults = method === 'GET' ? GET_DEFAULT_SETTINGS : SERVER_DEFAULT_SETTINGS;
    try {
      await this.engine.run(async (session) => {
        if (params.database !== 'default') await session.query(`USE ${quoteIdentifier(params.database)}`, 'TabSeparated');
        const set = setStatement(params, defaults);
        if (set !== undefined) await session.query(set, 'TabSeparated');
        await runStatement(session, plan, params.defaultFormat, out);
      });
    } catch (err) {
      const exception = parseClickHouseException(errorMessage(err));
      if (exception) {
        out.fail(exception);
      } else {
        this.logger.error({ err: errorMessage(err), queryId }, 'embedded ClickHouse: statement failed outside ClickHouse');
        out.fail(endpointException('STD_EXCEPTION', `embedded ClickHouse engine failure: ${errorMessage(err)}`));
      }
    }
  }

  private sendException(res: http.ServerResponse, headers: ResponseHeaders, e: ClickHouseException): void {
    new ResultWriter(res, headers, true, this.engine.version).fail(e);
  }
}

/** A statement ready to run: the SQL (with `FROM INFILE` for data inserts) and the data. */
interface StatementPlan {
  shape: StatementShape;
  sql: string;
  /** Data of an `INSERT … FORMAT x` / `VALUES`, written to INSERT_DATA_PATH first. */
  insertData: Buffer | undefined;
}

function planStatement(text: Buffer): StatementPlan | ClickHouseException {
  // latin1 keeps one character per byte, so offsets found in the scan are byte offsets
  const truncated = text.length > SCAN_PREFIX_BYTES;
  let shape = statementShape(text.toString('latin1', 0, Math.min(text.length, SCAN_PREFIX_BYTES)));
  const insert = shape.insertData;
  if (insert && (!truncated || insert.dataOffset < SCAN_PREFIX_BYTES)) {
    return { shape, sql: infileInsert(text, insert), insertData: text.subarray(insert.dataOffset) };
  }
  if (truncated) shape = statementShape(text.toString('latin1'));
  if (shape.kind === 'empty') return endpointException('SYNTAX_ERROR', 'Empty query');
  if (shape.insertData) return { shape, sql: infileInsert(text, shape.insertData), insertData: text.subarray(shape.insertData.dataOffset) };
  const sql = text.toString('utf8');
  // chdb takes NUL-terminated text: a NUL would silently cut the statement short
  if (sql.includes('\0')) return endpointException('SYNTAX_ERROR', 'Query text contains a NUL byte; pass binary values as query parameters');
  return { shape, sql, insertData: undefined };
}

function infileInsert(text: Buffer, insert: InsertData): string {
  const target = text.toString('utf8', 0, insert.targetEnd).trimEnd();
  const settings = insert.settingsClause ? ` ${text.toString('utf8', insert.settingsClause.start, insert.settingsClause.end).trim()}` : '';
  return `${target} FROM INFILE '${INSERT_DATA_PATH}'${settings} FORMAT ${insert.format}`;
}

async function runStatement(session: ChdbSession, plan: StatementPlan, defaultFormat: string, out: ResultWriter): Promise<void> {
  if (plan.insertData !== undefined) {
    // putFile transfers (detaches) the buffer: hand it an exact, unshared copy
    await session.putFile(INSERT_DATA_PATH, new Uint8Array(plan.insertData));
    try {
      const r = await session.query(plan.sql, defaultFormat);
      out.finish(r.data, { ...r, writtenRows: Math.max(r.resultRows, r.readRows), writtenBytes: Math.max(r.resultBytes, r.readBytes) });
    } finally {
      await session.putFile(INSERT_DATA_PATH, new Uint8Array(0)); // release the copy in the wasm heap
    }
    return;
  }
  if (plan.shape.kind === 'select') {
    const total: ChdbStatementStats = { resultRows: 0, resultBytes: 0, readRows: 0, readBytes: 0, elapsedSeconds: 0 };
    let chunks = 0;
    let unstreamed = false;
    try {
      for await (const chunk of session.queryStream(plan.sql, defaultFormat)) {
        chunks++;
        total.resultRows += chunk.resultRows;
        total.resultBytes += chunk.resultBytes;
        total.readRows += chunk.readRows;
        total.readBytes += chunk.readBytes;
        total.elapsedSeconds = Math.max(total.elapsedSeconds, chunk.elapsedSeconds);
        out.push(chunk.data, total);
        if (out.clientGone) return; // ends the stream; the engine cancels the query
      }
    } catch (err) {
      // When a statement fails before its first block (e.g. max_query_size exceeded), chdb's
      // stream start reports only "No active streaming query". Running it unstreamed gives
      // ClickHouse's own exception (or the result): a SELECT has no side effects.
      if (chunks > 0 || isClickHouseEngineError(err)) throw err;
      unstreamed = true;
    }
    if (unstreamed) {
      const r = await session.query(plan.sql, defaultFormat);
      out.finish(r.data, { ...r, writtenRows: 0, writtenBytes: 0 });
      return;
    }
    out.finish(new Uint8Array(0), { ...total, writtenRows: 0, writtenBytes: 0 });
    return;
  }
  const r = await session.query(plan.sql, defaultFormat);
  const written = plan.shape.kind === 'insert' ? Math.max(r.resultRows, r.readRows) : 0;
  out.finish(r.data, { ...r, writtenRows: written, writtenBytes: written > 0 ? Math.max(r.resultBytes, r.readBytes) : 0 });
}

interface SummaryStats extends ChdbStatementStats {
  writtenRows: number;
  writtenBytes: number;
}

/** `X-ClickHouse-Summary`: all values are decimal strings, as ClickHouse sends them. */
function summaryHeader(s: SummaryStats): string {
  return JSON.stringify({
    read_rows: String(s.readRows),
    read_bytes: String(s.readBytes),
    written_rows: String(s.writtenRows),
    written_bytes: String(s.writtenBytes),
    total_rows_to_read: '0',
    result_rows: String(s.resultRows),
    result_bytes: String(s.resultBytes),
    elapsed_ns: String(Math.round(s.elapsedSeconds * 1e9)),
  });
}

/**
 * Writes one statement's output: holds back up to RESPONSE_BUFFER_BYTES (everything when
 * `bufferAll`), so an error before that point still becomes an error response.
 */
class ResultWriter {
  private readonly res: http.ServerResponse;
  private readonly headers: ResponseHeaders;
  private readonly bufferAll: boolean;
  private readonly version: string;
  /** Content-Type of a successful response. */
  contentType = 'text/plain; charset=UTF-8';
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private streaming = false;
  private exceptionTag = '';
  clientGone = false;

  constructor(res: http.ServerResponse, headers: ResponseHeaders, bufferAll: boolean, version: string) {
    this.res = res;
    this.headers = headers;
    this.bufferAll = bufferAll;
    this.version = version;
  }

  markClientGone(): void {
    if (!this.res.writableFinished) this.clientGone = true;
  }

  push(chunk: Uint8Array, soFar: ChdbStatementStats): void {
    if (this.clientGone || chunk.length === 0) return;
    if (this.streaming) {
      this.res.write(chunk);
      return;
    }
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (!this.bufferAll && this.heldBytes > RESPONSE_BUFFER_BYTES) {
      this.streaming = true;
      this.exceptionTag = randomUUID().replaceAll('-', '');
      this.res.writeHead(200, {
        ...this.headers,
        'Content-Type': this.contentType,
        'X-ClickHouse-Summary': summaryHeader({ ...soFar, writtenRows: 0, writtenBytes: 0 }),
        'X-ClickHouse-Exception-Tag': this.exceptionTag,
      });
      for (const c of this.held) this.res.write(c);
      this.held = [];
    }
  }

  finish(last: Uint8Array, stats: SummaryStats): void {
    if (this.clientGone) return;
    if (this.streaming) {
      this.res.end(last.length > 0 ? last : undefined);
      return;
    }
    if (last.length > 0) {
      this.held.push(last);
      this.heldBytes += last.length;
    }
    this.res.writeHead(200, {
      ...this.headers,
      // statements without output (DDL, INSERT) get text/plain, as on ClickHouse
      'Content-Type': this.contentType,
      'X-ClickHouse-Summary': summaryHeader(stats),
      'Content-Length': this.heldBytes,
    });
    for (const c of this.held) this.res.write(c);
    this.res.end();
  }

  fail(e: ClickHouseException): void {
    if (this.clientGone || this.res.writableEnded) return;
    const text = exceptionBody(e, this.version);
    if (this.streaming) {
      // ClickHouse 25.11+ in-stream exception block, parsed by @clickhouse/client's
      // extractErrorAtTheEndOfChunk: the message, its length + 1, the tag, the marker.
      const message = text.trimEnd();
      const tag = this.exceptionTag;
      const block = `\r\n__exception__\r\n${tag}\r\n${message}\n${Buffer.byteLength(message) + 1} ${tag}\r\n__exception__\r\n`;
      this.res.end(block, () => this.res.socket?.destroy());
      return;
    }
    const status = httpStatusForException(e);
    this.res.writeHead(status, {
      ...this.headers,
      'Content-Type': 'text/plain; charset=UTF-8',
      'X-ClickHouse-Exception-Code': String(e.code),
      'Content-Length': Buffer.byteLength(text),
    });
    this.res.end(text);
  }
}

/** Content-Type ClickHouse sends for an output format (IOutputFormat::getContentType). */
function contentTypeOf(format: string): string {
  if (/^(JSON|NDJSON)/i.test(format)) return 'application/json; charset=UTF-8';
  if (/^(TabSeparated|TSV)/i.test(format)) return 'text/tab-separated-values; charset=UTF-8';
  if (/^CSV/i.test(format)) return `text/csv; charset=UTF-8; header=${/WithNames/i.test(format) ? 'present' : 'absent'}`;
  if (/^(Native|RowBinary|Parquet|Arrow|ORC|Avro|Protobuf|MsgPack|CapnProto|BSONEachRow|Npy)/i.test(format)) return 'application/octet-stream';
  return 'text/plain; charset=UTF-8';
}

type Decompressor = (data: Buffer, options: zlib.ZlibOptions & zlib.BrotliOptions) => Promise<Buffer>;

const DECOMPRESSORS: ReadonlyMap<string, Decompressor> = new Map<string, Decompressor>([
  ['gzip', promisify(zlib.gunzip) as Decompressor],
  ['x-gzip', promisify(zlib.gunzip) as Decompressor],
  ['deflate', promisify(zlib.inflate) as Decompressor],
  ['br', promisify(zlib.brotliDecompress) as Decompressor],
  // zlib has zstd since Node 22.15
  ...(typeof zlib.zstdDecompress === 'function' ? [['zstd', promisify(zlib.zstdDecompress) as Decompressor] as const] : []),
]);

/** The request body, decompressed per `Content-Encoding`. */
async function readBody(req: http.IncomingMessage): Promise<{ data: Buffer } | ClickHouseException> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_REQUEST_BODY_BYTES) tooLarge = true; // keep draining so the response can be read
    else chunks.push(buf);
  }
  if (tooLarge) return endpointException('QUERY_IS_TOO_LARGE', `Request body is larger than ${MAX_REQUEST_BODY_BYTES} bytes`);
  const raw = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
  const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity' || raw.length === 0) return { data: raw };
  const decompress = DECOMPRESSORS.get(encoding);
  if (!decompress) return endpointException('UNKNOWN_COMPRESSION_METHOD', `Unknown HTTP Content-Encoding '${encoding}'`);
  try {
    return { data: await decompress(raw, { maxOutputLength: MAX_REQUEST_BODY_BYTES }) };
  } catch (err) {
    return endpointException('CANNOT_DECOMPRESS', `Cannot decompress the request body (${encoding}): ${errorMessage(err)}`);
  }
}
