import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { toDateTime64 } from '../../platform/clickhouse/clickhouse-time.ts';
import type { InsertJournal } from '../../platform/clickhouse/insert-journal.ts';
import type { DecisionKey, GateDecisionFilter, GateDecisionRecord, GateDecisionStore } from './gate-decision-store.ts';

export const GATE_DECISIONS_TABLE = 'gate_decisions';

interface DecisionRow {
  decision: string;
  inputs: string;
  requested_by: string;
  requested_by_name: string;
  requested_by_role: string;
}

const COLUMNS = 'decision, inputs, requested_by, requested_by_name, requested_by_role';

/** `WHERE` conditions and parameters of a filter and keyset (server-side parameters only). */
function conditions(filter: GateDecisionFilter, after: DecisionKey | undefined): { where: string; params: Record<string, unknown> } {
  const parts: string[] = [];
  const params: Record<string, unknown> = {};
  if (filter.service !== undefined) { parts.push('service = {service:String}'); params.service = filter.service; }
  if (filter.environment !== undefined) { parts.push('environment = {environment:String}'); params.environment = filter.environment; }
  if (filter.version !== undefined) { parts.push('version = {version:String}'); params.version = filter.version; }
  if (filter.verdict !== undefined) { parts.push('verdict = {verdict:String}'); params.verdict = filter.verdict; }
  if (filter.fromMs !== undefined) { parts.push('decided_at >= fromUnixTimestamp64Milli({from:Int64}, \'UTC\')'); params.from = filter.fromMs; }
  if (filter.toMs !== undefined) { parts.push('decided_at < fromUnixTimestamp64Milli({to:Int64}, \'UTC\')'); params.to = filter.toMs; }
  if (after !== undefined) {
    parts.push('(decided_at, decision_id) < (fromUnixTimestamp64Milli({afterAt:Int64}, \'UTC\'), {afterId:String})');
    params.afterAt = after.decidedAt;
    params.afterId = after.decisionId;
  }
  return { where: parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/** SQL (as a value) of one page of decisions, newest first. */
export function decisionsPageQuery(filter: GateDecisionFilter, limit: number, after?: DecisionKey): { sql: string; params: Record<string, unknown> } {
  const { where, params } = conditions(filter, after);
  return {
    sql: `SELECT ${COLUMNS} FROM ${GATE_DECISIONS_TABLE} FINAL ${where} ORDER BY decided_at DESC, decision_id DESC LIMIT {limit:UInt32}`,
    params: { ...params, limit },
  };
}

/** SQL (as a value) of one decision by id. */
export function decisionByIdQuery(decisionId: string): { sql: string; params: Record<string, unknown> } {
  return { sql: `SELECT ${COLUMNS} FROM ${GATE_DECISIONS_TABLE} FINAL WHERE decision_id = {id:String} LIMIT 1`, params: { id: decisionId } };
}

/** A stored row of a record. */
export function decisionRow(r: GateDecisionRecord): Record<string, unknown> {
  const d = r.decision;
  return {
    decision_id: d.decisionId,
    decided_at: toDateTime64(d.decidedAt),
    service: d.service,
    environment: d.environment,
    version: d.version,
    baseline_version: d.baselineVersion,
    verdict: d.verdict,
    blocking: d.blocking,
    policy_version: d.policyVersion,
    requested_by: r.requestedBy.id,
    requested_by_name: r.requestedBy.name,
    requested_by_role: r.requestedBy.role,
    decision: JSON.stringify(d),
    inputs: JSON.stringify(r.inputs),
  };
}

/**
 * Decisions in ClickHouse. With a journal (the embedded store's, platform/clickhouse/
 * insert-journal.ts) a save is one append to the local journal, copied into the table in
 * the background, and reads first wait until the journal is copied — a decision is found
 * right after it was made. Without one (a ClickHouse server), saves are group-committed:
 * a save waits for the insert in flight, and every save that arrived meanwhile goes into
 * the next insert together — one insert per round trip whatever the request rate, each
 * caller resolved once its row is durable. A retried insert carries a deduplication token
 * (the hash of its decision ids), and the table replaces rows of the same
 * (decided_at, decision_id).
 */
export class ClickHouseGateDecisionStore implements GateDecisionStore {
  private readonly client: ClickHouseClient;
  private readonly journal: InsertJournal | undefined;
  private waiting: { row: Record<string, unknown>; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private inFlight: Promise<void> | undefined;
  /** Inserts made, and rows they carried (group commit at work; journaled saves are counted by the journal). */
  readonly metrics = { inserts: 0, rows: 0 };

  constructor(client: ClickHouseClient, opts: { journal?: InsertJournal | undefined } = {}) {
    this.client = client;
    this.journal = opts.journal;
  }

  save(record: GateDecisionRecord): Promise<void> {
    if (this.journal !== undefined) {
      try {
        this.journal.append(GATE_DECISIONS_TABLE, [decisionRow(record)]);
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ row: decisionRow(record), resolve, reject });
      if (this.inFlight === undefined) this.inFlight = this.drain();
    });
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      const token = createHash('sha256').update(batch.map((b) => String(b.row.decision_id)).join(',')).digest('hex');
      try {
        await this.client.insert({
          table: GATE_DECISIONS_TABLE,
          format: 'JSONEachRow',
          values: batch.map((b) => b.row),
          clickhouse_settings: { insert_deduplication_token: token },
        });
        this.metrics.inserts++;
        this.metrics.rows += batch.length;
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.inFlight = undefined;
  }

  async get(decisionId: string): Promise<GateDecisionRecord | undefined> {
    const [row] = await this.rows(decisionByIdQuery(decisionId));
    return row;
  }

  async list(filter: GateDecisionFilter, limit: number, after?: DecisionKey): Promise<GateDecisionRecord[]> {
    return this.rows(decisionsPageQuery(filter, limit, after));
  }

  private async rows(q: { sql: string; params: Record<string, unknown> }): Promise<GateDecisionRecord[]> {
    await this.journal?.settled();
    const rs = await this.client.query({ query: q.sql, query_params: q.params, format: 'JSONEachRow' });
    return (await rs.json<DecisionRow>()).map((r) => ({
      decision: JSON.parse(r.decision) as GateDecisionRecord['decision'],
      inputs: JSON.parse(r.inputs) as unknown,
      requestedBy: { id: r.requested_by, name: r.requested_by_name, role: r.requested_by_role },
    }));
  }
}
