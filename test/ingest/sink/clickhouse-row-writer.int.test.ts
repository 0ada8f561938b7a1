import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonEventDecoder } from '../../../ingest/decode/json-event-decoder.ts';
import { ClickHouseRowWriter } from '../../../ingest/sink/clickhouse-row-writer.ts';
import { toDateTime64 } from '../../../platform/clickhouse/clickhouse-time.ts';
import { DEAD_LETTER_TABLE, SIGNAL_TABLES, deadLetterRow, type Row } from '../../../ingest/sink/signal-rows.ts';
import type { Signal } from '../../../schema/events/v1/signal.ts';
import { VALID_EVENTS } from '../decode/json-event-fixture.ts';
import { BASE_TIME_MS } from '../../support/span-fixtures.ts';
import { migratedDatabase } from '../../support/test-services.ts';

/** Recent times: raw tables drop rows older than their TTL (14–30 days) as they are written. */
const NOW = BASE_TIME_MS + 123;
const recent = (event: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(event).map(([k, v]) => [k, typeof v === 'number' && k.endsWith('Ms') && k !== 'durationMs' ? NOW - 60_000 : v]));
/** Text that every format escapes differently. */
const AWKWARD = ['tab\there', 'new\nline', "quote ' and \" both", 'back\\slash', 'nul\u0000byte', 'ünïcödé ✓ 日本語 🚀', '\r\n', '{\'k\':\'v\'}', ''];

/** Rows of one signal through its real decoder and mapping, with awkward text in every free-text field. */
function rowsOf(signal: Signal): Row[] {
  const decoder = new JsonEventDecoder(signal);
  return AWKWARD.map((text, i) => {
    const event: Record<string, unknown> = { ...recent(VALID_EVENTS[signal]), attributes: { note: text, [`k${text}`]: 'v' } };
    for (const field of ['operation', 'route', 'body', 'title', 'failedStep', 'journey', 'changeTicket', 'team']) {
      if (field in event || ['operation', 'body', 'title'].includes(field)) event[field] = text || 'x';
    }
    // deploys and incidents are ReplacingMergeTrees: one row per id
    if (signal === 'deploys') event.deployId = `d-${i}`;
    if (signal === 'incidents') event.incidentId = `inc-${i}`;
    if (signal === 'deploys' && i % 2 === 0) event.finishedAtMs = NOW - 5;
    if (signal === 'incidents' && i % 2 === 0) event.resolvedAtMs = NOW - 5;
    const [item] = decoder.decode(Buffer.from(JSON.stringify(event)));
    if (!item?.ok) throw new Error(`fixture did not decode: ${JSON.stringify(item)}`);
    const spec = SIGNAL_TABLES[signal] as { toRow(e: unknown, p: { source: string; partition: number; offset: number }, w: number, n: number): Row };
    return spec.toRow(item.value.event, { source: `t-${signal}`, partition: i % 3, offset: i - 1 }, 1 / (i + 1), NOW + i);
  });
}

describe('ClickHouseRowWriter (RowBinary) on the real store', () => {
  let client: ClickHouseClient;
  beforeAll(async () => {
    ({ client } = await migratedDatabase('rowwriter'));
  });
  afterAll(async () => {
    await client?.close();
  });

  /** Every column of a table, as text, sorted: what a reader sees. */
  async function stored(table: string): Promise<string[]> {
    const rs = await client.query({ query: `SELECT * FROM ${table}`, format: 'JSONEachRow' });
    return (await rs.json<Record<string, unknown>>()).map((r) => JSON.stringify(r)).sort();
  }

  const tables: { table: string; rows: () => Row[] }[] = [
    ...(Object.keys(SIGNAL_TABLES) as Signal[]).map((signal) => ({ table: SIGNAL_TABLES[signal].table, rows: () => rowsOf(signal) })),
    {
      table: DEAD_LETTER_TABLE,
      rows: () => AWKWARD.map((text, i) => deadLetterRow('spans', 'schema_violation', text, Buffer.from([0, 255, i]), { source: 't', partition: 0, offset: i }, NOW)),
    },
    {
      table: 'sli_rollups',
      rows: () => [0, 1].map((i) => ({
        slo: 's', service: 'svc', environment: 'production', version: '1', minute: toDateTime64(NOW).slice(0, 19), good: 3 + i, total: 4 + i, late_events: i,
        sketch_index: [1, -2], sketch_count: [5, 6], source: 't', source_partition: 0, source_offset: 9, segment_lo: 1, written_at: toDateTime64(NOW + 1),
      })),
    },
  ];

  it.each(tables)('stores in $table exactly what JSONEachRow stores', async ({ table, rows }) => {
    const binary = new ClickHouseRowWriter(client);
    await client.command({ query: `CREATE TABLE ${table}_json AS ${table}` });
    await binary.insert(table, rows(), `${table}:binary`);
    await new ClickHouseRowWriter(client, { format: 'JSONEachRow' }).insert(`${table}_json`, rows(), `${table}:json`);
    expect(binary.jsonFallbacks).toBe(0);
    const [viaBinary, viaJson] = [await stored(table), await stored(`${table}_json`)];
    expect(viaBinary).toHaveLength(rows().length);
    expect(viaBinary).toEqual(viaJson);
  });

  it('drops a replayed insert with the same token, as for JSONEachRow', async () => {
    const writer = new ClickHouseRowWriter(client);
    const rows = rowsOf('spans').map((r) => ({ ...r, source: 'replay' }));
    await writer.insert('spans_raw', rows, 'spans_raw:replay:0:0-8');
    await writer.insert('spans_raw', rows, 'spans_raw:replay:0:0-8');
    const rs = await client.query({ query: "SELECT toString(count()) AS n FROM spans_raw WHERE source = 'replay'", format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ n: String(rows.length) }]);
  });

  it('sends a batch with a value RowBinary cannot carry exactly as JSONEachRow', async () => {
    const writer = new ClickHouseRowWriter(client);
    const rows = rowsOf('spans').map((r) => ({ ...r, source: 'nan', duration_ms: Number.NaN }));
    await writer.insert('spans_raw', rows, 'spans_raw:nan:0:0-8');
    expect(writer.jsonFallbacks).toBe(1);
    const rs = await client.query({ query: "SELECT DISTINCT duration_ms FROM spans_raw WHERE source = 'nan'", format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ duration_ms: 0 }]);
  });

  it('reports a refused row as a content error the pipeline isolates', async () => {
    const writer = new ClickHouseRowWriter(client);
    const [row] = rowsOf('spans');
    await expect(writer.insert('spans_raw', [{ ...row!, start_time: 'yesterday' }], 'spans_raw:bad:0:0-0')).rejects.toMatchObject({ code: 'CLICKHOUSE_ROW_REJECTED', retriable: false });
  });
});
