import type { ClickHouseClient } from '@clickhouse/client';

/**
 * Deploy facts a gate needs (`deploys`, latest state of each deploy): which version serves
 * a service in an environment now (the default baseline when a policy requires one), and
 * since when a version has served in an environment (the bake requirement).
 */
export interface GateReleaseReader {
  /** The version of the latest succeeded deploy finished at or before `atMs`, other than `except`; undefined when none. */
  servingVersion(args: { service: string; environment: string; except: string; atMs: number }): Promise<string | undefined>;
  /** Finish of the version's first succeeded deploy in the environment, epoch ms; undefined when none. */
  firstServedAt(args: { service: string; environment: string; version: string }): Promise<number | undefined>;
}

/**
 * SQL (as a value) of the versions that served, newest deploy first: the serving version is
 * the first that is not the one asked about (which may already serve, as a canary).
 */
export function recentVersionsQuery(a: { service: string; environment: string; atMs: number }): { sql: string; params: Record<string, unknown> } {
  return {
    sql: `SELECT version FROM deploys FINAL
          WHERE service = {service:String} AND environment = {environment:String} AND status = 'succeeded'
            AND finished_at IS NOT NULL AND finished_at <= fromUnixTimestamp64Milli({at:Int64}, 'UTC')
          ORDER BY finished_at DESC, deploy_id DESC LIMIT 20`,
    params: { service: a.service, environment: a.environment, at: a.atMs },
  };
}

/** SQL (as a value) of a version's first succeeded deploy finish. */
export function firstServedQuery(a: { service: string; environment: string; version: string }): { sql: string; params: Record<string, unknown> } {
  return {
    sql: `SELECT toInt64(toUnixTimestamp64Milli(min(finished_at))) AS first_ms, count() AS n FROM deploys FINAL
          WHERE service = {service:String} AND environment = {environment:String} AND version = {version:String}
            AND status = 'succeeded' AND finished_at IS NOT NULL`,
    params: { service: a.service, environment: a.environment, version: a.version },
  };
}

export class ClickHouseGateReleaseReader implements GateReleaseReader {
  private readonly client: ClickHouseClient;

  constructor(client: ClickHouseClient) {
    this.client = client;
  }

  async servingVersion(a: { service: string; environment: string; except: string; atMs: number }): Promise<string | undefined> {
    const rows = await this.rows<{ version: string }>(recentVersionsQuery(a));
    return rows.find((r) => r.version !== a.except)?.version;
  }

  async firstServedAt(a: { service: string; environment: string; version: string }): Promise<number | undefined> {
    const [row] = await this.rows<{ first_ms: string | number; n: string | number }>(firstServedQuery(a));
    return row === undefined || Number(row.n) === 0 ? undefined : Number(row.first_ms);
  }

  private async rows<T>(q: { sql: string; params: Record<string, unknown> }): Promise<T[]> {
    const rs = await this.client.query({ query: q.sql, query_params: q.params, format: 'JSONEachRow' });
    return rs.json<T>();
  }
}

/** The standard fake: deploys as plain records. */
export class InMemoryGateReleaseReader implements GateReleaseReader {
  readonly deploys: { service: string; environment: string; version: string; finishedAtMs: number; status: string }[] = [];

  async servingVersion(a: { service: string; environment: string; except: string; atMs: number }): Promise<string | undefined> {
    return this.deploys
      .filter((d) => d.service === a.service && d.environment === a.environment && d.status === 'succeeded' && d.finishedAtMs <= a.atMs && d.version !== a.except)
      .sort((x, y) => y.finishedAtMs - x.finishedAtMs)[0]?.version;
  }

  async firstServedAt(a: { service: string; environment: string; version: string }): Promise<number | undefined> {
    const times = this.deploys.filter((d) => d.service === a.service && d.environment === a.environment && d.version === a.version && d.status === 'succeeded').map((d) => d.finishedAtMs);
    return times.length > 0 ? Math.min(...times) : undefined;
  }
}
