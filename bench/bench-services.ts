import { Kafka, logLevel } from 'kafkajs';
import { connectClickHouse, type ClickHouseClient } from '../platform/clickhouse/clickhouse-connection.ts';
import { startEmbeddedClickHouse } from '../platform/clickhouse/embedded-clickhouse-server.ts';
import { migrate } from '../platform/clickhouse/migrations.ts';

/**
 * Services for benchmarks: the broker named by KAFKA_BROKERS (start one with
 * `bash scripts/kafka-start.sh`), and ClickHouse from CLICKHOUSE_URL or, when unset, an
 * embedded chdb-wasm endpoint started in this process.
 */
export async function benchServices(name: string): Promise<{ kafka: Kafka; brokers: string[]; clickhouse: ClickHouseClient; clickhouseMode: string; close(): Promise<void> }> {
  const brokersEnv = process.env.KAFKA_BROKERS;
  if (!brokersEnv) {
    console.error('KAFKA_BROKERS is not set: start a broker with `bash scripts/kafka-start.sh` and export KAFKA_BROKERS=127.0.0.1:9092');
    process.exit(2);
  }
  const brokers = brokersEnv.split(',');
  let url = process.env.CLICKHOUSE_URL;
  let embedded: Awaited<ReturnType<typeof startEmbeddedClickHouse>> | undefined;
  if (!url) {
    embedded = await startEmbeddedClickHouse({ port: 0 });
    url = embedded.url;
  }
  const clickhouse = await connectClickHouse({ url, database: `bench_${name}_${Date.now().toString(36)}` });
  await migrate(clickhouse);
  return {
    kafka: new Kafka({ clientId: `bench-${name}`, brokers, logLevel: logLevel.ERROR }),
    brokers,
    clickhouse,
    clickhouseMode: embedded ? 'embedded chdb-wasm' : url,
    async close() {
      await clickhouse.close();
      await embedded?.close();
    },
  };
}

/** Percentile (0–100) of a list of numbers, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}
