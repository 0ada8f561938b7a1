import { describe, expect, it } from 'vitest';
import { AuditChainVerifier, verifyAuditEntries } from '../../../api/audit/audit-chain-verifier.ts';
import { auditEntryHash, type AuditEntry } from '../../../api/audit/audit-entry.ts';
import { AuditLog } from '../../../api/audit/audit-log.ts';
import { InMemoryAuditStore } from '../../../api/audit/in-memory-audit-store.ts';

/** A store with two chains of `n` entries each (as two API processes would write). */
async function twoChains(n: number): Promise<InMemoryAuditStore> {
  const store = new InMemoryAuditStore();
  let t = 1_700_000_000_000;
  let r = 0;
  for (const writer of ['api@a:4000:1', 'api@b:4000:2']) {
    const log = new AuditLog({ store, writer, now: () => t++, random: (size) => Buffer.alloc(size, ++r) });
    for (let i = 0; i < n; i++) await log.append({ actor: { id: 'tok1', name: 'ci', role: 'ci' }, operation: 'Mutation.createToken', input: { input: { name: `t${i}` } }, outcome: 'ok', detail: 'ok' });
  }
  return store;
}

const chainB = (store: InMemoryAuditStore) => store.entries.filter((e) => e.chain.startsWith('api@b'));
const rehash = (e: AuditEntry) => (e.hash = auditEntryHash(e));

describe('audit chain verification', () => {
  it('verifies untouched chains and reports each head', async () => {
    const store = await twoChains(4);
    const v = await verifyAuditEntries(store.scan());
    expect(v).toMatchObject({ ok: true, chains: 2, entries: 8, breaks: [] });
    expect(v.heads.map((h) => [h.seq, h.entries])).toEqual([[4, 4], [4, 4]]);
  });

  it.each<[string, (store: InMemoryAuditStore) => void, { seq: number; kind: string; detail: RegExp }]>([
    ['a column changed', (s) => void (chainB(s)[2]!.outcome = 'denied'), { seq: 3, kind: 'CONTENT_ALTERED', detail: /a column of entry 3 \(Mutation.createToken, denied\) was changed/ }],
    ['a column changed and the entry re-hashed', (s) => { const e = chainB(s)[1]!; e.input = '{"input":{"name":"forged"}}'; rehash(e); }, { seq: 3, kind: 'PREVIOUS_HASH_MISMATCH', detail: /but entry 2 hashes to .*: entry 2 was rewritten/ }],
    ['an entry deleted', (s) => void s.entries.splice(s.entries.indexOf(chainB(s)[1]!), 1), { seq: 3, kind: 'SEQUENCE_GAP', detail: /after seq 1 comes seq 3: entry 2 is missing/ }],
    ['the first entries deleted', (s) => void s.entries.splice(s.entries.indexOf(chainB(s)[0]!), 2), { seq: 3, kind: 'MISSING_START', detail: /entries 1–2 are missing/ }],
    ['an entry copied', (s) => void s.entries.push({ ...chainB(s)[1]!, detail: 'copy' }), { seq: 2, kind: 'DUPLICATE_SEQUENCE', detail: /seq 2 appears twice/ }],
  ])('names the first broken link when %s', async (_case, tamper, expected) => {
    const store = await twoChains(4);
    tamper(store);
    const v = await verifyAuditEntries(store.scan());
    expect(v.ok).toBe(false);
    expect(v.breaks).toEqual([{ chain: chainB(store)[0]!.chain, seq: expected.seq, kind: expected.kind, detail: expect.stringMatching(expected.detail) }]);
  });

  it('reports only the first break of a chain', () => {
    const verifier = new AuditChainVerifier();
    const e = (seq: number): AuditEntry => ({ chain: 'c', seq, atMs: seq, actor: { id: 'a', name: 'a', role: 'admin' }, operation: 'op', input: '{}', outcome: 'ok', detail: '', prevHash: 'x', hash: 'y' });
    for (const seq of [1, 2, 5, 9]) verifier.push(e(seq));
    expect(verifier.result().breaks.map((b) => b.seq)).toEqual([1]);
  });
});
