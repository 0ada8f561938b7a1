import type { ClickHouseClient } from '@clickhouse/client';
import { fromDateTime64 } from '../../platform/clickhouse/clickhouse-time.ts';
import { ServingTimeline } from '../core/dora/serving-timeline.ts';
import { deployFromRow } from './clickhouse-delivery-history.ts';

/** Deploys of one service and environment reaching back this many from a time: enough to know what served then. */
const DEPLOYS_BACK = 50;

/** The last deploys of a scope finished at or before `atMs` (SQL as a value). */
export function scopeDeploysQuery(service: string, environment: string, atMs: number): { sql: string; params: Record<string, unknown> } {
  return {
    sql: `SELECT deploy_id, service, environment, version, team, commit_sha, commit_time, started_at, finished_at, status, strategy, attributes, updated_at
          FROM deploys FINAL
          WHERE service = {service:String} AND environment = {environment:String}
            AND finished_at IS NOT NULL AND finished_at <= fromUnixTimestamp64Milli({at:Int64}, 'UTC')
          ORDER BY finished_at DESC LIMIT {limit:UInt32}`,
    params: { service, environment, at: atMs, limit: DEPLOYS_BACK },
  };
}

/**
 * What the inbound-alert doors ask storage (ingest/http/alert-webhook-handler.ts's
 * AlertContext): the change serving a service when an alert fired — by the same serving
 * timeline DORA attribution uses (engine/core/dora/serving-timeline.ts), so a rolled-back
 * release is not what "served" after its rollback — and when an incident was opened.
 */
export class ClickHouseAlertContext {
  private readonly client: ClickHouseClient;

  constructor(client: ClickHouseClient) {
    this.client = client;
  }

  async servingDeployId(service: string, environment: string, atMs: number): Promise<string | undefined> {
    const { sql, params } = scopeDeploysQuery(service, environment, atMs);
    const rs = await this.client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
    const deploys = (await rs.json<Parameters<typeof deployFromRow>[0]>()).map(deployFromRow);
    return new ServingTimeline(deploys).servingAt(service, environment, atMs)?.change.deployId;
  }

  async incidentOpenedAt(incidentId: string): Promise<number | undefined> {
    const rs = await this.client.query({
      query: 'SELECT opened_at FROM incidents FINAL WHERE incident_id = {id:String} LIMIT 1',
      query_params: { id: incidentId },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ opened_at: string }>();
    return row === undefined ? undefined : fromDateTime64(row.opened_at);
  }
}
