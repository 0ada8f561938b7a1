import type { GateDecisionDocument, GateStatus } from '../core/gate/gate-inputs.ts';

/**
 * Where gate decisions are kept (`gate_decisions`, schema/clickhouse/0021_gate_decisions.sql):
 * each with the decision exactly as returned, its inputs (the SLO states read, their
 * freshness, per-version counts, the baseline comparison, deploy facts) and who asked.
 * `gateDecision(id)` returns the stored decision as it was made; `gateDecisions` pages
 * through them newest first. Implementations: ClickHouseGateDecisionStore,
 * InMemoryGateDecisionStore (tests).
 */

export interface GateDecisionRecord {
  decision: GateDecisionDocument;
  /** What the evaluation read (engine/adapters/gate-service.ts, GateDecisionInputs). */
  inputs: unknown;
  /** The caller: token id, name and role. */
  requestedBy: { id: string; name: string; role: string };
}

export interface GateDecisionFilter {
  service?: string | undefined;
  environment?: string | undefined;
  version?: string | undefined;
  verdict?: GateStatus | undefined;
  /** decidedAt ≥ fromMs, epoch ms. */
  fromMs?: number | undefined;
  /** decidedAt < toMs, epoch ms. */
  toMs?: number | undefined;
}

/** The keyset of the newest-first order: decision time, then id. */
export interface DecisionKey {
  decidedAt: number;
  decisionId: string;
}

export interface GateDecisionStore {
  /** Stores a decision; resolves once it is durable. */
  save(record: GateDecisionRecord): Promise<void>;
  get(decisionId: string): Promise<GateDecisionRecord | undefined>;
  /** Up to `limit` decisions matching `filter`, newest first, strictly after `after` in that order. */
  list(filter: GateDecisionFilter, limit: number, after?: DecisionKey): Promise<GateDecisionRecord[]>;
}

/** Newest first: time descending, then id descending. */
export function compareNewestFirst(a: DecisionKey, b: DecisionKey): number {
  return b.decidedAt - a.decidedAt || (a.decisionId < b.decisionId ? 1 : a.decisionId > b.decisionId ? -1 : 0);
}

export function matchesFilter(d: GateDecisionDocument, f: GateDecisionFilter): boolean {
  return (f.service === undefined || d.service === f.service)
    && (f.environment === undefined || d.environment === f.environment)
    && (f.version === undefined || d.version === f.version)
    && (f.verdict === undefined || d.verdict === f.verdict)
    && (f.fromMs === undefined || d.decidedAt >= f.fromMs)
    && (f.toMs === undefined || d.decidedAt < f.toMs);
}

/** The standard fake: records kept as JSON text, so a read returns a copy exactly as stored. */
export class InMemoryGateDecisionStore implements GateDecisionStore {
  private readonly rows = new Map<string, string>();

  async save(record: GateDecisionRecord): Promise<void> {
    this.rows.set(record.decision.decisionId, JSON.stringify(record));
  }

  async get(decisionId: string): Promise<GateDecisionRecord | undefined> {
    const row = this.rows.get(decisionId);
    return row === undefined ? undefined : (JSON.parse(row) as GateDecisionRecord);
  }

  async list(filter: GateDecisionFilter, limit: number, after?: DecisionKey): Promise<GateDecisionRecord[]> {
    return [...this.rows.values()]
      .map((r) => JSON.parse(r) as GateDecisionRecord)
      .filter((r) => matchesFilter(r.decision, filter) && (after === undefined || compareNewestFirst(after, r.decision) < 0))
      .sort((a, b) => compareNewestFirst(a.decision, b.decision))
      .slice(0, limit);
  }
}
