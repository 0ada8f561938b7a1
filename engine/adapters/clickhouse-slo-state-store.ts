import type { ClickHouseClient } from '@clickhouse/client';
import { toDateTime64 } from '../../platform/clickhouse/clickhouse-time.ts';
import type { Logger } from 'pino';
import { SloStateSnapshotSchema, type SloStateSnapshot } from './slo-state-snapshot.ts';
import type { SloStateReader, SloStateStore } from './slo-state-store.ts';

export const SLO_STATE_TABLE = 'slo_state';

/** SQL (as a value) for the latest live snapshot of SLOs: all of them, or the named ones. */
export function latestSnapshotsQuery(sloNames?: readonly string[]): { sql: string; params: Record<string, unknown> } {
  return {
    sql: `SELECT slo, snapshot FROM ${SLO_STATE_TABLE} FINAL
          WHERE deleted = 0 ${sloNames === undefined ? '' : 'AND slo IN {slos:Array(String)}'}
          ORDER BY slo`,
    params: sloNames === undefined ? {} : { slos: [...sloNames] },
  };
}

/** The `slo_state` row of a snapshot. */
export function snapshotRow(s: SloStateSnapshot): Record<string, unknown> {
  return {
    slo: s.sloName,
    service: s.definition.service,
    environment: s.definition.environment,
    status: s.status,
    since: toDateTime64(s.sinceMs),
    reason: s.reason,
    event_time_status: s.state.status,
    evaluated_through: s.evaluatedThroughMs === undefined ? null : toDateTime64(s.evaluatedThroughMs),
    watermark: s.watermarkMs === undefined ? null : toDateTime64(s.watermarkMs),
    snapshot: JSON.stringify(s),
    owner: s.owner,
    updated_at: toDateTime64(s.updatedAtMs),
    deleted: 0,
  };
}

/**
 * `slo_state` in ClickHouse: the judges' persistence and `sluice api`'s read path. A row
 * that does not parse (another snapshot version, a hand edit) is logged and left out — the
 * SLO then starts afresh rather than from a state nobody can vouch for.
 */
export class ClickHouseSloStateStore implements SloStateStore, SloStateReader {
  private readonly client: ClickHouseClient;
  private readonly logger: Logger | undefined;

  constructor(client: ClickHouseClient, logger?: Logger) {
    this.client = client;
    this.logger = logger;
  }

  async load(sloNames: readonly string[]): Promise<Map<string, SloStateSnapshot>> {
    if (sloNames.length === 0) return new Map();
    return new Map((await this.read(sloNames)).map((s) => [s.sloName, s]));
  }

  async save(snapshots: readonly SloStateSnapshot[]): Promise<void> {
    if (snapshots.length === 0) return;
    await this.client.insert({ table: SLO_STATE_TABLE, format: 'JSONEachRow', values: snapshots.map(snapshotRow) });
  }

  async remove(sloNames: readonly string[], atMs: number): Promise<void> {
    if (sloNames.length === 0) return;
    await this.client.insert({
      table: SLO_STATE_TABLE,
      format: 'JSONEachRow',
      values: sloNames.map((slo) => ({
        slo, service: '', environment: '', status: 'UNKNOWN', since: toDateTime64(atMs), reason: 'SLO definition removed',
        event_time_status: 'UNKNOWN', evaluated_through: null, watermark: null, snapshot: '{}', owner: '', updated_at: toDateTime64(atMs), deleted: 1,
      })),
    });
  }

  async list(): Promise<SloStateSnapshot[]> {
    return this.read(undefined);
  }

  async get(sloName: string): Promise<SloStateSnapshot | undefined> {
    return (await this.read([sloName]))[0];
  }

  private async read(sloNames: readonly string[] | undefined): Promise<SloStateSnapshot[]> {
    const { sql, params } = latestSnapshotsQuery(sloNames);
    const result = await this.client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
    const out: SloStateSnapshot[] = [];
    for (const row of await result.json<{ slo: string; snapshot: string }>()) {
      let value: unknown;
      try {
        value = JSON.parse(row.snapshot);
      } catch {
        value = undefined;
      }
      const parsed = SloStateSnapshotSchema.safeParse(value);
      if (parsed.success) out.push(parsed.data);
      else this.logger?.warn({ slo: row.slo, issues: parsed.error?.issues.slice(0, 3) }, 'slo_state row does not parse; left out');
    }
    return out;
  }
}
