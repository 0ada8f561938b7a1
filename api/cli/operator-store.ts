import { existsSync, readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import path from 'node:path';
import { ChdbEngine } from '../../platform/clickhouse/chdb-engine.ts';
import { connectClickHouse, type ClickHouseClient } from '../../platform/clickhouse/clickhouse-connection.ts';
import { defaultDataDir, PASSWORD_FILE } from '../../platform/clickhouse/embedded-store.ts';
import { migrate } from '../../platform/clickhouse/migrations.ts';
import { copyLeftJournal } from '../../platform/clickhouse/insert-journal.ts';
import type { SluiceConfig } from '../../platform/config/sluice-config.ts';
import { SluiceError } from '../../platform/errors/sluice-error.ts';
import { createLogger } from '../../platform/logging/logger.ts';
import { AuditLog } from '../audit/audit-log.ts';
import { ClickHouseAuditStore } from '../audit/clickhouse-audit-store.ts';
import { operatorPrincipal, type Principal } from '../auth/principal.ts';

/**
 * The storage the local operator's commands (`sluice token`, `sluice audit`) work on,
 * reached directly — the operator is whoever holds the ClickHouse credentials:
 * CLICKHOUSE_URL when set; otherwise the embedded data directory, opened in this process,
 * or — when a running `sluice start` holds it — that process's loopback endpoint with the
 * directory's password file.
 */
export interface OperatorStore {
  client: ClickHouseClient;
  /** Where the data is, for messages. */
  where: string;
  operator: Principal;
  /** An audit log writing this run's own chain (`cli@<host>:<pid>/…`). */
  audit: AuditLog;
  close(): Promise<void>;
}

export async function openOperatorStore(config: SluiceConfig): Promise<OperatorStore> {
  const operator = operatorPrincipal(userInfo().username, hostname());
  const finish = async (client: ClickHouseClient, where: string, closeExtra: () => Promise<void> = async () => undefined): Promise<OperatorStore> => {
    await migrate(client);
    return {
      client, where, operator,
      audit: new AuditLog({ store: new ClickHouseAuditStore(client), writer: `cli@${hostname()}:${process.pid}`, now: Date.now }),
      close: async () => {
        await client.close();
        await closeExtra();
      },
    };
  };
  if (config.clickhouseUrl) {
    const client = await connectClickHouse({ url: config.clickhouseUrl, database: config.clickhouseDatabase, username: config.clickhouseUser, password: config.clickhousePassword });
    return finish(client, `${config.clickhouseUrl} database ${config.clickhouseDatabase}`);
  }
  const dataDir = config.dataDir ?? defaultDataDir();
  try {
    const engine = await ChdbEngine.open({ dataDir });
    const client = await connectClickHouse({ engine, database: config.clickhouseDatabase });
    const store = await finish(client, `${dataDir} (embedded) database ${config.clickhouseDatabase}`, () => engine.close());
    // decisions and audit entries a stopped `sluice start` acknowledged but had not yet copied
    try {
      await copyLeftJournal(dataDir, client, createLogger('warn'));
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  } catch (err) {
    if (!(err instanceof SluiceError) || err.code !== 'CLICKHOUSE_DATA_DIR_IN_USE') throw err;
    // a running `sluice start` holds the directory: go through its loopback endpoint
    const passwordFile = path.join(dataDir, PASSWORD_FILE);
    const password = config.clickhousePassword || (existsSync(passwordFile) ? readFileSync(passwordFile, 'utf8').trim() : '');
    const url = `http://127.0.0.1:${config.embeddedClickhousePort}`;
    try {
      const client = await connectClickHouse({ url, database: config.clickhouseDatabase, username: config.clickhouseUser, password });
      return finish(client, `${url} (endpoint of the sluice holding ${dataDir}) database ${config.clickhouseDatabase}`);
    } catch (endpointErr) {
      throw new SluiceError(
        'OPERATOR_STORE_UNREACHABLE',
        `${dataDir} is in use by a running sluice and its ClickHouse endpoint ${url} did not answer (${(endpointErr as Error).message}). ` +
          'Set CLICKHOUSE_URL (--clickhouse-url) to the endpoint that process printed, or SLUICE_EMBEDDED_CLICKHOUSE_PORT (--embedded-clickhouse-port).',
        { cause: endpointErr },
      );
    }
  }
}
