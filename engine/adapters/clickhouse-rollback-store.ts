import type { ClickHouseClient } from '@clickhouse/client';
import { fromDateTime64, toDateTime64 } from '../../platform/clickhouse/clickhouse-time.ts';
import { RollbackRequestSchema } from '../core/release/rollback-request.ts';
import type { DeliveryAttempt, DeliveryOutcome, RollbackListFilter, RollbackState, RollbackStore, StoredRollbackRequest } from './rollback-store.ts';

interface RequestRow {
  request_id: string;
  payload: string;
  state: string;
  updated_at: string;
}

interface DeliveryRow {
  request_id: string;
  target: string;
  attempt: number;
  at: string;
  outcome: string;
  status_code: number;
  detail: string;
  duration_ms: number;
  next_attempt_at: string | null;
}

/** SQL (as a value) for the newest requests, optionally of one service, from a time on, older than a page's last one. */
export function rollbackListQuery(filter: RollbackListFilter): { sql: string; params: Record<string, unknown> } {
  return {
    sql: `SELECT request_id, payload, state, updated_at FROM rollback_requests FINAL
          WHERE ({service:Nullable(String)} IS NULL OR service = {service:Nullable(String)})
            AND requested_at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')
            AND ({beforeId:Nullable(String)} IS NULL
                 OR (requested_at, request_id) < (fromUnixTimestamp64Milli({beforeMs:Int64}, 'UTC'), ifNull({beforeId:Nullable(String)}, '')))
          ORDER BY requested_at DESC, request_id DESC LIMIT {limit:UInt32}`,
    params: {
      service: filter.service ?? null, since: filter.sinceMs ?? 0, limit: filter.limit,
      beforeMs: filter.before?.requestedAtMs ?? 0, beforeId: filter.before?.requestId ?? null,
    },
  };
}

/**
 * Rollback requests and deliveries in ClickHouse (migration 0015_rollback_requests.sql).
 * One writer decides (the rollback watcher, docs/releases.md "Who sends"), so `create`'s
 * read-then-insert is not raced; its deterministic request id and insert deduplication
 * token make a retried insert land once.
 */
export class ClickHouseRollbackStore implements RollbackStore {
  private readonly client: ClickHouseClient;

  constructor(client: ClickHouseClient) {
    this.client = client;
  }

  private static view(row: RequestRow): StoredRollbackRequest {
    return { request: RollbackRequestSchema.parse(JSON.parse(row.payload)), state: row.state as RollbackState, updatedAtMs: fromDateTime64(row.updated_at) };
  }

  private async write(stored: StoredRollbackRequest): Promise<void> {
    const r = stored.request;
    await this.client.insert({
      table: 'rollback_requests',
      format: 'JSONEachRow',
      values: [{
        request_id: r.requestId, service: r.service, environment: r.environment, version: r.version, deploy_id: r.deployId,
        trigger_kind: r.trigger.kind, reason: r.reason, payload: JSON.stringify(r), dry_run: r.dryRun,
        requested_at: toDateTime64(r.requestedAtMs), state: stored.state, updated_at: toDateTime64(stored.updatedAtMs),
      }],
      clickhouse_settings: { insert_deduplication_token: `${r.requestId}|${stored.state}|${stored.updatedAtMs}` },
    });
  }

  async create(request: StoredRollbackRequest['request'], nowMs: number): Promise<{ stored: StoredRollbackRequest; created: boolean }> {
    const seen = await this.get(request.requestId);
    if (seen) return { stored: seen, created: false };
    const stored: StoredRollbackRequest = { request, state: request.dryRun ? 'dry_run' : 'pending', updatedAtMs: nowMs };
    await this.write(stored);
    return { stored, created: true };
  }

  async get(requestId: string): Promise<StoredRollbackRequest | undefined> {
    const rs = await this.client.query({
      query: 'SELECT request_id, payload, state, updated_at FROM rollback_requests FINAL WHERE request_id = {id:String}',
      query_params: { id: requestId },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<RequestRow>();
    return row === undefined ? undefined : ClickHouseRollbackStore.view(row);
  }

  async setState(requestId: string, state: RollbackState, nowMs: number): Promise<void> {
    const seen = await this.get(requestId);
    // strictly increasing versions, so the new state wins the merge even within one millisecond
    if (seen) await this.write({ ...seen, state, updatedAtMs: Math.max(nowMs, seen.updatedAtMs + 1) });
  }

  async appendDelivery(a: DeliveryAttempt): Promise<void> {
    await this.client.insert({
      table: 'rollback_deliveries',
      format: 'JSONEachRow',
      values: [{
        request_id: a.requestId, target: a.target, attempt: a.attempt, at: toDateTime64(a.atMs), outcome: a.outcome,
        status_code: a.statusCode, detail: a.detail, duration_ms: a.durationMs, next_attempt_at: a.nextAttemptAtMs === null ? null : toDateTime64(a.nextAttemptAtMs),
      }],
      clickhouse_settings: { insert_deduplication_token: `${a.requestId}|${a.target}|${a.attempt}|${a.outcome}` },
    });
  }

  async deliveries(requestId: string): Promise<DeliveryAttempt[]> {
    const rs = await this.client.query({
      query: `SELECT request_id, target, attempt, at, outcome, status_code, detail, duration_ms, next_attempt_at
              FROM rollback_deliveries WHERE request_id = {id:String} ORDER BY at, target, attempt`,
      query_params: { id: requestId },
      format: 'JSONEachRow',
    });
    return (await rs.json<DeliveryRow>()).map((r) => ({
      requestId: r.request_id, target: r.target, attempt: Number(r.attempt), atMs: fromDateTime64(r.at), outcome: r.outcome as DeliveryOutcome,
      statusCode: Number(r.status_code), detail: r.detail, durationMs: Number(r.duration_ms),
      nextAttemptAtMs: r.next_attempt_at === null ? null : fromDateTime64(r.next_attempt_at),
    }));
  }

  async list(filter: RollbackListFilter): Promise<StoredRollbackRequest[]> {
    const { sql, params } = rollbackListQuery(filter);
    const rs = await this.client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
    return (await rs.json<RequestRow>()).map(ClickHouseRollbackStore.view);
  }

  async pending(): Promise<StoredRollbackRequest[]> {
    const rs = await this.client.query({
      query: "SELECT request_id, payload, state, updated_at FROM rollback_requests FINAL WHERE state = 'pending' ORDER BY requested_at",
      format: 'JSONEachRow',
    });
    return (await rs.json<RequestRow>()).map(ClickHouseRollbackStore.view);
  }
}
