import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { Kafka, logLevel } from 'kafkajs';
import { inject, it } from 'vitest';
import { connectClickHouse } from '../../platform/clickhouse/clickhouse-connection.ts';
import { migrate } from '../../platform/clickhouse/migrations.ts';

/**
 * Per-test-file access to the services found by test/setup/services.global.ts: each test
 * file gets its own ClickHouse database and its own topics and consumer groups.
 */
export function services() {
  return inject('services');
}

/** A unique, identifier-safe suffix for databases, topics and groups. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** A fresh database with sluice's migrations applied. */
export async function migratedDatabase(prefix: string): Promise<{ client: ClickHouseClient; database: string; url: string }> {
  const { clickhouseUrl, clickhouseUser, clickhousePassword } = services();
  const database = uniqueName(`t_${prefix}`);
  const client = await connectClickHouse({ url: clickhouseUrl, username: clickhouseUser, password: clickhousePassword, database });
  await migrate(client);
  return { client, database, url: clickhouseUrl };
}

/**
 * `it` for tests that need Kafka: fails with a message naming the start script when no
 * broker is available, or skips when the developer asked (SLUICE_SKIP_SERVICE_TESTS=1,
 * never in CI).
 */
export function kafkaIt(name: string, fn: (brokers: string[]) => Promise<void>, timeoutMs = 120_000): void {
  const s = services();
  if (!s.kafkaBrokers && s.skipMissing) {
    it.skip(`${name} (no Kafka broker; SLUICE_SKIP_SERVICE_TESTS=1)`, () => undefined);
    return;
  }
  it(name, async () => {
    if (!s.kafkaBrokers) throw new Error(s.kafkaMissing ?? 'no Kafka broker');
    await fn(s.kafkaBrokers);
  }, timeoutMs);
}

/** A kafkajs client for test producers/admin, quiet unless something breaks. */
export function testKafka(brokers: string[]): Kafka {
  return new Kafka({ clientId: uniqueName('test'), brokers, logLevel: logLevel.ERROR });
}

/** Creates topics (partitions given) and waits for their leaders. */
export async function createTopics(kafka: Kafka, topics: { topic: string; numPartitions: number }[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Polls `probe` until it returns true (or throws after `timeoutMs`); no fixed sleeps. */
export async function waitFor(probe: () => Promise<boolean> | boolean, timeoutMs = 60_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function countRows(client: ClickHouseClient, sql: string, params: Record<string, unknown> = {}): Promise<number> {
  const rs = await client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
  const [row] = await rs.json<Record<string, string | number>>();
  return Number(Object.values(row ?? { n: 0 })[0]);
}
