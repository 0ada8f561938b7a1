import { Readable } from 'node:stream';
import { ClickHouseError, type ClickHouseClient } from '@clickhouse/client';
import { quoteIdentifier } from '../../platform/clickhouse/clickhouse-connection.ts';
import { SluiceError } from '../../platform/errors/sluice-error.ts';
import { NativeEncoder } from './native-encoder.ts';
import { RowBinaryEncoder, type ColumnSpec } from './row-binary-encoder.ts';
import type { Row } from './signal-rows.ts';

/** Port the ingest pipeline writes rows through: one insert per (table, segment), with its deduplication token. */
export interface RowWriter {
  insert(table: string, rows: Row[], dedupToken: string): Promise<void>;
}

/**
 * ClickHouse error names that refuse the *content* of an insert (a value the column cannot
 * take): retrying the same rows cannot help, so the pipeline isolates the row instead.
 * Anything else (network, a busy or restarting server, TOO_MANY_PARTS, memory) is retried.
 * Names from ClickHouse's src/Common/ErrorCodes.cpp.
 */
const CONTENT_ERRORS = new Set([
  'CANNOT_PARSE_TEXT', 'CANNOT_PARSE_ESCAPE_SEQUENCE', 'CANNOT_PARSE_QUOTED_STRING', 'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
  'CANNOT_PARSE_DATE', 'CANNOT_PARSE_DATETIME', 'CANNOT_PARSE_NUMBER', 'CANNOT_PARSE_UUID', 'CANNOT_PARSE_BOOL',
  'CANNOT_PARSE_IPV4', 'CANNOT_PARSE_IPV6', 'CANNOT_READ_ARRAY_FROM_TEXT', 'CANNOT_READ_MAP_FROM_TEXT',
  'TYPE_MISMATCH', 'CANNOT_CONVERT_TYPE', 'INCORRECT_DATA', 'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
  'ARGUMENT_OUT_OF_BOUND', 'DECIMAL_OVERFLOW', 'TOO_LARGE_STRING_SIZE', 'TOO_LARGE_ARRAY_SIZE',
  'UNKNOWN_ELEMENT_OF_ENUM', 'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN', 'ILLEGAL_COLUMN',
]);

/** True when ClickHouse refused the rows' content (not retriable). */
export function isContentError(err: unknown): boolean {
  return err instanceof ClickHouseError && CONTENT_ERRORS.has(err.type ?? '');
}

/** Insert format of ClickHouseRowWriter (bench/insert-formats.bench.ts measures them). */
export type RowWriterFormat = 'Native' | 'RowBinary' | 'JSONEachRow';

type BinaryEncoder = Pick<NativeEncoder, 'encode'>;

/**
 * RowWriter over `@clickhouse/client`. Rows go as one Native block, encoded for the table's
 * column types (read once from `system.columns`): ClickHouse takes Native column by column,
 * the cheapest insert it has, and the encoding costs this thread less than JSON.stringify
 * (bench/insert-formats.bench.ts has the figures). A batch the encoder cannot represent
 * exactly (binary-column-codecs.ts), or a table with a column type it does not know, is sent
 * as JSONEachRow: same stored values either way. The deduplication token goes with the
 * insert whatever the format.
 */
export class ClickHouseRowWriter implements RowWriter {
  private readonly client: ClickHouseClient;
  private readonly format: RowWriterFormat;
  private readonly encoders = new Map<string, Promise<BinaryEncoder | undefined>>();
  private readonly threadNice: number | undefined;
  /** Inserts sent as JSONEachRow although a binary format was asked for (a value with no exact binary form). */
  jsonFallbacks = 0;

  /**
   * `threadNice`: Linux nice value (1–19) of the ClickHouse threads that run these inserts
   * (setting `os_thread_priority`; applied with CAP_SYS_NICE, else ignored by ClickHouse):
   * embedded mode runs its ingest inserts below the JavaScript thread that answers gates.
   */
  constructor(client: ClickHouseClient, opts: { format?: RowWriterFormat; threadNice?: number } = {}) {
    this.client = client;
    this.format = opts.format ?? 'Native';
    this.threadNice = opts.threadNice;
  }

