import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import type { ChdbEngine } from './chdb-engine.ts';
import { ChdbClientConnection } from './chdb-client-connection.ts';

export type { ClickHouseClient };

/** Where ClickHouse is: a server's HTTP URL, or the native engine of this process. */
export type ClickHouseTarget =
  | { url: string; username?: string; password?: string; engine?: undefined }
  | { engine: ChdbEngine; url?: undefined };

export type ClickHouseConnectionOptions = ClickHouseTarget & {
  database: string;
  /** Per-request timeout, ms (HTTP only). */
  requestTimeoutMs?: number;
};

/**
 * Opens a client on `database`, creating the database first if needed. Every query of
 * sluice goes through `@clickhouse/client` with server-side `{name:Type}` parameters —
 * over HTTP to a server, or in-process to the embedded engine through the client's
 * `connection` option (same client code, same SQL).
 */
export async function connectClickHouse(opts: ClickHouseConnectionOptions): Promise<ClickHouseClient> {
  const make = (database: string | undefined): ClickHouseClient => {
    const common = {
      // failures are logged once, with context, by the caller that decides to retry
      log: { level: ClickHouseLogLevel.OFF },
      ...(database !== undefined ? { database } : {}),
    };
    if (opts.engine) {
      return createClient({ ...common, connection: new ChdbClientConnection({ engine: opts.engine, ...(database !== undefined ? { database } : {}) }) });
    }
    // credentials in the URL (http://user:pass@host:port) win over the separate options
    const url = new URL(opts.url);
    const username = url.username !== '' ? decodeURIComponent(url.username) : (opts.username ?? 'default');
    const password = url.username !== '' ? decodeURIComponent(url.password) : (opts.password ?? '');
    url.username = '';
    url.password = '';
    return createClient({
      ...common,
      url: url.toString().replace(/\/$/, ''),
      username,
      password,
      request_timeout: opts.requestTimeoutMs ?? 30_000,
      // a dropped keep-alive socket (server restart, embedded listener stopped) is retried by us, not reused
      keep_alive: { enabled: true, idle_socket_ttl: 1_000 },
    });
  };
  const admin = make(undefined);
  try {
    await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(opts.database)}` });
  } finally {
    await admin.close();
  }
  return make(opts.database);
}

/**
 * Quotes an identifier (database/table name from config, never user input) with
 * backticks. Values are never pasted into SQL: they go as query parameters.
 */
export function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid ClickHouse identifier: ${name}`);
  return `\`${name}\``;
}
