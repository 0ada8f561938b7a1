import type { ClickHouseClient } from '@clickhouse/client';
import type { GateAlertRule } from '../core/gate/gate-inputs.ts';
import { buildSlo, SloDefinitionSchema, type Slo } from '../core/slo/slo-definition.ts';
import { formatDurationMs } from '../core/time/duration.ts';
import { definitionVersionsQuery } from './history-queries.ts';

/**
 * What the gate needs of an SLO's definition beyond the judges' state: its alert rules
 * (which firing rule is a page, the thresholds and windows attribution uses) and its
 * compliance window as text. Embedded mode reads the SLO catalog in the process; `sluice
 * api` reads the latest definition each SLO recorded in `slo_definitions` (it loads no SLO
 * directory). An SLO whose definition cannot be read gets no entry: the gate then names
 * severities from rule names and attributes nothing (the alert counts against every version).
 */
export interface SloRuleSource {
  rulesOf(sloNames: readonly string[]): Promise<Map<string, SloRules>>;
}

export interface SloRules {
  rules: GateAlertRule[];
  /** `28d`, `1M`. */
  complianceWindow: string;
}

/** The gate's view of a built SLO. */
export function sloRules(slo: Slo): SloRules {
  return {
    rules: slo.alertRules.map((r) => ({ name: r.name, severity: r.severity, longWindowMs: r.longWindowMs, shortWindowMs: r.shortWindowMs, burnRate: r.burnRateThreshold })),
    complianceWindow: slo.compliance.kind === 'rolling' ? formatDurationMs(slo.compliance.durationMs, { weeks: false }) : '1M',
  };
}

/** From SLOs in the process (embedded mode: the catalog's current set). */
export class CatalogRuleSource implements SloRuleSource {
  private readonly slos: () => readonly Slo[];

  constructor(slos: () => readonly Slo[]) {
    this.slos = slos;
  }

  async rulesOf(sloNames: readonly string[]): Promise<Map<string, SloRules>> {
    const wanted = new Set(sloNames);
    return new Map(this.slos().filter((s) => wanted.has(s.name)).map((s) => [s.name, sloRules(s)]));
  }
}

/** From the latest recorded definition of each SLO (`slo_definitions`), cached for `cacheMs` (default 30 s). */
export class ClickHouseRuleSource implements SloRuleSource {
  private readonly client: ClickHouseClient;
  private readonly cacheMs: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, { atMs: number; rules: SloRules | undefined }>();

  constructor(client: ClickHouseClient, opts: { cacheMs?: number; now?: () => number } = {}) {
    this.client = client;
    this.cacheMs = opts.cacheMs ?? 30_000;
    this.now = opts.now ?? Date.now;
  }

  async rulesOf(sloNames: readonly string[]): Promise<Map<string, SloRules>> {
    const nowMs = this.now();
    const stale = sloNames.filter((n) => { const c = this.cache.get(n); return c === undefined || nowMs - c.atMs >= this.cacheMs; });
    if (stale.length > 0) {
      const q = definitionVersionsQuery(stale);
      const rs = await this.client.query({ query: q.sql, query_params: q.params, format: 'JSONEachRow' });
      const latest = new Map<string, { definition: string; removed: boolean }>();
      // oldest first: the last row of each SLO is its current definition
      for (const r of await rs.json<{ slo: string; definition: string; removed: number | boolean }>()) latest.set(r.slo, { definition: r.definition, removed: r.removed === 1 || r.removed === true });
      for (const name of stale) {
        const row = latest.get(name);
        let rules: SloRules | undefined;
        if (row !== undefined && !row.removed) {
          try {
            const parsed = SloDefinitionSchema.safeParse(JSON.parse(row.definition));
            rules = parsed.success ? sloRules(buildSlo(parsed.data)) : undefined;
          } catch {
            rules = undefined;
          }
        }
        this.cache.set(name, { atMs: nowMs, rules });
      }
    }
    return new Map(sloNames.flatMap((n) => { const r = this.cache.get(n)?.rules; return r === undefined ? [] : [[n, r] as const]; }));
  }
}
