import type { ClickHouseClient } from '@clickhouse/client';
import { toDateTime64 } from '../../platform/clickhouse/clickhouse-time.ts';
import type { LoadedGatePolicy } from '../core/gate/gate-policy-set.ts';
import { canonicalPolicyJson } from './gate-policy-directory-loader.ts';

/**
 * Every gate policy version sluice has loaded, with its full content (`policy_versions`,
 * schema/clickhouse/0020_policy_versions.sql), so any decision can be shown with the exact
 * policy it used. A version is recorded the first time a process loads it; recording is
 * idempotent (a version already there is not written again).
 */

/** One recorded version. */
export interface PolicyVersionRecord {
  /** `<file>[#n]@sha256:<16 hex>` — what decisions name. */
  version: string;
  /** SHA-256 (hex) of `content`. */
  sha256: string;
  name: string;
  file: string;
  documentIndex: number;
  environments: string[];
  /** The document's canonical JSON (sorted keys, no whitespace): exactly what was hashed. */
  content: string;
  /** The policy directory it was loaded from. */
  directory: string;
  /** When a process first recorded it, epoch ms. */
  loadedAtMs: number;
  /** The process that first recorded it (host:pid). */
  loadedBy: string;
}

export interface PolicyVersionStore {
  /** Records the versions not recorded yet. */
  /** Records the versions not recorded yet; resolves with those (empty when every version was known). */
  record(policies: readonly LoadedGatePolicy[], ctx: { directory: string; loadedAtMs: number; loadedBy: string }): Promise<PolicyVersionRecord[]>;
  get(version: string): Promise<PolicyVersionRecord | undefined>;
}

export function policyVersionRecord(p: LoadedGatePolicy, ctx: { directory: string; loadedAtMs: number; loadedBy: string }): PolicyVersionRecord {
  return {
    version: p.version, sha256: p.sha256, name: p.document.metadata.name, file: p.file, documentIndex: p.documentIndex,
    environments: [...p.document.spec.environments], content: canonicalPolicyJson(p.document), directory: ctx.directory, loadedAtMs: ctx.loadedAtMs, loadedBy: ctx.loadedBy,
  };
}

/** The standard fake (tests). */
export class InMemoryPolicyVersionStore implements PolicyVersionStore {
  readonly records = new Map<string, PolicyVersionRecord>();

  async record(policies: readonly LoadedGatePolicy[], ctx: { directory: string; loadedAtMs: number; loadedBy: string }): Promise<PolicyVersionRecord[]> {
    const added: PolicyVersionRecord[] = [];
    for (const p of policies) {
      if (this.records.has(p.version)) continue;
      const r = policyVersionRecord(p, ctx);
      this.records.set(p.version, r);
      added.push(r);
    }
    return added;
  }

  async get(version: string): Promise<PolicyVersionRecord | undefined> {
    return this.records.get(version);
  }
}

export const POLICY_VERSIONS_TABLE = 'policy_versions';

/** SQL (as a value) reading recorded versions: the first row of each. */
export function policyVersionsQuery(versions: readonly string[]): { sql: string; params: Record<string, unknown> } {
  return {
    sql: `SELECT version, sha256, name, file, document_index, environments, content, directory, toUnixTimestamp64Milli(loaded_at) AS loaded_ms, loaded_by
          FROM ${POLICY_VERSIONS_TABLE} WHERE version IN {versions:Array(String)}
          ORDER BY version, loaded_at LIMIT 1 BY version`,
    params: { versions: [...versions] },
  };
}

export class ClickHousePolicyVersionStore implements PolicyVersionStore {
  private readonly client: ClickHouseClient;
  /** Versions known to be recorded (this process wrote or read them). */
  private readonly known = new Map<string, PolicyVersionRecord>();

  constructor(client: ClickHouseClient) {
    this.client = client;
  }

  async record(policies: readonly LoadedGatePolicy[], ctx: { directory: string; loadedAtMs: number; loadedBy: string }): Promise<PolicyVersionRecord[]> {
    const candidates = policies.filter((p) => !this.known.has(p.version));
    if (candidates.length === 0) return [];
    const existing = await this.read(candidates.map((p) => p.version));
    const missing = candidates.filter((p) => !existing.has(p.version)).map((p) => policyVersionRecord(p, ctx));
    if (missing.length > 0) {
      await this.client.insert({
        table: POLICY_VERSIONS_TABLE,
        format: 'JSONEachRow',
        values: missing.map((r) => ({
          version: r.version, sha256: r.sha256, name: r.name, file: r.file, document_index: r.documentIndex, environments: r.environments,
          content: r.content, directory: r.directory, loaded_at: toDateTime64(r.loadedAtMs), loaded_by: r.loadedBy,
        })),
      });
    }
    for (const r of missing) this.known.set(r.version, r);
    return missing;
  }

  async get(version: string): Promise<PolicyVersionRecord | undefined> {
    return this.known.get(version) ?? (await this.read([version])).get(version);
  }

  private async read(versions: readonly string[]): Promise<Map<string, PolicyVersionRecord>> {
    const q = policyVersionsQuery(versions);
    const rs = await this.client.query({ query: q.sql, query_params: q.params, format: 'JSONEachRow' });
    const rows = await rs.json<{ version: string; sha256: string; name: string; file: string; document_index: number; environments: string[]; content: string; directory: string; loaded_ms: string | number; loaded_by: string }>();
    for (const r of rows) {
      this.known.set(r.version, {
        version: r.version, sha256: r.sha256, name: r.name, file: r.file, documentIndex: Number(r.document_index), environments: r.environments,
        content: r.content, directory: r.directory, loadedAtMs: Number(r.loaded_ms), loadedBy: r.loaded_by,
      });
    }
    return new Map(versions.flatMap((v) => (this.known.has(v) ? [[v, this.known.get(v)!] as const] : [])));
  }
}

