import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';

export type { ClickHouseClient };

export interface ClickHouseConnectionOptions {
  url: string;
  database: string;
  username?: string;
  password?: string;
  /** Per-request timeout, ms. */
  requestTimeoutMs?: number;
}

/**
 * Opens a client on `database`, creating the database first if needed. Every query of
 * sluice goes through `@clickhouse/client` with server-side `{name:Type}` parameters.
 */
export async function connectClickHouse(opts: ClickHouseConnectionOptions): Promise<ClickHouseClient> {
  const common = {
    url: opts.url,
    username: opts.username ?? 'default',
    password: opts.password ?? '',
    request_timeout: opts.requestTimeoutMs ?? 30_000,
    // failures are logged once, with context, by the caller that decides to retry
    log: { level: ClickHouseLogLevel.OFF },
    // a dropped keep-alive socket (server restart, embedded listener stopped) is retried by us, not reused
    keep_alive: { enabled: true, idle_socket_ttl: 1_000 },
  };
  const admin = createClient(common);
  try {
    await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(opts.database)}` });
  } finally {
    await admin.close();
  }
  return createClient({ ...common, database: opts.database });
}

/**
 * Quotes an identifier (database/table name from config, never user input) with
 * backticks. Values are never pasted into SQL: they go as query parameters.
 */
export function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid ClickHouse identifier: ${name}`);
  return `\`${name}\``;
}
