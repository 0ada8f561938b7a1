import { ClickHouseError, type ClickHouseClient } from '@clickhouse/client';
import { SluiceError } from '../../platform/errors/sluice-error.ts';
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

/** RowWriter over `@clickhouse/client`: JSONEachRow inserts (bench/insert-formats.bench.ts compares the formats). */
export class ClickHouseRowWriter implements RowWriter {
  private readonly client: ClickHouseClient;

  constructor(client: ClickHouseClient) {
    this.client = client;
  }

  async insert(table: string, rows: Row[], dedupToken: string): Promise<void> {
    try {
      await this.client.insert({
        table,
        values: rows,
        format: 'JSONEachRow',
        // with the table's non_replicated_deduplication_window, a replayed segment (same
        // rows, same token) is dropped by the server
        clickhouse_settings: { insert_deduplication_token: dedupToken },
      });
    } catch (err) {
      const content = isContentError(err);
      throw new SluiceError(content ? 'CLICKHOUSE_ROW_REJECTED' : 'CLICKHOUSE_INSERT_FAILED', `insert into ${table} failed: ${(err as Error).message}`, {
        retriable: !content,
        cause: err,
      });
    }
  }
}

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
