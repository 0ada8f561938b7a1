import type { ClickHouseClient } from '@clickhouse/client';
import { SluiceError } from '../../platform/errors/sluice-error.ts';
import type { Row } from './signal-rows.ts';

/**
 * Port the ingest pipeline writes through. `maxWrittenOffset` answers which Kafka
 * positions of a partition are already durable in a table, so a replay after a crash
 * (offsets are committed only after writes) skips them instead of writing them twice.
 */
export interface RowWriter {
  insert(table: string, rows: Row[], dedupToken: string): Promise<void>;
  /** Highest `source_offset` stored in `table` for (source, partition); -1 when none. */
  maxWrittenOffset(table: string, source: string, partition: number): Promise<number>;
}

/** RowWriter over `@clickhouse/client`: JSONEachRow inserts, parameterised reads. */
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
        // with the table's non_replicated_deduplication_window, a retried insert of the
        // same batch (response lost in an outage) is dropped by the server
        clickhouse_settings: { insert_deduplication_token: dedupToken },
      });
    } catch (err) {
      throw new SluiceError('CLICKHOUSE_INSERT_FAILED', `insert into ${table} failed: ${(err as Error).message}`, {
        retriable: true,
        cause: err,
      });
    }
  }

  async maxWrittenOffset(table: string, source: string, partition: number): Promise<number> {
    // table names come from SIGNAL_TABLES (code), never from input; values are parameters
    const result = await this.client.query({
      query: `SELECT max(source_offset) AS max_offset, count() AS n FROM ${table}
              WHERE source = {source:String} AND source_partition = {partition:Int32}`,
      query_params: { source, partition },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ max_offset: string | number; n: string | number }>();
    return row && Number(row.n) > 0 ? Number(row.max_offset) : -1;
  }
}

/** In-memory RowWriter: the standard fake for unit tests of the pipeline. */
export class InMemoryRowWriter implements RowWriter {
  readonly tables = new Map<string, Row[]>();
  private readonly tokens = new Set<string>();
  /** Makes the next N inserts fail (to test retries). */
  failNext = 0;

  async insert(table: string, rows: Row[], dedupToken: string): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new SluiceError('CLICKHOUSE_INSERT_FAILED', 'simulated outage', { retriable: true });
    }
    if (this.tokens.has(`${table}/${dedupToken}`)) return;
    this.tokens.add(`${table}/${dedupToken}`);
    const list = this.tables.get(table) ?? [];
    list.push(...rows);
    this.tables.set(table, list);
  }

  async maxWrittenOffset(table: string, source: string, partition: number): Promise<number> {
    let max = -1;
    for (const row of this.tables.get(table) ?? []) {
      if (row.source === source && row.source_partition === partition) max = Math.max(max, Number(row.source_offset));
    }
    return max;
  }

  rows(table: string): Row[] {
    return this.tables.get(table) ?? [];
  }
}
