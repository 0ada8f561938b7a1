import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InsertJournal, type JournalTarget } from '../../../platform/clickhouse/insert-journal.ts';

const quiet = { info() {}, warn() {}, error() {} };

/** A target that records inserts and drops a repeated token, as ClickHouse's deduplication does. */
class RecordingTarget implements JournalTarget {
  readonly inserts: { table: string; rows: Record<string, unknown>[]; token: string }[] = [];
  readonly tokens = new Set<string>();
  failNext = 0;
  gate: Promise<void> | undefined;

  async insert(table: string, jsonEachRow: Buffer, token: string): Promise<void> {
    await this.gate;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('Code: 210. DB::Exception: connection refused (test)');
    }
    if (this.tokens.has(token)) return;
    this.tokens.add(token);
    const text = jsonEachRow.toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    this.inserts.push({ table, rows: text.slice(0, -1).split('\n').map((l) => JSON.parse(l) as Record<string, unknown>), token });
  }

  rowsOf(table: string): Record<string, unknown>[] {
    return this.inserts.filter((i) => i.table === table).flatMap((i) => i.rows);
  }
}

describe('InsertJournal', () => {
  let dir: string;
  beforeEach(() => {
    dir = path.join(mkdtempSync(path.join(tmpdir(), 'sluice-journal-')), 'journal');
  });
  afterEach(() => rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('acknowledges an append once it is in the file, copies in the background with one insert per table, and deletes copied files', async () => {
    const target = new RecordingTarget();
    const journal = await InsertJournal.open({ dir, target, logger: quiet, copyDelayMs: 20 });
    for (let i = 0; i < 50; i++) {
      journal.append('gate_decisions', [{ decision_id: `d${i}` }]);
      journal.append('audit_log', [{ seq: i + 1 }]);
    }
    // on disk before any copy, one JSONEachRow file per table: a process killed now loses nothing acknowledged
    const files = readdirSync(dir).sort();
    expect(files.map((f) => f.split('.').slice(1).join('.')).sort()).toEqual(['audit_log.ndjson', 'gate_decisions.ndjson']);
    for (const f of files) expect(readFileSync(path.join(dir, f), 'utf8').trim().split('\n')).toHaveLength(50);
    expect(target.inserts).toHaveLength(0);

    await journal.settled();
    expect(target.inserts.map((i) => i.table).sort()).toEqual(['audit_log', 'gate_decisions']);
    expect(target.rowsOf('audit_log').map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(readdirSync(dir)).toEqual([]);
    expect(journal.metrics).toMatchObject({ appended: 100, copiedRows: 100, inserts: 2, backlogBytes: 0 });
    await journal.close();
  });

  it('settles a read only when every file holding an earlier append is stored, whatever order the tables are copied in', async () => {
    let releaseAudit!: () => void;
    const auditHeld = new Promise<void>((r) => (releaseAudit = r));
    const stored: string[] = [];
    const target: JournalTarget = {
      async insert(table) {
        if (table === 'audit_log') await auditHeld;
        stored.push(table);
      },
    };
    const journal = await InsertJournal.open({ dir, target, logger: quiet, copyDelayMs: 60_000 });
    journal.append('gate_decisions', [{ decision_id: 'a' }]);
    journal.append('audit_log', [{ seq: 1 }]); // earlier than the next decision
    journal.append('gate_decisions', [{ decision_id: 'b' }]);
    let settled = false;
    const read = journal.settled().then(() => (settled = true));
    for (let i = 0; i < 20 && stored.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(stored).toEqual(['gate_decisions']); // the decisions' file landed first…
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false); // …but the audit entry appended before 'b' is not stored yet
    releaseAudit();
    await read;
    expect(stored).toEqual(['gate_decisions', 'audit_log']);
    await journal.close();
  });

  it('copies what a killed process left, exactly once, even when that process had already inserted it', async () => {
    const target = new RecordingTarget();
    // the first process: its copier inserted the first file, then the process died before deleting it
    const first = await InsertJournal.open({ dir, target, logger: quiet, copyDelayMs: 60_000 });
    first.append('audit_log', [{ seq: 1 }, { seq: 2 }]);
    await first.settled(); // copied and deleted
    first.append('audit_log', [{ seq: 3 }]);
    first.append('gate_decisions', [{ decision_id: 'a' }]);
    const name = readdirSync(dir).find((f) => f.endsWith('.audit_log.ndjson'));
    // simulate "inserted, not yet deleted": the target already has this file's token
    await target.insert('audit_log', Buffer.from('{"seq":3}\n'), `journal:${name}`);
    // …and the crash tore a line it never acknowledged
    appendFileSync(path.join(dir, name!), '{"seq":');

    const second = await InsertJournal.open({ dir, target, logger: quiet });
    expect(target.rowsOf('audit_log').map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(target.rowsOf('gate_decisions')).toEqual([{ decision_id: 'a' }]);
    expect(second.metrics).toMatchObject({ recoveredRows: 2, unreadableLines: 1, backlogBytes: 0 });
    expect(readdirSync(dir)).toEqual([]);
    await second.close();
  });

  it('keeps rows on disk while ClickHouse refuses them, fails reads fast meanwhile, and copies them once it is back', async () => {
    const target = new RecordingTarget();
    const journal = await InsertJournal.open({ dir, target, logger: quiet, copyDelayMs: 10, retryDelayMs: 20 });
    target.failNext = 3;
    journal.append('audit_log', [{ seq: 1 }]);
    await expect(journal.settled()).rejects.toThrow(/connection refused/);
    expect(journal.metrics.copyFailures).toBeGreaterThanOrEqual(1);
    await expect(journal.settled()).rejects.toMatchObject({ code: 'INSERT_JOURNAL_BEHIND' });
    journal.append('audit_log', [{ seq: 2 }]);
    for (let i = 0; i < 200 && journal.metrics.backlogBytes > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(target.rowsOf('audit_log').map((r) => r.seq)).toEqual([1, 2]);
    expect(journal.metrics.lastError).toBeUndefined();
    await journal.close();
  });

  it('refuses a table name that is not an identifier (it names a file and an INSERT)', async () => {
    const journal = await InsertJournal.open({ dir, target: new RecordingTarget(), logger: quiet });
    expect(() => journal.append('audit_log; DROP TABLE x', [{ a: 1 }])).toThrow(expect.objectContaining({ code: 'INSERT_JOURNAL_BAD_TABLE' }));
    await journal.close();
  });

  it('refuses appends past its backlog limit instead of dropping, and leaves uncopied rows for the next start', async () => {
    const target = new RecordingTarget();
    let release!: () => void;
    target.gate = new Promise<void>((r) => (release = r));
    target.failNext = 1_000;
    const journal = await InsertJournal.open({ dir, target, logger: quiet, copyDelayMs: 5, maxBacklogBytes: 300, retryDelayMs: 60_000 });
    journal.append('audit_log', [{ seq: 1, detail: 'x'.repeat(150) }]);
    journal.append('audit_log', [{ seq: 2, detail: 'y'.repeat(150) }]);
    expect(() => journal.append('audit_log', [{ seq: 3 }])).toThrow(expect.objectContaining({ code: 'INSERT_JOURNAL_FULL' }));
    release();
    await journal.close();
    expect(() => journal.append('audit_log', [{ seq: 4 }])).toThrow(expect.objectContaining({ code: 'INSERT_JOURNAL_CLOSED' }));
    expect(readdirSync(dir)).toHaveLength(1);

    target.failNext = 0;
    const next = await InsertJournal.open({ dir, target, logger: quiet });
    expect(target.rowsOf('audit_log').map((r) => r.seq)).toEqual([1, 2]);
    await next.close();
  });

  it('never reuses a deduplication token in a later run (a reused token would drop new rows)', async () => {
    const target = new RecordingTarget();
    for (let run = 0; run < 3; run++) {
      const journal = await InsertJournal.open({ dir, target, logger: quiet });
      journal.append('audit_log', [{ run }]);
      await journal.close();
    }
    expect(target.rowsOf('audit_log')).toEqual([{ run: 0 }, { run: 1 }, { run: 2 }]);
  });

  it('keeps a file with an unreadable line in the middle for inspection and copies its readable lines', async () => {
    const target = new RecordingTarget();
    const first = await InsertJournal.open({ dir, target, logger: quiet, copyDelayMs: 60_000 });
    first.append('audit_log', [{ seq: 1 }]);
    const [name] = readdirSync(dir);
    appendFileSync(path.join(dir, name!), 'garbage\n[1]\n{"seq":2}\n');
    const second = await InsertJournal.open({ dir, target, logger: quiet });
    expect(target.rowsOf('audit_log').map((r) => r.seq)).toEqual([1, 2]);
    expect(second.metrics.unreadableLines).toBe(2);
    expect(existsSync(path.join(dir, `${name}.unreadable`))).toBe(true);
    await second.close();
  });
});
