import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { fromDateTime64, toDateTime64 } from '../../platform/clickhouse/clickhouse-time.ts';
import type { InsertJournal } from '../../platform/clickhouse/insert-journal.ts';
import type { AuditEntry } from './audit-entry.ts';
import type { AuditPosition, AuditStore } from './audit-store.ts';

const COLUMNS = 'chain, seq, at, actor_id, actor_name, actor_role, operation, input, outcome, detail, prev_hash, hash';

/** SQL (as a value) for one page of the log, newest first, strictly after `after` (keyset pagination). */
export function auditPageQuery(opts: { limit: number; after?: AuditPosition | undefined }): { sql: string; params: Record<string, unknown> } {
  const after = opts.after;
  return {
    sql: `SELECT ${COLUMNS} FROM audit_log
          ${after ? `WHERE (at, chain, seq) < (fromUnixTimestamp64Milli({afterAt:Int64}, 'UTC'), {afterChain:String}, {afterSeq:UInt64})` : ''}
          ORDER BY at DESC, chain DESC, seq DESC
          LIMIT {limit:UInt32}`,
    params: { limit: opts.limit, ...(after ? { afterAt: after.atMs, afterChain: after.chain, afterSeq: after.seq } : {}) },
  };
}

/** SQL (as a value) for every entry in verification order. */
export function auditScanQuery(): { sql: string; params: Record<string, unknown> } {
  return { sql: `SELECT ${COLUMNS} FROM audit_log ORDER BY chain, seq`, params: {} };
}

/** The `audit_log` row of an entry (JSONEachRow). */
export function auditRow(entry: AuditEntry): Record<string, unknown> {
  return {
    chain: entry.chain,
    seq: entry.seq,
    at: toDateTime64(entry.atMs),
    actor_id: entry.actor.id,
    actor_name: entry.actor.name,
    actor_role: entry.actor.role,
    operation: entry.operation,
    input: entry.input,
    outcome: entry.outcome,
    detail: entry.detail,
    prev_hash: entry.prevHash,
    hash: entry.hash,
  };
}

/** A stored row, read as it is: verification must see altered values, not a cleaned-up version. */
const AuditRowSchema = z.object({
  chain: z.string(),
  seq: z.coerce.number(),
  at: z.string(),
  actor_id: z.string(),
  actor_name: z.string(),
  actor_role: z.string(),
  operation: z.string(),
  input: z.string(),
  outcome: z.string(),
  detail: z.string(),
  prev_hash: z.string(),
  hash: z.string(),
});

function toEntry(raw: unknown): AuditEntry {
  const r = AuditRowSchema.parse(raw);
  return {
    chain: r.chain, seq: r.seq, atMs: fromDateTime64(r.at),
    actor: { id: r.actor_id, name: r.actor_name, role: r.actor_role },
    operation: r.operation, input: r.input, outcome: r.outcome, detail: r.detail, prevHash: r.prev_hash, hash: r.hash,
  };
}

/**
 * The `audit_log` table (migration 0010). With a journal (the embedded store's,
 * platform/clickhouse/insert-journal.ts) an append is one write to the local journal,
 * copied into the table in the background; reads wait until it is copied.
 */
export class ClickHouseAuditStore implements AuditStore {
  private readonly client: ClickHouseClient;
  private readonly journal: InsertJournal | undefined;

  constructor(client: ClickHouseClient, opts: { journal?: InsertJournal | undefined } = {}) {
    this.client = client;
    this.journal = opts.journal;
  }

  async append(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    if (this.journal !== undefined) {
      this.journal.append('audit_log', entries.map(auditRow));
      return;
    }
    const first = entries[0]!;
    const last = entries[entries.length - 1]!;
    await this.client.insert({
      table: 'audit_log',
      values: entries.map(auditRow),
      format: 'JSONEachRow',
      // a retried write of the same entries is dropped by the server (ClickHouse docs: "Deduplication")
      clickhouse_settings: { insert_deduplication_token: `${first.chain}:${first.seq}-${last.seq}:${last.hash}` },
    });
  }

  async page(opts: { limit: number; after?: AuditPosition | undefined }): Promise<AuditEntry[]> {
    await this.journal?.settled();
    const { sql, params } = auditPageQuery(opts);
    const result = await this.client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
    return (await result.json<unknown>()).map(toEntry);
  }

  async *scan(): AsyncIterable<AuditEntry> {
    await this.journal?.settled();
    const { sql, params } = auditScanQuery();
    const result = await this.client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
    for await (const rows of result.stream()) {
      for (const row of rows) yield toEntry(row.json());
    }
  }
}
