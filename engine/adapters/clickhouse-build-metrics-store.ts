import type { ClickHouseClient } from '@clickhouse/client';
import { fromDateTime64, toDateTime64 } from '../../platform/clickhouse/clickhouse-time.ts';
import type { BuildMetricsQuery, BuildMetricsStore, StoredBuildMetrics } from './build-metrics-store.ts';

export const BUILD_METRICS_TABLE = 'build_metrics';

/** The `build_metrics` row of a report (schema/clickhouse/0025_build_metrics.sql). */
export function buildMetricsRow(r: StoredBuildMetrics): Record<string, unknown> {
  return {
    service: r.service,
    version: r.version,
    report_id: r.reportId,
    commit_sha: r.commitSha,
    test_coverage: r.testCoverage,
    benchmark_names: r.benchmarks.map((b) => b.name),
    benchmark_values: r.benchmarks.map((b) => b.value),
    benchmark_units: r.benchmarks.map((b) => b.unit),
    reported_at: toDateTime64(r.reportedAtMs),
    reported_by: r.reportedBy,
  };
}

/** SQL (as a value) for a page of reports, newest first: (reported_at, report_id) descending, FINAL (a replaced report counts once). */
export function buildMetricsQuery(q: BuildMetricsQuery): { sql: string; params: Record<string, unknown> } {
  const where = ['service = {service:String}'];
  const params: Record<string, unknown> = { service: q.service, limit: q.limit };
  if (q.version !== undefined) {
    where.push('version = {version:String}');
    params.version = q.version;
  }
  if (q.after !== undefined) {
    where.push(`(reported_at, report_id) < (fromUnixTimestamp64Milli({after_ms:Int64}, 'UTC'), {after_id:String})`);
    params.after_ms = q.after[0];
    params.after_id = q.after[1];
  }
  return {
    sql: `SELECT service, version, report_id, commit_sha, test_coverage, benchmark_names, benchmark_values, benchmark_units, reported_at, reported_by
          FROM ${BUILD_METRICS_TABLE} FINAL
          WHERE ${where.join(' AND ')}
          ORDER BY reported_at DESC, report_id DESC
          LIMIT {limit:UInt32}`,
    params,
  };
}

/** Build metrics in ClickHouse, written and read directly by the API process (both modes). */
export class ClickHouseBuildMetricsStore implements BuildMetricsStore {
  private readonly client: ClickHouseClient;

  constructor(client: ClickHouseClient) {
    this.client = client;
  }

  async save(report: StoredBuildMetrics): Promise<void> {
    await this.client.insert({ table: BUILD_METRICS_TABLE, format: 'JSONEachRow', values: [buildMetricsRow(report)] });
  }

  async list(q: BuildMetricsQuery): Promise<StoredBuildMetrics[]> {
    const { sql, params } = buildMetricsQuery(q);
    const rows = await (await this.client.query({ query: sql, query_params: params, format: 'JSONEachRow' })).json<{
      service: string; version: string; report_id: string; commit_sha: string; test_coverage: number | null;
      benchmark_names: string[]; benchmark_values: number[]; benchmark_units: string[]; reported_at: string; reported_by: string;
    }>();
    return rows.map((r) => ({
      service: r.service, version: r.version, reportId: r.report_id, commitSha: r.commit_sha,
      testCoverage: r.test_coverage === null ? null : Number(r.test_coverage),
      benchmarks: r.benchmark_names.map((name, i) => ({ name, value: Number(r.benchmark_values[i]), unit: r.benchmark_units[i] ?? '' })),
      reportedAtMs: fromDateTime64(r.reported_at), reportedBy: r.reported_by,
    }));
  }
}
