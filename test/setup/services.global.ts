import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';

/**
 * Finds the services integration tests need, in the order of ../shared/INFRA.md:
 * 1. KAFKA_BROKERS / CLICKHOUSE_URL set → use them;
 * 2. Docker present → testcontainers starts apache/kafka and clickhouse/clickhouse-server;
 * 3. otherwise ClickHouse is the embedded endpoint (chdb-wasm, in this process) and a
 *    missing Kafka fails every Kafka test with a message naming scripts/kafka-start.sh —
 *    unless CI is unset and SLUICE_SKIP_SERVICE_TESTS=1 (then they skip).
 * The resolved endpoints reach test files through `inject('services')`.
 */
export interface Services {
  clickhouseUrl: string;
  /** `embedded` (chdb-wasm endpoint of this run), `env` or `testcontainers`. */
  clickhouseMode: string;
  kafkaBrokers: string[] | null;
  kafkaMode: string;
  /** Why Kafka is missing, when it is. */
  kafkaMissing: string | null;
  skipMissing: boolean;
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: Services;
  }
}

function dockerAvailable(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cleanups: (() => Promise<void>)[] = [];
  const skipMissing = !process.env.CI && process.env.SLUICE_SKIP_SERVICE_TESTS === '1';
  const docker = !process.env.KAFKA_BROKERS && !process.env.CLICKHOUSE_URL && dockerAvailable();

  let clickhouseUrl = process.env.CLICKHOUSE_URL ?? '';
  let clickhouseMode = 'env';
  let kafkaBrokers = process.env.KAFKA_BROKERS ? process.env.KAFKA_BROKERS.split(',').map((b) => b.trim()) : null;
  let kafkaMode = kafkaBrokers ? 'env' : 'none';

  if (docker) {
    const { GenericContainer, Wait } = await import('testcontainers');
    const kafka = await new GenericContainer('apache/kafka:3.9.1')
      .withExposedPorts({ container: 9092, host: 19092 })
      .withEnvironment({
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
        KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://localhost:19092',
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
        KAFKA_NUM_PARTITIONS: '4',
      })
      .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
      .start();
    cleanups.push(async () => void (await kafka.stop()));
    kafkaBrokers = ['localhost:19092'];
    kafkaMode = 'testcontainers';
    const ch = await new GenericContainer('clickhouse/clickhouse-server:25.8')
      .withExposedPorts(8123)
      .withEnvironment({ CLICKHOUSE_SKIP_USER_SETUP: '1' })
      .withWaitStrategy(Wait.forHttp('/ping', 8123))
      .start();
    cleanups.push(async () => void (await ch.stop()));
    clickhouseUrl = `http://${ch.getHost()}:${ch.getMappedPort(8123)}`;
    clickhouseMode = 'testcontainers';
  }

  if (!clickhouseUrl) {
    const { startEmbeddedClickHouse } = await import('../../platform/clickhouse/embedded-clickhouse-server.ts');
    const embedded = await startEmbeddedClickHouse({ port: 0 });
    cleanups.push(() => embedded.close());
    clickhouseUrl = embedded.url;
    clickhouseMode = 'embedded';
  }

  const kafkaMissing = kafkaBrokers
    ? null
    : 'no Kafka broker: run `bash scripts/kafka-start.sh` and export KAFKA_BROKERS=127.0.0.1:9092 (or run `bash .ci/run`, which does both)';
  const services: Services = { clickhouseUrl, clickhouseMode, kafkaBrokers, kafkaMode, kafkaMissing, skipMissing };
  console.log(`[services] ClickHouse: ${clickhouseMode} ${clickhouseUrl}; Kafka: ${kafkaMode} ${kafkaBrokers?.join(',') ?? `(missing${skipMissing ? ', tests skipped' : ''})`}`);
  project.provide('services', services);
  return async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
}
