import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { z } from 'zod';
import { fromDateTime64, toDateTime64 } from '../../platform/clickhouse/clickhouse-time.ts';
import { ROLES } from './roles.ts';
import type { TokenRecord, TokenStore } from './token-store.ts';

/** SQL (as a value, HyperDX-style) reading the latest version of every token. */
export function allTokensQuery(): { sql: string; params: Record<string, unknown> } {
  return {
    sql: `SELECT token_id, name, role, teams, secret_sha256, created_at, created_by, expires_at, revoked_at, revoked_by, version
          FROM api_tokens FINAL
          ORDER BY created_at, token_id`,
    params: {},
  };
}

/** The `api_tokens` row of a record (JSONEachRow). */
export function tokenRow(record: TokenRecord): Record<string, unknown> {
  return {
    token_id: record.id,
    name: record.name,
    role: record.role,
    teams: record.teams,
    secret_sha256: record.secretSha256,
    created_at: toDateTime64(record.createdAtMs),
    created_by: record.createdBy,
    expires_at: record.expiresAtMs === null ? null : toDateTime64(record.expiresAtMs),
    revoked_at: record.revokedAtMs === null ? null : toDateTime64(record.revokedAtMs),
    revoked_by: record.revokedBy,
    version: record.version,
  };
}

const Time = z.string().transform(fromDateTime64);
/** A stored row; one with an unknown role (written by a newer version) is refused by the schema, not trusted. */
export const TokenRowSchema = z.object({
  token_id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  teams: z.array(z.string()),
  secret_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  created_at: Time,
  created_by: z.string(),
  expires_at: Time.nullable(),
  revoked_at: Time.nullable(),
  revoked_by: z.string(),
  version: z.coerce.number(),
});

/** Tokens in the `api_tokens` table (migration 0009). */
export class ClickHouseTokenStore implements TokenStore {
  private readonly client: ClickHouseClient;
  private readonly logger: Pick<Logger, 'warn'> | undefined;

  constructor(client: ClickHouseClient, logger?: Pick<Logger, 'warn'>) {
    this.client = client;
    this.logger = logger;
  }

  async put(record: TokenRecord): Promise<void> {
    await this.client.insert({
      table: 'api_tokens',
      values: [tokenRow(record)],
      format: 'JSONEachRow',
    });
  }

  async all(): Promise<TokenRecord[]> {
    const { sql, params } = allTokensQuery();
    const result = await this.client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
    const records: TokenRecord[] = [];
    for (const raw of await result.json<unknown>()) {
      const row = TokenRowSchema.safeParse(raw);
      if (!row.success) {
        // such a token cannot authenticate: said once per read, with the row's id
        this.logger?.warn({ tokenId: (raw as { token_id?: unknown }).token_id, issues: row.error.issues.map((i) => i.path.join('.')) }, 'unreadable api_tokens row ignored');
        continue;
      }
      const r = row.data;
      records.push({
        id: r.token_id, name: r.name, role: r.role, teams: r.teams, secretSha256: r.secret_sha256,
        createdAtMs: r.created_at, createdBy: r.created_by, expiresAtMs: r.expires_at, revokedAtMs: r.revoked_at,
        revokedBy: r.revoked_by, version: r.version,
      });
    }
    return records;
  }
}
