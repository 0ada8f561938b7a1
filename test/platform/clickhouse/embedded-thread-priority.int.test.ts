import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseRowWriter } from '../../../ingest/sink/clickhouse-row-writer.ts';
import { connectClickHouse } from '../../../platform/clickhouse/clickhouse-connection.ts';
import { openEmbeddedStore, type EmbeddedStore } from '../../../platform/clickhouse/embedded-store.ts';

/**
 * The embedded engine's work that competes with the JavaScript thread for the cores runs
 * below it: merges always, ingest inserts when asked (docs/gates.md "Measured"). Linux
 * applies a nice value per thread; ClickHouse sets one only with CAP_SYS_NICE (root has
 * it), so without the capability the threads keep nice 0.
 */
const dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-thread-priority-'));
let store: EmbeddedStore;
let client: ClickHouseClient;
/** The nice value ClickHouse can give its threads in this process: 10, or 0 without CAP_SYS_NICE. */
const expectedNice = hasCapSysNice() ? 10 : 0;

beforeAll(async () => {
  store = await openEmbeddedStore({ dataDir, port: 0 });
  client = await connectClickHouse({ engine: store.engine, database: 'default' });
});
afterAll(async () => {
  await client?.close();
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('embedded ClickHouse thread priority', () => {
  it('runs background merges at nice 10', async () => {
    const setting = await client.query({ query: "SELECT value FROM system.server_settings WHERE name = 'os_threads_nice_value_merge_mutate'", format: 'JSONEachRow' });
    expect(await setting.json()).toEqual([{ value: '10' }]);
    await client.command({ query: 'CREATE TABLE merged (n UInt64, s String) ENGINE = MergeTree ORDER BY n' });
    // a merge thread runs at that nice value while it merges: watch the threads while parts merge
    const seen = new Set<number>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const t of threads()) if (t.name === 'MergeMutate') seen.add(t.nice);
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    const activeParts = async () => {
      const rs = await client.query({ query: "SELECT count() AS c FROM system.parts WHERE database = currentDatabase() AND table = 'merged' AND active", format: 'JSONEachRow' });
      return ((await rs.json()) as { c: number }[])[0]!.c;
    };
    for (let i = 0; i < 10; i++) await client.command({ query: `INSERT INTO merged SELECT number, toString(number) FROM numbers(${i * 300_000}, 300_000)` });
    const deadline = Date.now() + 30_000;
    const merged = async () => (await activeParts()) < 10 && (expectedNice === 0 || seen.has(expectedNice));
    while (!(await merged()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    watching = false;
    await watcher;
    expect(await activeParts()).toBeLessThan(10);
    if (expectedNice !== 0) expect(seen).toContain(10);
    expect([...seen].filter((nice) => nice !== 0 && nice !== 10)).toEqual([]);
  });

  it('runs an insert of a row writer made with threadNice 10 at nice 10, and stores its rows', async () => {
    await client.command({ query: 'CREATE TABLE ingested (n UInt64, s String) ENGINE = MergeTree ORDER BY n' });
    const writer = new ClickHouseRowWriter(client, { threadNice: 10 });
    const rows = Array.from({ length: 5_000_000 }, (_, n) => ({ n, s: `row ${n}` }));
    const seen = new Set<number>();
    let writing = true;
    const inserted = writer.insert('ingested', rows, 'priority-test').finally(() => (writing = false));
    // watch the engine's threads while the insert runs: some of them run at the asked nice
    while (writing) {
      for (const t of threads()) if (t.name !== 'MergeMutate') seen.add(t.nice);
      await new Promise((r) => setTimeout(r, 2));
    }
    await inserted;
    const rs = await client.query({ query: 'SELECT count() AS c FROM ingested', format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ c: 5_000_000 }]);
    if (expectedNice !== 0) expect(seen).toContain(10);
    // and nothing else of the process was left below the event loop once it finished
    expect(threads().filter((t) => t.name !== 'MergeMutate' && t.nice === 10)).toEqual([]);
  });
});

/** This process's threads with their names and nice values (/proc/self/task/<tid>/stat, field 19). */
function threads(): { tid: string; name: string; nice: number }[] {
  const out: { tid: string; name: string; nice: number }[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    out.push({ tid, name, nice });
  }
  return out;
}

/** Whether this process holds CAP_SYS_NICE (bit 23 of CapEff in /proc/self/status). */
function hasCapSysNice(): boolean {
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return capEff !== undefined && (BigInt(`0x${capEff}`) & (1n << 23n)) !== 0n;
}
