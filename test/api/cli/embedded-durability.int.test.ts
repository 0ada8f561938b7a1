import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { connectClickHouse, type ClickHouseClient } from '../../../platform/clickhouse/clickhouse-connection.ts';
import { PASSWORD_FILE } from '../../../platform/clickhouse/embedded-store.ts';
import { verifyAuditEntries } from '../../../api/audit/audit-chain-verifier.ts';
import { ClickHouseAuditStore } from '../../../api/audit/clickhouse-audit-store.ts';
import { spanJson } from '../../support/span-fixtures.ts';
import { availabilitySloYaml, sloDirectory } from '../../support/slo-files.ts';

/**
 * `sluice start` as a user runs it, in a child process on a data directory of its own:
 * - acknowledged means durable: `kill -9` right after a 200 loses nothing acknowledged,
 *   neither ingested rows nor gate decisions and their audit entries (insert journal);
 * - stop (SIGTERM, exit 0) and start again: every raw row, rollup, dead letter and
 *   transition is still there, and `health` shows the same counts;
 * - a second `sluice start` on the same directory is refused with an error naming it.
 */

const CLI = fileURLToPath(new URL('../../../bin/sluice.ts', import.meta.url));
const NODE = process.execPath;

interface Running {
  child: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

async function start(dataDir: string, sloDir: string): Promise<Running> {
  const child = spawn(NODE, [CLI, 'start', '--no-simulate', '--data-dir', dataDir, '--port', '0', '--embedded-clickhouse-port', '0', '--slo-dir', sloDir, '--log-level', 'warn', '--batch-max-delay-ms', '200'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-8_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sluice start did not print its URL within 60 s: ${stderr}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /GraphQL\s+(http:\/\/127\.0\.0\.1:\d+)\/graphql/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then(({ code }) => reject(new Error(`sluice start exited ${code} before it was ready: ${stderr}`)));
  });
  return { child, url, exited, stderr: () => stderr };
}

async function postSpans(url: string, lines: string[]): Promise<Response> {
  return fetch(`${url}/ingest/spans`, { method: 'POST', body: lines.join('\n'), headers: { 'content-type': 'application/x-ndjson' } });
}

async function graphql<T>(url: string, query: string): Promise<T> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  const body = (await res.json()) as { data: T; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** Reads the stopped directory's store through a short-lived `sluice clickhouse` on it. */
async function withStore<T>(dataDir: string, fn: (client: ClickHouseClient) => Promise<T>): Promise<T> {
  const child = spawn(NODE, [CLI, 'clickhouse', '--data-dir', dataDir, '--embedded-clickhouse-port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /CLICKHOUSE_URL=(\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`sluice clickhouse exited ${code}`)));
  });
  const client = await connectClickHouse({ url, password: readFileSync(path.join(dataDir, PASSWORD_FILE), 'utf8').trim(), database: 'sluice' });
  try {
    return await fn(client);
  } finally {
    await client.close();
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  }
}

const count = async (client: ClickHouseClient, sql: string) => Number(((await (await client.query({ query: sql, format: 'JSONEachRow' })).json()) as Record<string, string>[])[0]!.n);

describe('sluice start keeps what it acknowledged', () => {
  const dirs: string[] = [];
  const running: ChildProcess[] = [];
  afterAll(() => {
    for (const c of running) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const fresh = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'sluice-durability-'));
    dirs.push(d);
    return d;
  };
  const sloDir = sloDirectory({ 'd.yaml': availabilitySloYaml('d-availability', 'd') });

  it('kill -9 right after a 200 loses nothing that was acknowledged', async () => {
    const dataDir = fresh();
    const app = await start(dataDir, sloDir);
    running.push(app.child);
    const base = Date.now() - 120_000;
    let acknowledged = 0;
    let n = 0;
    // concurrent requests, the kill lands while some are in flight
    const sender = async () => {
      for (let r = 0; r < 40; r++) {
        const lines = Array.from({ length: 50 }, () => JSON.stringify(spanJson(n, { service: 'd', startTimeMs: base + n++ })));
        let res: Response;
        try {
          res = await postSpans(app.url, lines);
        } catch {
          return; // the process is gone
        }
        if (res.status === 200) acknowledged += ((await res.json()) as { accepted: number }).accepted;
      }
    };
    const senders = [sender(), sender(), sender(), sender()];
    await new Promise((r) => setTimeout(r, 1_500));
    app.child.kill('SIGKILL');
    await app.exited;
    await Promise.all(senders);
    expect(acknowledged).toBeGreaterThan(0);
    await withStore(dataDir, async (client) => {
      const stored = await count(client, "SELECT count() AS n FROM spans_raw WHERE service = 'd'");
      const counted = await count(client, "SELECT sum(total) AS n FROM sli_rollups WHERE slo = 'd-availability'");
      console.log(`[durability] kill -9: ${acknowledged} spans acknowledged, ${stored} stored, ${counted} counted`);
      // what was acknowledged is stored and counted; a batch nobody was told about yet may
      // have reached some tables and not others when the process died (its senders got no
      // answer and would retry: at-least-once for unacknowledged input)
      expect(stored).toBeGreaterThanOrEqual(acknowledged);
      expect(counted).toBeGreaterThanOrEqual(acknowledged);
    });
  }, 180_000);

  it('kill -9 right after a gate answered loses neither its decision nor its audit entry (the insert journal)', async () => {
    const dataDir = fresh();
    const app = await start(dataDir, sloDir);
    running.push(app.child);
    const answered: string[] = [];
    const asker = async (k: number) => {
      for (let r = 0; ; r++) {
        let body: { data?: { gate?: { decisionId: string } } };
        try {
          const res = await fetch(`${app.url}/graphql`, {
            method: 'POST', headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: `{ gate(service: "d", environment: "production", version: "1.${k}.${r}") { decisionId verdict } }` }),
          });
          body = (await res.json()) as typeof body;
        } catch {
          return; // the process is gone
        }
        if (body.data?.gate) answered.push(body.data.gate.decisionId);
      }
    };
    const askers = [asker(0), asker(1), asker(2), asker(3)];
    await new Promise((r) => setTimeout(r, 1_500));
    app.child.kill('SIGKILL');
    await app.exited;
    await Promise.all(askers);
    expect(answered.length).toBeGreaterThan(20);
    // `sluice clickhouse` on the directory copies what the killed process journaled
    await withStore(dataDir, async (client) => {
      const stored = new Set(((await (await client.query({ query: 'SELECT decision_id FROM gate_decisions FINAL', format: 'JSONEachRow' })).json()) as { decision_id: string }[]).map((r) => r.decision_id));
      const audited = ((await (await client.query({ query: "SELECT detail FROM audit_log WHERE operation = 'Query.gate' AND outcome = 'ok'", format: 'JSONEachRow' })).json()) as { detail: string }[])
        .map((r) => /decisionId=(\S+)/.exec(r.detail)?.[1]);
      console.log(`[durability] kill -9: ${answered.length} gate decisions answered, ${stored.size} stored, ${audited.length} audited`);
      for (const id of answered) {
        expect(stored.has(id), `decision ${id} answered but not stored`).toBe(true);
        expect(audited, `decision ${id} answered but not audited`).toContain(id);
      }
      expect(new Set(audited).size).toBe(audited.length); // each entry once
      const verification = await verifyAuditEntries(new ClickHouseAuditStore(client).scan());
      expect(verification.breaks).toEqual([]);
    });
  }, 180_000);

