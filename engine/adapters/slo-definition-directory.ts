import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import type { AlertSeverity } from '../core/alerting/alert-rules.ts';
import { buildSlo, SloDefinitionSchema, type Slo, type SloDefinition } from '../core/slo/slo-definition.ts';
import { SLO_DEFINITIONS_TABLE } from './slo-definition-recorder.ts';

/**
 * What the API needs to know about an SLO beyond its state: the owning team
 * (`metadata.labels.team`, docs/slo-format.md "Team"), tier, target, indicator kind and the
 * severity of each alert rule (which says whether a BREACHED / WARNING transition pages or
 * opens a ticket). Read from the definitions the engine records as it loads the SLO
 * directory (`slo_definitions`, migration 0013), so `sluice start` and a cluster `sluice api`
 * — which loads no SLO directory — answer alike.
 */
export interface SloDirectoryEntry {
  name: string;
  service: string;
  environment: string;
  /** `metadata.labels.team`; undefined when the definition names none. */
  team?: string | undefined;
  /** critical, standard or best-effort. */
  tier: string;
  /** availability, latency, errorLogRatio or syntheticSuccess. */
  indicator: string;
  /** Target, ratio 0–1 exclusive. */
  target: number;
  /** Alert rule name → its severity (explicit rules or the tier's defaults, as the judge uses them). */
  ruleSeverities: Readonly<Record<string, AlertSeverity>>;
}

/** Reads the SLO directory entries (the latest recorded definition of each SLO not removed). */
export interface SloDirectoryReader {
  get(sloName: string): Promise<SloDirectoryEntry | undefined>;
  list(): Promise<readonly SloDirectoryEntry[]>;
}

/** The entry of a built SLO, with the team of its definition. */
export function directoryEntry(slo: Slo, team: string | undefined): SloDirectoryEntry {
  return {
    name: slo.name,
    service: slo.service,
    environment: slo.environment,
    ...(team ? { team } : {}),
    tier: slo.tier,
    indicator: slo.indicator.kind,
    target: slo.target,
    ruleSeverities: Object.fromEntries(slo.alertRules.map((r) => [r.name, r.severity])),
  };
}

/** The entry of a validated definition document. */
export function definitionEntry(definition: SloDefinition): SloDirectoryEntry {
  return directoryEntry(buildSlo(definition), definition.metadata.labels?.team);
}

/** Entries held in memory (the standard fake; tests and benchmarks). */
export class StaticSloDirectory implements SloDirectoryReader {
  private readonly entries: Map<string, SloDirectoryEntry>;

  constructor(entries: readonly SloDirectoryEntry[]) {
    this.entries = new Map(entries.map((e) => [e.name, e]));
  }

  async get(sloName: string): Promise<SloDirectoryEntry | undefined> {
    return this.entries.get(sloName);
  }

  async list(): Promise<readonly SloDirectoryEntry[]> {
    return [...this.entries.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/**
 * SQL (as a value) for the latest recorded definition of every SLO (removed ones included:
 * the reader drops them). `slo_definitions` holds a row per change, so the latest is the
 * row with the greatest `loaded_at`.
 */
export function latestDefinitionsQuery(): { sql: string; params: Record<string, unknown> } {
  return {
    sql: `SELECT slo, argMax(definition, loaded_at) AS definition, argMax(team, loaded_at) AS team, argMax(removed, loaded_at) AS removed
          FROM ${SLO_DEFINITIONS_TABLE}
          GROUP BY slo
          ORDER BY slo`,
    params: {},
  };
}

/** How long a read of `slo_definitions` is reused, ms. */
export const DIRECTORY_TTL_MS = 10_000;
/** Least time between two reads caused by a name not known yet, ms (a flood of unknown names reads once a second). */
export const DIRECTORY_MISS_REREAD_MS = 1_000;

/**
 * The SLO directory as recorded in ClickHouse, read at most every DIRECTORY_TTL_MS (an SLO
 * added to the directory is known within that, or at once when it is asked for by name,
 * with at most one re-read a second). A definition that does not parse (written by another
 * version of sluice) is left out and logged rather than guessed at.
 */
export class ClickHouseSloDirectory implements SloDirectoryReader {
  private readonly client: ClickHouseClient;
  private readonly logger: Logger | undefined;
  private readonly now: () => number;
  private entries = new Map<string, SloDirectoryEntry>();
  private readAtMs = -Infinity;
  private reading: Promise<void> | undefined;

  constructor(client: ClickHouseClient, opts: { logger?: Logger; now?: () => number } = {}) {
    this.client = client;
    this.logger = opts.logger;
    this.now = opts.now ?? Date.now;
  }

  async get(sloName: string): Promise<SloDirectoryEntry | undefined> {
    await this.fresh(DIRECTORY_TTL_MS);
    if (!this.entries.has(sloName)) await this.fresh(DIRECTORY_MISS_REREAD_MS);
    return this.entries.get(sloName);
  }

  async list(): Promise<readonly SloDirectoryEntry[]> {
    await this.fresh(DIRECTORY_TTL_MS);
    return [...this.entries.values()];
  }

  /** Re-reads when the last read is older than `maxAgeMs`; concurrent callers share one read. */
  private async fresh(maxAgeMs: number): Promise<void> {
    if (this.now() - this.readAtMs < maxAgeMs) return;
    this.reading ??= this.read().finally(() => (this.reading = undefined));
    await this.reading;
  }

  private async read(): Promise<void> {
    const q = latestDefinitionsQuery();
    const rows = await (await this.client.query({ query: q.sql, query_params: q.params, format: 'JSONEachRow' }))
      .json<{ slo: string; definition: string; team: string; removed: number | boolean }>();
    const entries = new Map<string, SloDirectoryEntry>();
    for (const r of rows) {
      if (r.removed === 1 || r.removed === true) continue;
      const parsed = SloDefinitionSchema.safeParse(jsonOrUndefined(r.definition));
      if (!parsed.success) {
        this.logger?.warn({ slo: r.slo }, 'recorded SLO definition does not parse: left out of the directory');
        continue;
      }
      entries.set(r.slo, definitionEntry(parsed.data));
    }
    this.entries = entries;
    this.readAtMs = this.now();
  }
}

function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
