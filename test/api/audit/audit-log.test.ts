import { describe, expect, it } from 'vitest';
import { verifyAuditEntries } from '../../../api/audit/audit-chain-verifier.ts';
import { GENESIS_HASH, type AuditEntry } from '../../../api/audit/audit-entry.ts';
import { AuditLog } from '../../../api/audit/audit-log.ts';
import type { AuditStore } from '../../../api/audit/audit-store.ts';
import { InMemoryAuditStore } from '../../../api/audit/in-memory-audit-store.ts';

const event = (i: number) => ({ actor: { id: 'open', name: 'anonymous', role: 'admin' }, operation: 'Mutation.revokeToken', input: { id: `t${i}` }, outcome: 'ok' as const, detail: 'ok' });

describe('AuditLog', () => {
  it('stores appends that arrive during a write together, in one write (group commit)', async () => {
    const inner = new InMemoryAuditStore();
    const writes: number[] = [];
    const counting: AuditStore = { append: async (e) => { writes.push(e.length); await inner.append(e); }, page: (o) => inner.page(o), scan: () => inner.scan() };
    const log = new AuditLog({ store: counting, writer: 'api@h:1:1', now: () => 1_000, retryDelayMs: 0 });
    await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(event(i))));
    expect(writes[0]).toBe(1); // the first starts alone; the others queued behind it
    expect(writes.reduce((a, b) => a + b, 0)).toBe(200);
    expect(writes.length).toBeLessThanOrEqual(3);
    expect(await verifyAuditEntries(inner.scan())).toMatchObject({ ok: true, chains: 1, entries: 200 });
  });

  it('serialises concurrent appends into one totally ordered chain', async () => {
    const store = new InMemoryAuditStore();
    const log = new AuditLog({ store, writer: 'api@h:1:1', now: () => 1_000, retryDelayMs: 0 });
    const entries = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(event(i))));
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
    expect(entries.slice(1).every((e, i) => e.prevHash === entries[i]!.hash)).toBe(true);
    expect(await verifyAuditEntries(store.scan())).toMatchObject({ ok: true, chains: 1, entries: 50 });
  });

  it('retries a failed append with the same entry, and opens a new chain when the outcome stays unknown', async () => {
    const inner = new InMemoryAuditStore();
    let failures = 0;
    const flaky: AuditStore = {
      append: async (e: readonly AuditEntry[]) => {
        if (failures > 0) {
          failures--;
          // the insert may have landed before the error: store it, then fail
          await inner.append(e);
          throw new Error('timeout');
        }
        await inner.append(e);
      },
      page: (o) => inner.page(o),
      scan: () => inner.scan(),
    };
    const log = new AuditLog({ store: flaky, writer: 'api@h:1:1', now: () => 1_000, attempts: 3, retryDelayMs: 0 });
    await log.append(event(1));
    failures = 1;
    await log.append(event(2)); // second attempt succeeds: deduplicated, same chain
    const firstChain = log.chain;
    failures = 3;
    await expect(log.append(event(3))).rejects.toThrow('timeout');
    expect(log.chain).not.toBe(firstChain);
    const next = await log.append(event(4));
    expect(next).toMatchObject({ chain: log.chain, seq: 1, prevHash: GENESIS_HASH });
    const v = await verifyAuditEntries(inner.scan());
    expect(v).toMatchObject({ ok: true, chains: 2, entries: 4 });
  });
});
