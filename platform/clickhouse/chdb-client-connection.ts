import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { parseError } from '@clickhouse/client';
import {
  formatQueryParams,
  formatQuerySettings,
  type ConnBaseQueryParams,
  type ConnBaseQueryParams as ConnCommandParamsBase,
  type ConnCommandResult,
  type ConnExecParams,
  type ConnExecResult,
  type ConnInsertParams,
  type ConnInsertResult,
  type ConnPingResult,
  type ConnQueryResult,
  type Connection,
} from '@clickhouse/client/dist/common/index.js';
import { SluiceError, errorMessage } from '../errors/sluice-error.ts';
import { isClickHouseEngineError, type ChdbEngine, type ChdbSession, type ChdbStatementStats } from './chdb-engine.ts';
import { quoteIdentifier, quoteString } from './clickhouse-http-request.ts';
import { statementShape } from './clickhouse-query-shape.ts';

/**
 * `@clickhouse/client`'s connection contract (`createClient({ connection })`) over the
 * in-process native engine, so embedded mode runs exactly the client code that talks to a
 * ClickHouse server over HTTP. Each call runs on its own engine connection:
 *
 * - `USE <database>`, then the call's settings as `SET k = v` and its query parameters as
 *   `SET param_k = '<text>'`, formatted by the client's own `formatQueryParams` — the text
 *   a server receives as `param_k` over HTTP, parsed by ClickHouse the same way — sent in
 *   the same engine call as the statement (`USE …; SET …; <statement>`);
 * - nothing a call sets survives it (the connection is closed), so an insert's
 *   `insert_deduplication_token` can never reach the next insert;
 * - inserts go through a temporary file and `INSERT … FROM INFILE` (see ChdbEngine).
 *
 * The contract is deep-imported from `@clickhouse/client/dist/common` (the client does
 * not re-export it on purpose: an experimental hook). Used instead of chdb's own `chdb/connection`, which runs `SET` on one long-lived session
 * shared by every call (settings leak from call to call) and runs calls one at a time.
 */

/** Settings only a ClickHouse HTTP server understands; in-process they mean nothing. */
const HTTP_ONLY_SETTINGS = new Set([
  'wait_end_of_query',
  'send_progress_in_http_headers',
  'http_response_buffer_size',
  'http_headers_progress_interval_ms',
  'http_send_progress_interval_ms',
  'enable_http_compression',
  'http_zlib_compression_level',
  'http_response_compression_method',
  'http_native_compression_disable_checksumming_on_decompress',
]);

export interface ChdbClientConnectionOptions {
  engine: ChdbEngine;
  /** Database the calls run in (`USE`); default `default`. */
  database?: string;
}

export class ChdbClientConnection implements Connection<Readable> {
  private readonly engine: ChdbEngine;
  private readonly database: string;
  private closed = false;

  constructor(opts: ChdbClientConnectionOptions) {
    this.engine = opts.engine;
    this.database = opts.database ?? 'default';
  }

  async ping(): Promise<ConnPingResult> {
    try {
      await this.run({ query: 'SELECT 1' }, (s) => s.query('SELECT 1', 'TabSeparated'));
      return { success: true };
    } catch (err) {
      return { success: false, error: err as Error };
    }
  }

  async query(params: ConnBaseQueryParams): Promise<ConnQueryResult<Readable>> {
    const { format, settings } = splitFormat(params);
    const r = await this.run({ ...params, clickhouse_settings: settings }, (s) => s.query(params.query, format));
    const outputFormat = statementShape(params.query).outputFormat ?? format;
    return { stream: readableOf(r.data), ...base(params, this.engine.timezone, outputFormat, r, false) };
  }

  async exec(params: ConnExecParams<Readable>): Promise<ConnExecResult<Readable>> {
    const { format, settings } = splitFormat(params);
    const data = params.values === undefined ? undefined : await collect(params.values);
    const r = await this.run({ ...params, clickhouse_settings: settings }, (s) =>
      data === undefined || data.length === 0 ? s.query(params.query, format) : insertFromFile(s, params.query, data, format),
    );
    return { stream: readableOf(r.data), ...base(params, this.engine.timezone, format, r, false), summary: summary(r, false) };
  }

  async command(params: ConnCommandParamsBase & { ignore_error_response?: boolean }): Promise<ConnCommandResult> {
    const { format, settings } = splitFormat(params);
    const r = await this.run({ ...params, clickhouse_settings: settings }, (s) => s.query(params.query, format));
    return { ...base(params, this.engine.timezone, format, r, false), summary: summary(r, false) };
  }

