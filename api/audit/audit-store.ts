import type { AuditEntry } from './audit-entry.ts';

/** A place in the log's reading order (newest first): time, then chain, then seq. */
export interface AuditPosition {
  atMs: number;
  chain: string;
  seq: number;
}

/**
 * Where audit entries live: ClickHouse's `audit_log` (clickhouse-audit-store.ts) or
 * memory (InMemoryAuditStore) in tests. Append-only: nothing in sluice updates or deletes.
 */
export interface AuditStore {
  /**
   * Stores consecutive entries of one chain in one write. Idempotent for the same entries
   * (a retried write does not store them twice); a failure leaves it unknown whether they
   * landed.
   */
  append(entries: readonly AuditEntry[]): Promise<void>;
  /** Up to `limit` entries, newest first (time, chain, seq descending), strictly after `after`. */
  page(opts: { limit: number; after?: AuditPosition | undefined }): Promise<AuditEntry[]>;
  /** Every entry ordered by chain, then seq — the order verification walks. */
  scan(): AsyncIterable<AuditEntry>;
}

/** Newest-first order of AuditStore.page. */
export function compareNewestFirst(a: AuditPosition, b: AuditPosition): number {
  if (a.atMs !== b.atMs) return b.atMs - a.atMs;
  if (a.chain !== b.chain) return a.chain < b.chain ? 1 : -1;
  return b.seq - a.seq;
}
