import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { ChdbEngine, type ChdbEngineLogger } from './chdb-engine.ts';
import { startEmbeddedClickHouse, type EmbeddedClickHouse } from './embedded-clickhouse-server.ts';

/**
 * The embedded store of `sluice start` (and of the test run): native ClickHouse on a data
 * directory, used in-process through `@clickhouse/client` (connectClickHouse with
 * `engine`), and served on loopback through ClickHouse's HTTP interface for other
 * processes, behind a password.
 */

export interface EmbeddedStoreOptions {
  dataDir: string;
  /** Loopback endpoint address and port (0 = any free port). */
  host?: string;
  port: number;
  /** User of the endpoint; default `default`. */
  user?: string;
  /** Password of the endpoint; empty = generated once per data directory and kept in PASSWORD_FILE (mode 0600). */
  password?: string;
  logger?: ChdbEngineLogger;
}

export interface EmbeddedStore {
  engine: ChdbEngine;
  endpoint: EmbeddedClickHouse;
  /** Loopback URL of the endpoint, without credentials. */
  url: string;
  user: string;
  password: string;
  /** Where the generated password is kept; undefined when one was configured. */
  passwordFile: string | undefined;
  dataDir: string;
  close(): Promise<void>;
}

/** File in the data directory holding the endpoint's generated password. */
export const PASSWORD_FILE = 'clickhouse-endpoint-password';

/** Default data directory: `$XDG_DATA_HOME/sluice`, else `~/.local/share/sluice` (outside any work tree). */
export function defaultDataDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const base = env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : path.join(homedir(), '.local', 'share');
  return path.join(base, 'sluice');
}

/** The configured password, or the directory's own (created with mode 0600 on first use). */
function endpointPassword(dataDir: string, configured: string | undefined): { password: string; file: string | undefined } {
  if (configured !== undefined && configured !== '') return { password: configured, file: undefined };
  const file = path.join(dataDir, PASSWORD_FILE);
  if (existsSync(file)) {
    chmodSync(file, 0o600);
    const password = readFileSync(file, 'utf8').trim();
    if (password !== '') return { password, file };
  }
  const password = randomBytes(24).toString('base64url');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return { password, file };
}

export async function openEmbeddedStore(opts: EmbeddedStoreOptions): Promise<EmbeddedStore> {
  const engine = await ChdbEngine.open({ dataDir: opts.dataDir, ...(opts.logger ? { logger: opts.logger } : {}) });
  try {
    const user = opts.user ?? 'default';
    const { password, file } = endpointPassword(engine.dataDir, opts.password);
    const endpoint = await startEmbeddedClickHouse({
      engine,
      user,
      password,
      host: opts.host ?? '127.0.0.1',
      port: opts.port,
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
    return {
      engine,
      endpoint,
      url: endpoint.url,
      user,
      password,
      passwordFile: file,
      dataDir: engine.dataDir,
      async close() {
        await endpoint.close();
        await engine.close();
      },
    };
  } catch (err) {
    await engine.close();
    throw err;
  }
}
