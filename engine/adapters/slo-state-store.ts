import type { SloStateSnapshot } from './slo-state-snapshot.ts';

/**
 * Where judges persist what they know about each SLO (`slo_state` in ClickHouse), so that
 * the next owner of an SLO — after a restart or a rebalance — continues where the last one
 * stopped instead of starting from UNKNOWN and re-publishing transitions.
 */
export interface SloStateStore {
  /** The latest snapshot of each named SLO that has one (deleted SLOs have none). */
  load(sloNames: readonly string[]): Promise<Map<string, SloStateSnapshot>>;
  /** Stores the snapshots; a later `updatedAtMs` replaces an earlier one of the same SLO. */
  save(snapshots: readonly SloStateSnapshot[]): Promise<void>;
  /** Marks SLOs as removed (their definition was deleted); `atMs` orders it after their last snapshot. */
  remove(sloNames: readonly string[], atMs: number): Promise<void>;
}

/** How the API reads SLO state: from the in-process judge (embedded) or from `slo_state` (cluster `sluice api`). */
export interface SloStateReader {
  /** Every SLO with state, by name. */
  list(): Promise<SloStateSnapshot[]>;
  get(sloName: string): Promise<SloStateSnapshot | undefined>;
}

/** The in-memory store (the standard fake, and what a test hands from one judge to the next). */
export class InMemorySloStateStore implements SloStateStore, SloStateReader {
  private readonly rows = new Map<string, SloStateSnapshot>();
  /** How many snapshots were saved, in total (tests check that a pass persisted). */
  saves = 0;

  async load(sloNames: readonly string[]): Promise<Map<string, SloStateSnapshot>> {
    const out = new Map<string, SloStateSnapshot>();
    for (const name of sloNames) {
      const row = this.rows.get(name);
      if (row !== undefined) out.set(name, structuredClone(row));
    }
    return out;
  }

  async save(snapshots: readonly SloStateSnapshot[]): Promise<void> {
    for (const s of snapshots) {
      const current = this.rows.get(s.sloName);
      if (current === undefined || current.updatedAtMs <= s.updatedAtMs) this.rows.set(s.sloName, structuredClone(s));
      this.saves++;
    }
  }

  async remove(sloNames: readonly string[], atMs: number): Promise<void> {
    for (const name of sloNames) {
      const current = this.rows.get(name);
      if (current !== undefined && current.updatedAtMs <= atMs) this.rows.delete(name);
    }
  }

  async list(): Promise<SloStateSnapshot[]> {
    return [...this.rows.values()].sort((a, b) => a.sloName.localeCompare(b.sloName)).map((s) => structuredClone(s));
  }

  async get(sloName: string): Promise<SloStateSnapshot | undefined> {
    const row = this.rows.get(sloName);
    return row === undefined ? undefined : structuredClone(row);
  }
}
