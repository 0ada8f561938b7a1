import type { AuditEntry } from './audit-entry.ts';
import { compareNewestFirst, type AuditPosition, type AuditStore } from './audit-store.ts';

/** An AuditStore in memory, for tests. `entries` may be edited by a test to play the attacker. */
export class InMemoryAuditStore implements AuditStore {
  readonly entries: AuditEntry[] = [];

  async append(entries: readonly AuditEntry[]): Promise<void> {
    for (const entry of entries) {
      const same = this.entries.find((e) => e.chain === entry.chain && e.seq === entry.seq && e.hash === entry.hash);
      if (!same) this.entries.push(structuredClone(entry));
    }
  }

  async page(opts: { limit: number; after?: AuditPosition | undefined }): Promise<AuditEntry[]> {
    const after = opts.after;
    return [...this.entries]
      .sort(compareNewestFirst)
      .filter((e) => after === undefined || compareNewestFirst(after, e) < 0)
      .slice(0, opts.limit)
      .map((e) => structuredClone(e));
  }

  async *scan(): AsyncIterable<AuditEntry> {
    const sorted = [...this.entries].sort((a, b) => (a.chain !== b.chain ? (a.chain < b.chain ? -1 : 1) : a.seq - b.seq));
    for (const e of sorted) yield structuredClone(e);
  }
}