  it('stops with exit code 0 on SIGTERM, and after a restart every row, dead letter and rollup is still there', async () => {
    const dataDir = fresh();
    const first = await start(dataDir, sloDir);
    running.push(first.child);
    const base = Date.now() - 300_000;
    const lines = Array.from({ length: 500 }, (_, i) => JSON.stringify(spanJson(i, { service: 'd', error: i % 50 === 0, startTimeMs: base + i * 100 })));
    lines.push('{"service":"d","durationMs":"slow"}', '{not json');
    const res = await postSpans(first.url, lines);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 500 });
    type Health = { health: { rowsIngested: { spans: number }; deadLettered: { reason: string; count: number }[] } };
    const before = await graphql<Health>(first.url, '{ health { rowsIngested { spans } deadLettered { reason count } } }');
    expect(before.health.rowsIngested.spans).toBe(500);

    // a second process on the same directory is refused, naming it
    const second = spawn(NODE, [CLI, 'start', '--no-simulate', '--data-dir', dataDir, '--port', '0', '--embedded-clickhouse-port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let secondErr = '';
    second.stderr!.on('data', (d: Buffer) => void (secondErr += d.toString()));
    const secondExit = await new Promise<number | null>((r) => second.once('exit', r));
    expect(secondExit).not.toBe(0);
    expect(secondErr).toContain(dataDir);
    expect(secondErr).toMatch(/already open in another process/);

    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });

    const again = await start(dataDir, sloDir);
    running.push(again.child);
    const after = await graphql<Health>(again.url, '{ health { rowsIngested { spans } deadLettered { reason count } } }');
    expect(after.health.rowsIngested).toEqual(before.health.rowsIngested);
    expect(after.health.deadLettered).toEqual(expect.arrayContaining([{ reason: 'schema_violation', count: 1 }, { reason: 'invalid_json', count: 1 }]));
    again.child.kill('SIGTERM');
    expect(await again.exited).toEqual({ code: 0, signal: null });
    await withStore(dataDir, async (client) => {
      expect(await count(client, "SELECT sum(total) AS n FROM sli_rollups WHERE slo = 'd-availability'")).toBe(500);
      expect(await count(client, "SELECT sum(total - good) AS n FROM sli_rollups WHERE slo = 'd-availability'")).toBe(10);
      expect(await count(client, 'SELECT count() AS n FROM dead_letters')).toBe(2);
    });
  }, 180_000);
});