  async insert(params: ConnInsertParams<Readable>): Promise<ConnInsertResult> {
    const data = await collect(params.values);
    if (data.length === 0 || isBlank(data)) {
      const none = { resultRows: 0, resultBytes: 0, elapsedSeconds: 0 };
      return { ...base(params, this.engine.timezone, undefined, none, true), summary: summary(none, true) };
    }
    const { format, settings } = splitFormat(params);
    const r = await this.run({ ...params, clickhouse_settings: settings }, (s) => insertFromFile(s, params.query, data, format));
    return { ...base(params, this.engine.timezone, undefined, r, true), summary: summary(r, true) };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /**
   * Runs `statement` on a fresh engine connection after `USE`, settings and parameters —
   * sent with the statement as one multi-statement call (`USE d; SET …; <statement>`), so
   * a call costs one engine round trip, not three: each engine call also costs the event
   * loop time under load (measured by `npm run bench:gate`).
   */
  private async run<T>(params: ConnBaseQueryParams, statement: (s: ChdbSession) => Promise<T>): Promise<T> {
    if (this.closed) throw new SluiceError('CLICKHOUSE_CLIENT_CLOSED', 'the ClickHouse client is closed');
    const set = setClause(params);
    const prefix = [this.database !== 'default' ? `USE ${quoteIdentifier(this.database)}` : undefined, set].filter((p) => p !== undefined).join('; ');
    try {
      return await this.engine.run((s) => statement(prefix === '' ? s : prefixed(s, prefix)));
    } catch (err) {
      // ClickHouse's own errors become the client's ClickHouseError (code, type), as over HTTP
      if (isClickHouseEngineError(err)) throw parseError(errorMessage(err));
      throw err instanceof SluiceError ? err : new SluiceError('CLICKHOUSE_ENGINE_FAILED', `embedded ClickHouse call failed: ${errorMessage(err)}`, { cause: err, retriable: true });
    }
  }
}

/** A session whose statements run after `prefix` (`USE …; SET …`) in the same engine call; a stream runs it first on its own. */
function prefixed(s: ChdbSession, prefix: string): ChdbSession {
  return {
    query: (sql, format) => s.query(`${prefix}; ${sql}`, format),
    queryWithFile: (data, sql, format) => s.queryWithFile(data, (file) => `${prefix}; ${sql(file)}`, format),
    async *queryStream(sql, format) {
      await s.query(prefix, 'TabSeparated');
      yield* s.queryStream(sql, format);
    },
  };
}

/** `default_format` chooses the output format; every other setting is SET. */
function splitFormat(params: ConnBaseQueryParams): { format: string; settings: ConnBaseQueryParams['clickhouse_settings'] } {
  const { default_format: format, ...settings } = params.clickhouse_settings ?? {};
  return { format: typeof format === 'string' && String(format) !== '' ? String(format) : 'TabSeparated', settings };
}

/** One `SET` for the call's settings and query parameters; undefined when there are none. */
function setClause(params: ConnBaseQueryParams): string | undefined {
  const assignments: string[] = [];
  for (const [name, value] of Object.entries(params.clickhouse_settings ?? {})) {
    if (value === undefined || HTTP_ONLY_SETTINGS.has(name)) continue;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new SluiceError('CLICKHOUSE_BAD_SETTING', `invalid setting name ${JSON.stringify(name)}`);
    assignments.push(`${name} = ${quoteString(formatQuerySettings(value as never))}`);
  }
  for (const [name, value] of Object.entries(params.query_params ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new SluiceError('CLICKHOUSE_BAD_PARAMETER', `invalid query parameter name ${JSON.stringify(name)}`);
    assignments.push(`param_${name} = ${quoteString(formatQueryParams({ value }))}`);
  }
  return assignments.length === 0 ? undefined : `SET ${assignments.join(', ')}`;
}

/** `INSERT INTO t … FORMAT x` + data → `INSERT INTO t … FROM INFILE '<file>' [SETTINGS …] FORMAT x`. */
function insertFromFile(s: ChdbSession, query: string, data: Buffer, format: string) {
  const shape = statementShape(query).insertData;
  if (shape === undefined) throw new SluiceError('CLICKHOUSE_BAD_INSERT', `not an INSERT … FORMAT statement: ${query.slice(0, 200)}`);
  const target = query.slice(0, shape.targetEnd).trimEnd();
  const settings = shape.settingsClause ? ` ${query.slice(shape.settingsClause.start, shape.settingsClause.end).trim()}` : '';
  return s.queryWithFile(data, (file) => `${target} FROM INFILE ${quoteString(file)}${settings} FORMAT ${shape.format}`, format);
}

async function collect(values: string | Readable): Promise<Buffer> {
  if (typeof values === 'string') return Buffer.from(values);
  const chunks: Buffer[] = [];
  for await (const chunk of values) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

function isBlank(data: Buffer): boolean {
  for (const byte of data) if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return false;
  return true;
}

function readableOf(data: Uint8Array): Readable {
  const stream = Readable.from(data.length === 0 ? [] : [Buffer.from(data.buffer, data.byteOffset, data.byteLength)], { objectMode: false });
  // ResultSet.close() destroys an unread stream with an error; nothing else can fail here
  stream.on('error', () => undefined);
  return stream;
}

/** Query id and the response headers a server would send (format, summary, time zone, query id). */
function base(params: ConnBaseQueryParams, timezone: string, format: string | undefined, r: ChdbStatementStats, written: boolean) {
  const query_id = params.query_id ?? randomUUID();
  const response_headers: Record<string, string> = {
    'x-clickhouse-query-id': query_id,
    'x-clickhouse-timezone': timezone,
    'x-clickhouse-summary': JSON.stringify(summary(r, written)),
  };
  if (format !== undefined) response_headers['x-clickhouse-format'] = format;
  return { query_id, response_headers, http_status_code: 200 };
}

function summary(r: ChdbStatementStats, written: boolean) {
  const rows = String(r.resultRows);
  const bytes = String(r.resultBytes);
  return {
    read_rows: rows,
    read_bytes: bytes,
    written_rows: written ? rows : '0',
    written_bytes: written ? bytes : '0',
    total_rows_to_read: '0',
    result_rows: written ? '0' : rows,
    result_bytes: written ? '0' : bytes,
    elapsed_ns: String(Math.round(r.elapsedSeconds * 1e9)),
  };
}
