import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { mulberry32 } from '../../../platform/random/mulberry32.ts';
import { spanJson } from '../../support/span-fixtures.ts';
import { availabilitySloYaml, sloDirectory } from '../../support/slo-files.ts';
import { countRows, createTopics, kafkaIt, migratedDatabase, services, testKafka, uniqueName, waitFor } from '../../support/test-services.ts';

/**
 * Exactly-once under rebalances, for real (issue "Durable, native embedded ClickHouse",
 * item 5): three `sluice ingest` processes share one 300k-event stream while they are
 * started, stopped (SIGTERM) and killed (SIGKILL) at random moments from a seeded schedule;
 * afterwards the rollup totals and the distinct raw rows equal exactly what was produced,
 * for every seed. Every seed kills a worker at least once (the first action once rows are
 * landing), so a fast drain cannot leave a seed without a crash. Before the progress log, a flush in flight on a partition's old owner
 * could land after its new owner had read what was durable (200 rows for 100 messages).
 *
 * SLUICE_CHAOS_SEEDS (default 5) and SLUICE_CHAOS_EVENTS (default 300000) size it.
 */

const SEEDS = Number(process.env.SLUICE_CHAOS_SEEDS ?? 5);
/** First seed run (SLUICE_CHAOS_FIRST_SEED): replays one seed's schedule alone. */
const FIRST_SEED = Number(process.env.SLUICE_CHAOS_FIRST_SEED ?? 1);
const EVENTS = Number(process.env.SLUICE_CHAOS_EVENTS ?? 300_000);
const PARTITIONS = 6;
const MAX_WORKERS = 3;
/** Most start / stop / kill actions per seed. */
const MAX_ACTIONS = 30;
const CLI = fileURLToPath(new URL('../../../bin/sluice.ts', import.meta.url));

describe('three ingest workers started, stopped and killed at random', () => {
  let client: ClickHouseClient;
  let database: string;
  const children = new Set<ChildProcess>();
  beforeAll(async () => {
    ({ client, database } = await migratedDatabase('chaos'));
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await client?.close();
  });

  for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
    kafkaIt(`seed ${seed}: rollup totals and distinct raw rows equal the ${EVENTS} events produced, exactly`, async (brokers) => {
      const rand = mulberry32(seed);
      const kafka = testKafka(brokers);
      const topic = uniqueName(`spans_chaos${seed}`);
      await createTopics(kafka, [{ topic, numPartitions: PARTITIONS }]);
      const service = `chaos${seed}`;

      const producer = kafka.producer();
      await producer.connect();
      const now = Date.now();
      let good = 0;
      for (let i = 0; i < EVENTS; i += 5_000) {
        await producer.send({
          topic,
          messages: Array.from({ length: Math.min(5_000, EVENTS - i) }, (_, j) => {
            const n = i + j;
            const error = n % 25 === 0;
            if (!error) good++;
            return { key: `k${n % 97}`, value: JSON.stringify(spanJson(n, { service, error, startTimeMs: now - 3_600_000 + Math.floor(n / 100) })) };
          }),
        });
      }
      await producer.disconnect();

      const env = {
        KAFKA_BROKERS: brokers.join(','),
        CLICKHOUSE_URL: services().clickhouseUrl,
        CLICKHOUSE_PASSWORD: services().clickhousePassword,
        CLICKHOUSE_DATABASE: database,
        KAFKA_GROUP_ID: uniqueName(`g${seed}`),
        KAFKA_SESSION_TIMEOUT_MS: '6000',
        SLUICE_TOPIC_SPANS: topic,
        SLUICE_TOPIC_BREACHES: `${topic}.breaches`,
        SLUICE_TOPIC_DEADLETTER: `${topic}.dlq`,
        SLUICE_TOPIC_SLI_DELTAS: `${topic}.deltas`,
        SLUICE_SLO_DIR: sloDirectory({ 'chaos.yaml': availabilitySloYaml(`${service}-availability`, service) }),
        SLUICE_HTTP_PORT: '0',
        SLUICE_BATCH_MAX_ROWS: '2000',
        SLUICE_BATCH_MAX_DELAY_MS: '200',
        LOG_LEVEL: 'warn',
      };
      const running: ChildProcess[] = [];
      const start = () => {
        const child = spawn(process.execPath, [CLI, 'ingest'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr!.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-4_000)));
        child.on('exit', (code, signal) => {
          children.delete(child);
          const i = running.indexOf(child);
          if (i >= 0) running.splice(i, 1);
          if (code !== 0 && signal !== 'SIGKILL' && signal !== 'SIGTERM') console.error(`[chaos] worker exited with code ${code}, signal ${signal}: ${stderr}`);
        });
        children.add(child);
        running.push(child);
      };
      const stop = async (child: ChildProcess, signal: 'SIGTERM' | 'SIGKILL') => {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill(signal);
        await exited;
      };
      const durable = () => countRows(client, 'SELECT count() FROM spans_raw WHERE source = {t:String}', { t: topic });

      // the schedule: random actions every 1.5–6 s (a worker takes a few seconds to start and
      // join; faster churn only keeps the group rebalancing) until everything is durable or
      // MAX_ACTIONS were taken; then the workers left finish the stream
      const actions: string[] = [];
      start();
      for (let step = 0; actions.length < MAX_ACTIONS; step++) {
        await new Promise((r) => setTimeout(r, 1_500 + rand() * 4_500));
        const stored = await durable();
        if (stored >= EVENTS) break;
        const roll = rand();
        if (!actions.includes('kill -9') && (stored > 0 || step >= 3) && running.length > 0) {
          // every seed kills a worker at least once, mid-stream as soon as rows are landing
          await stop(running[Math.floor(rand() * running.length)]!, 'SIGKILL');
          actions.push('kill -9');
        } else if (running.length < MAX_WORKERS && (roll < 0.45 || running.length === 0)) {
          start();
          actions.push('start');
        } else if (running.length > 0 && roll < 0.7) {
          await stop(running[Math.floor(rand() * running.length)]!, 'SIGTERM');
          actions.push('stop');
        } else if (running.length > 0) {
          await stop(running[Math.floor(rand() * running.length)]!, 'SIGKILL');
          actions.push('kill -9');
        }
        if (running.length === 0) start();
      }
      while (running.length < 1) start();
      await waitFor(async () => (await durable()) >= EVENTS, 300_000, 'every event durable');
      await new Promise((r) => setTimeout(r, 2_000)); // anything more would be a double count
      for (const child of [...running]) await stop(child, 'SIGTERM');

      const totals = await client.query({
        query: 'SELECT sum(good) AS good, sum(total) AS total FROM sli_rollups WHERE source = {t:String}',
        query_params: { t: topic },
        format: 'JSONEachRow',
      });
      const [rollup] = await totals.json<{ good: string; total: string }>();
      const kills = actions.filter((a) => a === 'kill -9').length;
      console.log(`[chaos] seed ${seed}: ${actions.length} actions (${actions.filter((a) => a === 'start').length} starts, ${actions.filter((a) => a === 'stop').length} stops, ${kills} kill -9)`);
      expect(kills).toBeGreaterThanOrEqual(1);
      expect({ good: Number(rollup!.good), total: Number(rollup!.total) }).toEqual({ good, total: EVENTS });
      expect(await durable()).toBe(EVENTS);
      expect(await countRows(client, "SELECT uniqExact(attributes['seq']) FROM spans_raw WHERE source = {t:String}", { t: topic })).toBe(EVENTS);
    }, 900_000);
  }
});
