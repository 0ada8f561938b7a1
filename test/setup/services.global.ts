import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

/**
 * Finds the services integration tests need, in the order of ../shared/INFRA.md:
 * 1. KAFKA_BROKERS / CLICKHOUSE_URL set → use them;
 * 2. Docker present → testcontainers starts apache/kafka and clickhouse/clickhouse-server;
 * 3. otherwise ClickHouse is the embedded store — `sluice clickhouse` (native chDB on a
 *    fresh temporary data directory, served on loopback with a password) started as a child
 *    process for the run — and a missing Kafka fails every Kafka test with a message naming
 *    scripts/kafka-start.sh — unless CI is unset and SLUICE_SKIP_SERVICE_TESTS=1 (then they skip).
 * The resolved endpoints reach test files through `inject('services')`.
 */
export interface Services {
  clickhouseUrl: string;
  clickhouseUser: string;
  clickhousePassword: string;
  /** `embedded` (`sluice clickhouse` child process of this run), `env` or `testcontainers`. */
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

  let clickhouseUser = process.env.CLICKHOUSE_USER ?? 'default';
  let clickhousePassword = process.env.CLICKHOUSE_PASSWORD ?? '';
  if (!clickhouseUrl) {
    const embedded = await startEmbeddedClickHouseProcess();
    cleanups.push(embedded.stop);
    clickhouseUrl = embedded.url;
    clickhouseUser = embedded.user;
    clickhousePassword = embedded.password;
    clickhouseMode = 'embedded';
  }

  const kafkaMissing = kafkaBrokers
    ? null
    : 'no Kafka broker: run `bash scripts/kafka-start.sh` and export KAFKA_BROKERS=127.0.0.1:9092 (or run `bash .ci/run`, which does both)';
  const services: Services = { clickhouseUrl, clickhouseUser, clickhousePassword, clickhouseMode, kafkaBrokers, kafkaMode, kafkaMissing, skipMissing };
  console.log(`[services] ClickHouse: ${clickhouseMode} ${clickhouseUrl}; Kafka: ${kafkaMode} ${kafkaBrokers?.join(',') ?? `(missing${skipMissing ? ', tests skipped' : ''})`}`);
  project.provide('services', services);
  return async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
}

/**
 * Starts `sluice clickhouse` on a fresh temporary data directory (its own process, as a
 * ClickHouse server would be) and reads the URL and password file it prints.
 */
async function startEmbeddedClickHouseProcess(): Promise<{ url: string; user: string; password: string; stop: () => Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-test-clickhouse-'));
  const root = path.resolve(import.meta.dirname, '../..');
  const child = spawn(path.join(root, 'node_modules/.bin/node'), [path.join(root, 'bin/sluice.ts'), 'clickhouse', '--data-dir', dataDir, '--embedded-clickhouse-port', '0', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Record<string, string> = {};
  await new Promise<void>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error('sluice clickhouse did not start within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`sluice clickhouse exited with code ${code} before it was ready`)));
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (const line of buffer.split('\n')) {
        const m = /^([A-Z_]+)=(.*)$/.exec(line);
        if (m) lines[m[1]!] = m[2]!;
      }
      if (lines.CLICKHOUSE_URL && lines.CLICKHOUSE_PASSWORD_FILE) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.removeAllListeners('exit');
  return {
    url: lines.CLICKHOUSE_URL!,
    user: lines.CLICKHOUSE_USER ?? 'default',
    password: readFileSync(lines.CLICKHOUSE_PASSWORD_FILE!, 'utf8').trim(),
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
