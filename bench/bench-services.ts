import { Kafka, logLevel } from 'kafkajs';
import { connectClickHouse, type ClickHouseClient } from '../platform/clickhouse/clickhouse-connection.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openEmbeddedStore, type EmbeddedStore } from '../platform/clickhouse/embedded-store.ts';
import { migrate } from '../platform/clickhouse/migrations.ts';

/**
 * Services for benchmarks: the broker named by KAFKA_BROKERS (start one with
 * `bash scripts/kafka-start.sh`), and ClickHouse from CLICKHOUSE_URL (+ CLICKHOUSE_PASSWORD)
 * or, when unset, the embedded native engine on a temporary data directory in this
 * process, used in-process as `sluice start` uses it.
 */
export async function benchServices(name: string): Promise<{ kafka: Kafka; brokers: string[]; clickhouse: ClickHouseClient; clickhouseMode: string; close(): Promise<void> }> {
  const brokersEnv = process.env.KAFKA_BROKERS;
  if (!brokersEnv) {
    console.error('KAFKA_BROKERS is not set: start a broker with `bash scripts/kafka-start.sh` and export KAFKA_BROKERS=127.0.0.1:9092');
    process.exit(2);
  }
  const brokers = brokersEnv.split(',');
  const url = process.env.CLICKHOUSE_URL;
  let embedded: EmbeddedStore | undefined;
  let dataDir: string | undefined;
  const database = `bench_${name}_${Date.now().toString(36)}`;
  let clickhouse: ClickHouseClient;
  if (url) {
    clickhouse = await connectClickHouse({ url, password: process.env.CLICKHOUSE_PASSWORD ?? '', database });
  } else {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-bench-'));
    embedded = await openEmbeddedStore({ dataDir, port: 0 });
    clickhouse = await connectClickHouse({ engine: embedded.engine, database });
  }
  await migrate(clickhouse);
  return {
    kafka: new Kafka({ clientId: `bench-${name}`, brokers, logLevel: logLevel.ERROR }),
    brokers,
    clickhouse,
    clickhouseMode: embedded ? `embedded native chDB ${embedded.engine.version}, in-process` : url!,
    async close() {
      await clickhouse.close();
      await embedded?.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Percentile (0–100) of a list of numbers, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}
