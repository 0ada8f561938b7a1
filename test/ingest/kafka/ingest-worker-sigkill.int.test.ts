import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { rollupTotals } from '../../../engine/adapters/clickhouse-rollup-loader.ts';
import { spanJson } from '../../support/span-fixtures.ts';
import { availabilitySloYaml, sloDirectory } from '../../support/slo-files.ts';
import { countRows, createTopics, kafkaIt, migratedDatabase, services, testKafka, uniqueName, waitFor } from '../../support/test-services.ts';

const TOTAL = 20_000;
const CLI = fileURLToPath(new URL('../../../bin/sluice.ts', import.meta.url));

describe('`sluice ingest` killed with SIGKILL mid-stream', () => {
  let client: ClickHouseClient;
  let database: string;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    ({ client, database } = await migratedDatabase('sigkill'));
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await client?.close();
  });

  function startWorker(env: Record<string, string>): ChildProcess {
    const child = spawn(process.execPath, [CLI, 'ingest'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-4_000)));
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal !== 'SIGKILL' && signal !== 'SIGTERM') console.error(`[sigkill] worker exited ${code}: ${stderr}`);
    });
    children.push(child);
    return child;
  }

  kafkaIt('restarts from committed offsets; rollup totals and raw rows equal exactly what was produced', async (brokers) => {
    const kafka = testKafka(brokers);
    const topic = uniqueName('spans_kill');
    await createTopics(kafka, [{ topic, numPartitions: 2 }]);

    // 20,000 requests of service `kill`, every 20th one a 503
    const producer = kafka.producer();
    await producer.connect();
    const now = Date.now();
    let expectedGood = 0;
    for (let i = 0; i < TOTAL; i += 1_000) {
      await producer.send({
        topic,
        messages: Array.from({ length: 1_000 }, (_, j) => {
          const n = i + j;
          const error = n % 20 === 0;
          if (!error) expectedGood++;
          return { key: `k${n % 11}`, value: JSON.stringify(spanJson(n, { service: 'kill', error, startTimeMs: now - 30 * 60_000 + Math.floor(n / 20) })) };
        }),
      });
    }
    await producer.disconnect();

    const env = {
      KAFKA_BROKERS: brokers.join(','),
      CLICKHOUSE_URL: services().clickhouseUrl,
      CLICKHOUSE_PASSWORD: services().clickhousePassword,
      CLICKHOUSE_DATABASE: database,
      KAFKA_GROUP_ID: uniqueName('g'),
      SLUICE_TOPIC_SPANS: topic,
      SLUICE_TOPIC_BREACHES: `${topic}.breaches`,
      SLUICE_TOPIC_DEADLETTER: `${topic}.dlq`,
      SLUICE_SLO_DIR: sloDirectory({ 'kill.yaml': availabilitySloYaml('kill-availability', 'kill') }),
      // small batches, so the kill lands between written and committed batches
      SLUICE_BATCH_MAX_ROWS: '200',
      SLUICE_BATCH_MAX_DELAY_MS: '200',
      LOG_LEVEL: 'warn',
    };
    const first = startWorker(env);
    await waitFor(async () => ((await rollupTotals(client)).get('kill-availability')?.total ?? 0) >= 2_000, 90_000, 'first worker counted some');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const atKill = (await rollupTotals(client)).get('kill-availability')!;
    console.log(`[sigkill] killed after ${atKill.total} of ${TOTAL} events were durable`);
    expect(atKill.total).toBeLessThan(TOTAL);

    const second = startWorker(env);
    await waitFor(async () => (await rollupTotals(client)).get('kill-availability')?.total === TOTAL, 90_000, 'restarted worker caught up');
    await new Promise((r) => setTimeout(r, 2_000)); // anything more would be a double count
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));

    expect((await rollupTotals(client)).get('kill-availability')).toEqual({ good: expectedGood, total: TOTAL });
    expect(await countRows(client, 'SELECT count() FROM spans_raw WHERE source = {t:String}', { t: topic })).toBe(TOTAL);
    expect(await countRows(client, "SELECT uniqExact(attributes['seq']) FROM spans_raw WHERE source = {t:String}", { t: topic })).toBe(TOTAL);
  }, 240_000);
});