  async insert(table: string, rows: Row[], dedupToken: string): Promise<void> {
    // with the table's non_replicated_deduplication_window, a replayed segment (same
    // rows, same token) is dropped by the server
    const settings = { insert_deduplication_token: dedupToken, ...(this.threadNice === undefined ? {} : { os_thread_priority: String(this.threadNice) }) };
    try {
      const encoded = this.format === 'JSONEachRow' ? undefined : (await this.encoderFor(table))?.encode(rows);
      if (encoded) {
        const columns = encoded.columns.map(quoteIdentifier).join(', ');
        const result = await this.client.exec({
          query: `INSERT INTO ${quoteIdentifier(table)} (${columns}) FORMAT ${this.format}`,
          values: Readable.from([encoded.data], { objectMode: false }),
          clickhouse_settings: settings,
        });
        for await (const _ of result.stream) {
          // an insert answers with an empty body; reading it frees the connection
        }
        return;
      }
      if (this.format !== 'JSONEachRow') this.jsonFallbacks++;
      await this.client.insert({ table, values: rows, format: 'JSONEachRow', clickhouse_settings: settings });
    } catch (err) {
      if (err instanceof SluiceError) throw err;
      const content = isContentError(err);
      throw new SluiceError(content ? 'CLICKHOUSE_ROW_REJECTED' : 'CLICKHOUSE_INSERT_FAILED', `insert into ${table} failed: ${(err as Error).message}`, {
        retriable: !content,
        cause: err,
      });
    }
  }

  /** The table's binary encoder (undefined: a column type it does not know); a failed lookup is retried next time. */
  private encoderFor(table: string): Promise<BinaryEncoder | undefined> {
    let encoder = this.encoders.get(table);
    if (!encoder) {
      encoder = (async () => {
        const rs = await this.client.query({
          query: `SELECT name, type FROM system.columns
                  WHERE database = currentDatabase() AND table = {table:String} AND default_kind NOT IN ('MATERIALIZED', 'ALIAS', 'EPHEMERAL')
                  ORDER BY position`,
          query_params: { table },
          format: 'JSONEachRow',
        });
        const columns = await rs.json<ColumnSpec>();
        if (columns.length === 0 || !columns.every((c) => IDENTIFIER.test(c.name))) return undefined;
        return this.format === 'Native' ? NativeEncoder.forColumns(columns) : RowBinaryEncoder.forColumns(columns);
      })();
      this.encoders.set(table, encoder);
      encoder.catch(() => this.encoders.delete(table));
    }
    return encoder;
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** In-memory RowWriter: the standard fake for unit tests of the pipeline (token deduplication as ClickHouse does it). */
export class InMemoryRowWriter implements RowWriter {
  readonly tables = new Map<string, Row[]>();
  private readonly tokens = new Set<string>();
  /** Makes the next N inserts fail retriably (to test retries). */
  failNext = 0;
  /** Refuses rows for which this returns a message (to test content errors). */
  rejectRow: ((table: string, row: Row) => string | undefined) | undefined;

  async insert(table: string, rows: Row[], dedupToken: string): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new SluiceError('CLICKHOUSE_INSERT_FAILED', 'simulated outage', { retriable: true });
    }
    for (const row of rows) {
      const refusal = this.rejectRow?.(table, row);
      if (refusal !== undefined) throw new SluiceError('CLICKHOUSE_ROW_REJECTED', refusal, { retriable: false });
    }
    if (this.tokens.has(`${table}/${dedupToken}`)) return;
    this.tokens.add(`${table}/${dedupToken}`);
    const list = this.tables.get(table) ?? [];
    list.push(...rows);
    this.tables.set(table, list);
  }

  rows(table: string): Row[] {
    return this.tables.get(table) ?? [];
  }
}
