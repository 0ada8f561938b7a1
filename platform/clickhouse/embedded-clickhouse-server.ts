import { randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { errorMessage } from '../errors/sluice-error.ts';
import { isClickHouseEngineError, type ChdbEngine, type ChdbSession } from './chdb-engine.ts';
import {
  endpointException,
  exceptionBody,
  httpStatusForException,
  parseClickHouseException,
  type ClickHouseException,
} from './clickhouse-exception.ts';
import { parseMultipart, quoteIdentifier, quoteString, readHttpParams, setStatement, type ClickHouseHttpParams } from './clickhouse-http-request.ts';
import { statementShape, type StatementShape } from './clickhouse-query-shape.ts';

/**
 * ClickHouse's HTTP interface (https://clickhouse.com/docs/interfaces/http) on loopback,
 * over the embedded native engine (ChdbEngine), so other processes — cluster-mode workers
 * in tests, `curl`, a Grafana ClickHouse data source — reach the same data with the same
 * client code as a ClickHouse server. It serves what `@clickhouse/client` uses:
 *
 * - `GET /ping`, `GET /` → `Ok.` (no credentials needed, as on ClickHouse);
 * - a statement in the `query` URL parameter and/or the POST body (joined with a newline,
 *   as ClickHouse does); `multipart/form-data` bodies with `query` and `param_*` parts;
 *   request bodies with `Content-Encoding` gzip / deflate / br / zstd;
 * - `database`, `default_format`, `query_id`, `wait_end_of_query`, `session_id` (accepted,
 *   no session state), settings as URL parameters and `param_<name>` query parameters,
 *   applied with `SET` on the request's own engine connection (never spliced into SQL);
 * - `INSERT … FORMAT x` / `VALUES` with the rows as data: the data goes to a temporary file
 *   and is inserted with `INSERT … FROM INFILE`;
 * - results: up to `RESPONSE_BUFFER_BYTES` are held back so an error still gets a clean
 *   status; larger SELECT results stream, and an exception in mid-stream is sent in
 *   ClickHouse's 25.11+ form (`X-ClickHouse-Exception-Tag`);
 * - errors: the status ClickHouse sends for the code, `X-ClickHouse-Exception-Code`, body
 *   `Code: N. DB::Exception: … (NAME) (version …)`.
 *
 * Safety, where it matters as on a real server:
 * - **credentials are checked** (HTTP Basic, `X-ClickHouse-User`/`X-ClickHouse-Key`, or
 *   `user`/`password` parameters) against the one configured user: a wrong or missing
 *   password is `AUTHENTICATION_FAILED` (401);
 * - **one statement per request**: `SELECT 1; DROP TABLE t` is refused (ClickHouse:
 *   "Multi-statements are not allowed");
 * - **a GET is read-only** whatever `readonly=0` says (ClickHouse runs GET with readonly=2);
 * - **no cross-site requests**: a request a browser marks as cross-site (`Origin` of another
 *   site, `Sec-Fetch-Site: cross-site`) is refused, so a web page cannot POST `text/plain`
 *   DDL to loopback (CSRF);
 * - **no file system, network or process access** from SQL: clickhouse-local (unlike a
 *   server, which confines `file()` to `user_files_path`) reads any path, so `file()`,
 *   `url()`, `s3()`, `remote()`, `executable()`, `INFILE`/`OUTFILE`, `File`/`URL` engines,
 *   `SYSTEM` and `KILL` are refused (`ACCESS_DENIED`).
 *
 * Requests run concurrently: each has its own engine connection.
 */

export interface EmbeddedClickHouseLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface EmbeddedClickHouseOptions {
  engine: ChdbEngine;
  /** The one user allowed in, and its password (required: the endpoint never runs open). */
  user: string;
  password: string;
  /** Listen address; default `127.0.0.1`. */
  host?: string;
  /** Listen port; 0 (default) picks a free one. */
  port?: number;
  logger?: EmbeddedClickHouseLogger;
}

export interface EmbeddedClickHouse {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Close the listener and destroy open connections (clients see connection errors). The engine and its data stay. */
  stopListening(): Promise<void>;
  /** Listen again on the same host and port. */
  resumeListening(): Promise<void>;
  /** Stop listening (the engine is the caller's to close). */
  close(): Promise<void>;
}

/** Result bytes held back before the response starts, so a failing query still gets an error status: 1 MiB. */
const RESPONSE_BUFFER_BYTES = 1024 * 1024;
/** Largest request body accepted, after decompression: 1 GiB. */
const MAX_REQUEST_BODY_BYTES = 1024 * 1024 * 1024;
/** Statement text scanned before the data of an insert is expected to start: 1 MiB. */
const SCAN_PREFIX_BYTES = 1024 * 1024;
/** ClickHouse keeps idle HTTP connections for `keep_alive_timeout` (10 s since 24.x). */
const KEEP_ALIVE_TIMEOUT_MS = 10_000;
const DISPLAY_NAME = 'sluice-embedded-chdb';

/**
 * Table functions, engines and functions that reach the file system, the network or other
 * processes: a server confines them (user_files_path, grants); clickhouse-local does not.
 */
const OUTSIDE_ACCESS = new Set([
  'file', 'filecluster', 'url', 'urlcluster', 's3', 's3cluster', 'gcs', 'oss', 'cosn', 'hdfs', 'hdfscluster',
  'azureblobstorage', 'azureblobstoragecluster', 'remote', 'remotesecure', 'cluster', 'clusterallreplicas',
  'mysql', 'postgresql', 'mongodb', 'redis', 'sqlite', 'jdbc', 'odbc', 'executable', 'executablepool',
  'iceberg', 'icebergs3', 'icebergazure', 'iceberghdfs', 'icebergcluster', 'deltalake', 'hudi', 'arrowflight',
  'ytsaurus', 'kafka', 'rabbitmq', 'nats', 'filelog', 'urlengine', 'infile', 'outfile',
]);
/** Statements a loopback endpoint never runs. */
const REFUSED_HEADS = new Set(['SYSTEM', 'KILL', 'BACKUP', 'RESTORE', 'ATTACH', 'DETACH']);

const silentLogger: EmbeddedClickHouseLogger = { info() {}, warn() {}, error() {} };

export async function startEmbeddedClickHouse(opts: EmbeddedClickHouseOptions): Promise<EmbeddedClickHouse> {
  const host = opts.host ?? '127.0.0.1';
  const logger = opts.logger ?? silentLogger;
  if (opts.password === '') throw new Error('the embedded ClickHouse endpoint needs a password');
  const endpoint = new EndpointHandler(opts.engine, { user: opts.user, password: opts.password }, logger);

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
  const port = await listen(opts.port ?? 0);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  endpoint.ownOrigin = url;
  logger.info({ url, version: opts.engine.version }, 'embedded ClickHouse endpoint listening');

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
    },
  };
}

