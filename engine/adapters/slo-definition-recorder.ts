import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { toDateTime64 } from '../../platform/clickhouse/clickhouse-time.ts';
import { errorMessage } from '../../platform/errors/sluice-error.ts';
import type { ParsedSlo } from '../core/slo/slo-set.ts';
import { definitionVersionsQuery } from './history-queries.ts';
import type { SloCatalog } from './slo-catalog.ts';
import { loadSloDirectory } from './slo-directory-loader.ts';

export const SLO_DEFINITIONS_TABLE = 'slo_definitions';

/** JSON with object keys sorted at every level: the same document always has the same text. */
export function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v);
}

/** SHA-256 (hex) of a definition's sorted JSON: its version's identity. */
export function definitionFingerprint(definition: unknown): string {
  return createHash('sha256').update(sortedJson(definition)).digest('hex');
}

/** One row of `slo_definitions` (schema/clickhouse/0013_slo_definitions.sql). */
export function definitionRow(parsed: ParsedSlo, loadedAtMs: number, loadedBy: string): Record<string, unknown> {
  return {
    slo: parsed.slo.name,
    fingerprint: definitionFingerprint(parsed.definition),
    definition: sortedJson(parsed.definition),
    service: parsed.slo.service,
    environment: parsed.slo.environment,
    team: parsed.definition.metadata.labels?.team ?? '',
    file: parsed.file,
    loaded_at: toDateTime64(loadedAtMs),
    loaded_by: loadedBy,
    removed: 0,
  };
}

/**
 * Records SLO definition versions as they load (nothing did before): at start-up and after
 * every successful reload of the SLO directory, each SLO whose definition differs from the
 * last version recorded for its name gets a row in `slo_definitions` — with its file, the
 * loading process and time — and an SLO that left the directory a `removed` row. The
 * review report lists these as configuration changes; backtests by name and `sluice api`
 * read the latest. Recording is best effort: a failure is logged and retried at the next
 * reload, and never stops the engine.
 */
export class SloDefinitionRecorder {
  private readonly client: ClickHouseClient;
  private readonly sloDir: string;
  private readonly owner: string;
  private readonly logger: Logger;
  private readonly now: () => number;
  /** Latest recorded fingerprint per SLO ('' for a removed one). */
  private latest = new Map<string, string>();
  private chain: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;

  private constructor(opts: { client: ClickHouseClient; sloDir: string; owner: string; logger: Logger; now: () => number }) {
    this.client = opts.client;
    this.sloDir = opts.sloDir;
    this.owner = opts.owner;
    this.logger = opts.logger;
    this.now = opts.now;
  }

  /** Records the directory's definitions now, then after every reload of `catalog`; `owner` names the process (default host:pid). */
  static async start(opts: { clickhouse: ClickHouseClient; sloDir: string; catalog: SloCatalog; logger: Logger; owner?: string; now?: () => number }): Promise<SloDefinitionRecorder> {
    const recorder = new SloDefinitionRecorder({ client: opts.clickhouse, sloDir: opts.sloDir, owner: opts.owner ?? `${hostname()}:${process.pid}`, logger: opts.logger, now: opts.now ?? Date.now });
    await recorder.record();
    recorder.unsubscribe = opts.catalog.onChange(() => void recorder.record());
    return recorder;
  }

  /** Records what the directory holds now (serialised with earlier calls); resolves when written. */
  record(): Promise<void> {
    this.chain = this.chain.then(() => this.recordNow()).catch((err: unknown) => {
      this.logger.warn({ err: errorMessage(err) }, 'recording SLO definition versions failed; retried at the next reload');
    });
    return this.chain;
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.chain;
  }

  private async recordNow(): Promise<void> {
    const set = await loadSloDirectory(this.sloDir);
    if (set.errors.length > 0) return; // the catalog keeps the previous set: so do the versions
    if (this.latest.size === 0) await this.readLatest();
    const nowMs = this.now();
    const rows: Record<string, unknown>[] = [];
    const present = new Set<string>();
    for (const parsed of set.slos) {
      present.add(parsed.slo.name);
      const row = definitionRow(parsed, nowMs, this.owner);
      if (this.latest.get(parsed.slo.name) !== row.fingerprint) rows.push(row);
    }
    for (const [name, fingerprint] of this.latest) {
      if (fingerprint !== '' && !present.has(name)) rows.push({ slo: name, fingerprint: '', definition: '{}', service: '', environment: '', team: '', file: '', loaded_at: toDateTime64(nowMs), loaded_by: this.owner, removed: 1 });
    }
    if (rows.length === 0) return;
    await this.client.insert({ table: SLO_DEFINITIONS_TABLE, values: rows, format: 'JSONEachRow' });
    for (const row of rows) this.latest.set(String(row.slo), row.removed === 1 ? '' : String(row.fingerprint));
    this.logger.info({ slos: rows.map((r) => r.slo) }, 'SLO definition versions recorded');
  }

  private async readLatest(): Promise<void> {
    const q = definitionVersionsQuery();
    const rows = await (await this.client.query({ query: q.sql, query_params: q.params, format: 'JSONEachRow' })).json<{ slo: string; fingerprint: string; removed: number | boolean }>();
    for (const r of rows) this.latest.set(r.slo, r.removed === 1 || r.removed === true ? '' : r.fingerprint);
  }
}
