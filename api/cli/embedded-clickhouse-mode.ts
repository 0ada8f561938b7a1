import type { Logger } from 'pino';
import { defaultDataDir, openEmbeddedStore } from '../../platform/clickhouse/embedded-store.ts';
import type { SluiceConfig } from '../../platform/config/sluice-config.ts';
import { connectClickHouse } from '../../platform/clickhouse/clickhouse-connection.ts';
import { copyLeftJournal } from '../../platform/clickhouse/insert-journal.ts';

/**
 * `sluice clickhouse`: only the embedded ClickHouse — the native engine on the data
 * directory, served on loopback through ClickHouse's HTTP interface — so several local
 * processes (`sluice ingest` workers, `sluice api`, tests, `curl`, Grafana) share one
 * store without a ClickHouse server. Prints machine-readable lines on stdout:
 *   CLICKHOUSE_URL=http://127.0.0.1:<port>
 *   CLICKHOUSE_USER=<user>
 *   CLICKHOUSE_PASSWORD_FILE=<file>   (when the password was generated for the directory)
 */
export async function runEmbeddedClickHouse(config: SluiceConfig, logger: Logger): Promise<{ stop(): Promise<void> }> {
  const store = await openEmbeddedStore({
    dataDir: config.dataDir ?? defaultDataDir(),
    host: '127.0.0.1',
    port: config.embeddedClickhousePort,
    user: config.clickhouseUser,
    password: config.clickhousePassword,
    logger: logger.child({ component: 'embedded-clickhouse' }),
  });
  // gate decisions and audit entries a killed `sluice start` acknowledged but had not copied
  const client = await connectClickHouse({ engine: store.engine, database: config.clickhouseDatabase });
  try {
    await copyLeftJournal(store.dataDir, client, logger.child({ component: 'insert-journal' }));
  } catch (err) {
    await store.close();
    throw err;
  } finally {
    await client.close();
  }
  const lines = [`CLICKHOUSE_URL=${store.url}`, `CLICKHOUSE_USER=${store.user}`];
  if (store.passwordFile) lines.push(`CLICKHOUSE_PASSWORD_FILE=${store.passwordFile}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  logger.info({ url: store.url, dataDir: store.dataDir, version: store.engine.version }, 'embedded ClickHouse serving');
  return { stop: () => store.close() };
}