/** Statement-independent settings applied before the request's own: parity with a server where clickhouse-local defaults differ. */
const SERVER_DEFAULT_SETTINGS: ReadonlyMap<string, string> = new Map([
  // clickhouse-local turns this on; a server does not (`1+1` is not a query there)
  ['implicit_select', '0'],
]);

interface ResponseHeaders {
  [name: string]: string | number;
}

class EndpointHandler {
  private readonly engine: ChdbEngine;
  private readonly credentials: { user: string; password: Buffer };
  private readonly logger: EmbeddedClickHouseLogger;
  /** `http://host:port` of this endpoint: the one origin a browser may send requests from. */
  ownOrigin = '';

  constructor(engine: ChdbEngine, credentials: { user: string; password: string }, logger: EmbeddedClickHouseLogger) {
    this.engine = engine;
    this.credentials = { user: credentials.user, password: Buffer.from(credentials.password) };
    this.logger = logger;
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://embedded');
    const method = req.method ?? 'GET';
    if (url.pathname === '/ping' || (url.pathname === '/' && (method === 'GET' || method === 'HEAD') && !url.searchParams.has('query'))) {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'text/html; charset=UTF-8', 'Content-Length': 4 });
      res.end(method === 'HEAD' ? undefined : 'Ok.\n');
      return;
    }
    const queryId = url.searchParams.get('query_id') || randomUUID();
    const headers: ResponseHeaders = {
      'X-ClickHouse-Server-Display-Name': DISPLAY_NAME,
      'X-ClickHouse-Query-Id': queryId,
      'X-ClickHouse-Timezone': this.engine.timezone,
    };
    if (url.pathname !== '/') {
      req.resume();
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=UTF-8' });
      res.end(`There is no handle ${url.pathname}\n\nUse / or /ping for health checks.\nSend queries with POST method or GET /?query=...\n`);
      return;
    }
    const refusal = this.crossSite(req) ?? this.authenticate(req, url);
    if (refusal) {
      req.resume();
      this.sendException(res, headers, refusal);
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
    const parsed = readHttpParams(entries);
    if ('code' in parsed) {
      this.sendException(res, headers, parsed);
      return;
    }
    const params = method === 'GET' ? readOnly(parsed) : parsed;
    if ('code' in params) {
      this.sendException(res, headers, params);
      return;
    }

    // ClickHouse: the `query` parameter, a newline, then the body — as one text whose tail may be the data of an INSERT
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

    try {
      await this.engine.run(async (session) => {
        if (params.database !== 'default') await session.query(`USE ${quoteIdentifier(params.database)}`, 'TabSeparated');
        const set = setStatement(params, SERVER_DEFAULT_SETTINGS);
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

  /**
   * A browser marks requests from another site: `Sec-Fetch-Site: cross-site` and an
   * `Origin` that is not this endpoint's. Non-browser clients send neither.
   */
  private crossSite(req: http.IncomingMessage): ClickHouseException | undefined {
    const site = req.headers['sec-fetch-site'];
    const origin = req.headers.origin;
    if (site === 'cross-site' || site === 'same-site' || (origin !== undefined && origin !== 'null' && origin !== this.ownOrigin) || origin === 'null') {
      return endpointException('ACCESS_DENIED', `cross-origin requests are refused by the embedded ClickHouse endpoint (Origin ${origin ?? '?'}, Sec-Fetch-Site ${site ?? '?'})`);
    }
    return undefined;
  }

  /** HTTP Basic, X-ClickHouse-User/Key headers, or user/password parameters, as ClickHouse reads them. */
  private authenticate(req: http.IncomingMessage, url: URL): ClickHouseException | undefined {
    let user: string | undefined;
    let password: string | undefined;
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      user = colon === -1 ? decoded : decoded.slice(0, colon);
      password = colon === -1 ? '' : decoded.slice(colon + 1);
    } else if (req.headers['x-clickhouse-user'] !== undefined || req.headers['x-clickhouse-key'] !== undefined) {
      user = String(req.headers['x-clickhouse-user'] ?? 'default');
      password = String(req.headers['x-clickhouse-key'] ?? '');
    } else {
      user = url.searchParams.get('user') ?? 'default';
      password = url.searchParams.get('password') ?? '';
    }
    const given = Buffer.from(password);
    const ok = user === this.credentials.user && given.length === this.credentials.password.length && timingSafeEqual(given, this.credentials.password);
    if (ok) return undefined;
    if (password === '') return endpointException('REQUIRED_PASSWORD', `${user}: Authentication failed: password is required`);
    return endpointException('AUTHENTICATION_FAILED', `${user}: Authentication failed: password is incorrect, or there is no user with such name`);
  }

  private sendException(res: http.ServerResponse, headers: ResponseHeaders, e: ClickHouseException): void {
    new ResultWriter(res, headers, true, this.engine.version).fail(e);
  }
}

/** A GET runs with readonly=2 (reads and settings only); a request cannot lower that. */
function readOnly(params: ClickHouseHttpParams): ClickHouseHttpParams | ClickHouseException {
  const asked = params.settings.get('readonly');
  if (asked !== undefined && !['1', '2'].includes(asked.trim())) {
    return endpointException('READONLY', `Cannot modify 'readonly' setting in readonly mode: a GET request is read-only (use POST)`);
  }
  const settings = new Map(params.settings);
  settings.set('readonly', asked?.trim() ?? '2');
  return { ...params, settings };
}

/** A statement ready to run: the SQL (with `FROM INFILE` for data inserts) and the data. */
interface StatementPlan {
  shape: StatementShape;
  sql: string;
  /** Data of an `INSERT … FORMAT x` / `VALUES`, written to a temporary file first. */
  insertData: Buffer | undefined;
  /** `INSERT … FROM INFILE '<file>' …` for the data's file. */
  infileSql?: (file: string) => string;
}

function planStatement(text: Buffer): StatementPlan | ClickHouseException {
  // latin1 keeps one character per byte, so offsets found in the scan are byte offsets
  const truncated = text.length > SCAN_PREFIX_BYTES;
  let shape = statementShape(text.toString('latin1', 0, Math.min(text.length, SCAN_PREFIX_BYTES)));
  if (!(shape.insertData && (!truncated || shape.insertData.dataOffset < SCAN_PREFIX_BYTES)) && truncated) shape = statementShape(text.toString('latin1'));
  if (shape.kind === 'empty') return endpointException('SYNTAX_ERROR', 'Empty query');
  if (shape.multipleStatements) return endpointException('SYNTAX_ERROR', 'Multi-statements are not allowed');
  const refused = shape.calls.find((c) => OUTSIDE_ACCESS.has(c)) ?? (REFUSED_HEADS.has(shape.head) ? shape.head : undefined);
  if (refused !== undefined) {
    return endpointException('ACCESS_DENIED', `${refused} is not allowed through the embedded ClickHouse endpoint (no file system, network or process access from SQL)`);
  }
  const insert = shape.insertData;
  if (insert) {
    const target = text.toString('utf8', 0, insert.targetEnd).trimEnd();
    const settings = insert.settingsClause ? ` ${text.toString('utf8', insert.settingsClause.start, insert.settingsClause.end).trim()}` : '';
    return {
      shape,
      sql: target,
      insertData: text.subarray(insert.dataOffset),
      infileSql: (file) => `${target} FROM INFILE ${quoteString(file)}${settings} FORMAT ${insert.format}`,
    };
  }
  const sql = text.toString('utf8');
  // the engine takes NUL-terminated text: a NUL would silently cut the statement short
  if (sql.includes('\0')) return endpointException('SYNTAX_ERROR', 'Query text contains a NUL byte; pass binary values as query parameters');
  return { shape, sql, insertData: undefined };
}

async function runStatement(session: ChdbSession, plan: StatementPlan, defaultFormat: string, out: ResultWriter): Promise<void> {
  if (plan.insertData !== undefined && plan.infileSql) {
    const r = await session.queryWithFile(plan.insertData, plan.infileSql, defaultFormat);
    out.finish(r.data, { readRows: r.resultRows, readBytes: r.resultBytes, resultRows: 0, resultBytes: 0, writtenRows: r.resultRows, writtenBytes: r.resultBytes, elapsedSeconds: r.elapsedSeconds });
    return;
  }
  if (plan.shape.kind === 'select') {
    const total: SummaryStats = { readRows: 0, readBytes: 0, resultRows: 0, resultBytes: 0, writtenRows: 0, writtenBytes: 0, elapsedSeconds: 0 };
    let chunks = 0;
    let unstreamed = false;
    try {
      for await (const chunk of session.queryStream(plan.sql, defaultFormat)) {
        chunks++;
        total.resultRows += chunk.resultRows;
        total.resultBytes += chunk.resultBytes;
        out.push(chunk.data, total);
        if (out.clientGone) return; // ends the stream; the engine cancels the query
      }
    } catch (err) {
      // a statement that fails before its first block may be reported only as a stream
      // failure: running it unstreamed gives ClickHouse's own exception (a SELECT has no side effects)
      if (chunks > 0 || isClickHouseEngineError(err)) throw err;
      unstreamed = true;
    }
    if (unstreamed) {
      const r = await session.query(plan.sql, defaultFormat);
      out.finish(r.data, { ...total, resultRows: r.resultRows, resultBytes: r.resultBytes, elapsedSeconds: r.elapsedSeconds });
      return;
    }
    out.finish(new Uint8Array(0), total);
    return;
  }
  const r = await session.query(plan.sql, defaultFormat);
  const written = plan.shape.kind === 'insert' ? r.resultRows : 0;
  out.finish(r.data, { readRows: r.resultRows, readBytes: r.resultBytes, resultRows: r.resultRows, resultBytes: r.resultBytes, writtenRows: written, writtenBytes: written > 0 ? r.resultBytes : 0, elapsedSeconds: r.elapsedSeconds });
}

interface SummaryStats {
  readRows: number;
  readBytes: number;
  resultRows: number;
  resultBytes: number;
  writtenRows: number;
  writtenBytes: number;
  elapsedSeconds: number;
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

  push(chunk: Uint8Array, soFar: SummaryStats): void {
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
        'X-ClickHouse-Summary': summaryHeader(soFar),
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
