import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../api/audit/audit-log.ts';
import { verifyAuditEntries } from '../../../api/audit/audit-chain-verifier.ts';
import { ClickHouseAuditStore } from '../../../api/audit/clickhouse-audit-store.ts';
import { ClickHouseGateDecisionStore } from '../../../engine/adapters/clickhouse-gate-decision-store.ts';
import { clickHouseJournalTarget, InsertJournal } from '../../../platform/clickhouse/insert-journal.ts';
import { countRows, migratedDatabase } from '../../support/test-services.ts';

const quiet = { info() {}, warn() {}, error() {} };
const T = Date.UTC(2026, 10, 26, 9, 0, 0);

/** The journal in front of the real engine: exactly once across a crash, reads after writes. */
describe('insert journal over ClickHouse', () => {
  let client: ClickHouseClient;
  let root: string;
  beforeAll(async () => {
    ({ client } = await migratedDatabase('journal'));
    root = mkdtempSync(path.join(tmpdir(), 'sluice-journal-int-'));
  });
  afterAll(async () => {
    await client?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('a decision saved through the journal is found right away, and the audit chain it writes verifies', async () => {
    const journal = await InsertJournal.open({ dir: path.join(root, 'a'), target: clickHouseJournalTarget(client), logger: quiet, copyDelayMs: 10_000 });
    const decisions = new ClickHouseGateDecisionStore(client, { journal });
    const auditStore = new ClickHouseAuditStore(client, { journal });
    const audit = new AuditLog({ store: auditStore, writer: 'test@journal', now: () => T });
    const ids = Array.from({ length: 40 }, (_, i) => `gd_j${String(i).padStart(3, '0')}`);
    await Promise.all(ids.map(async (id, i) => {
      await decisions.save({
        decision: { decisionId: id, verdict: 'PASS', blocking: false, service: 'checkout', environment: 'production', version: `1.${i}.0`, baselineVersion: null, decidedAt: T + i, summary: 's', policyVersion: 'p', checks: [] },
        inputs: { i }, requestedBy: { id: 't', name: 'ci', role: 'ci' },
      });
      await audit.append({ actor: { id: 't', name: 'ci', role: 'ci' }, operation: 'Query.gate', input: { i }, outcome: 'ok', detail: `decisionId=${id}` });
    }));
    // the copy is 10 s away; a read waits for it instead of missing the rows
    expect((await decisions.get('gd_j017'))?.inputs).toEqual({ i: 17 });
    expect(await countRows(client, "SELECT count() FROM gate_decisions FINAL WHERE decision_id LIKE 'gd_j%'")).toBe(40);
    const v = await verifyAuditEntries(auditStore.scan());
    expect(v).toMatchObject({ ok: true, entries: 40 });
    await journal.close();
  });

  it('rows a killed process journaled are stored once, also when its copy had already landed', async () => {
    const dir = path.join(root, 'b');
    const target = clickHouseJournalTarget(client);
    const dead = await InsertJournal.open({ dir, target, logger: quiet, copyDelayMs: 600_000 });
    const rows = Array.from({ length: 25 }, (_, i) => ({ chain: 'killed', seq: i + 1, at: '2026-11-26 09:00:00.000', actor_id: 'a', actor_name: 'a', actor_role: 'ci', operation: 'Query.gate', input: '{}', outcome: 'ok', detail: '', prev_hash: '', hash: `h${i}` }));
    dead.append('audit_log', rows.slice(0, 10));
    dead.append('audit_log', rows.slice(10));
    // the dead process's copier had inserted this file, and died before deleting it
    const [file] = readdirSync(dir);
    await target.insert('audit_log', Buffer.from(rows.map((r) => `${JSON.stringify(r)}\n`).join('')), `journal:${file}`);
    // (the dead journal is simply abandoned: no close, as after kill -9)
    const next = await InsertJournal.open({ dir, target, logger: quiet });
    expect(await countRows(client, "SELECT count() FROM audit_log WHERE chain = 'killed'")).toBe(25);
    expect(await countRows(client, "SELECT uniqExact(seq) FROM audit_log WHERE chain = 'killed'")).toBe(25);
    expect(next.metrics.recoveredRows).toBe(25);
    expect(readdirSync(dir)).toEqual([]);
    await next.close();
  });
});
