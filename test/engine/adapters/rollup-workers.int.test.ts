import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { rollupTotals } from '../../../engine/adapters/clickhouse-rollup-loader.ts';
import { SliEngine } from '../../../engine/adapters/sli-engine.ts';
import { startKafkaIngest, type KafkaIngest } from '../../../ingest/kafka/start-kafka-ingest.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { spanJson } from '../../support/span-fixtures.ts';
import { availabilitySloYaml, sloDirectory } from '../../support/slo-files.ts';
import { createTopics, kafkaIt, migratedDatabase, testKafka, uniqueName, waitFor } from '../../support/test-services.ts';

const TOTAL = 8_000;

describe('rollups with several workers in one consumer group', () => {
  let client: ClickHouseClient;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    ({ client } = await migratedDatabase('workers'));
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await client?.close();
  });

  kafkaIt('give the same exact totals as one worker', async (brokers) => {
    const kafka = testKafka(brokers);
    const topic = uniqueName('spans_workers');
    await createTopics(kafka, [{ topic, numPartitions: 4 }]);
    const sloDir = sloDirectory({ 'w.yaml': availabilitySloYaml('w-availability', 'w') });
    const groupId = uniqueName('g');
    const workers: { engine: SliEngine; ingest: KafkaIngest }[] = [];
    for (let w = 0; w < 2; w++) {
      const engine = await SliEngine.start({ clickhouse: client, logger: silentLogger(), sloDir, allowedLatenessMs: 120_000 });
      const ingest = await startKafkaIngest({
        brokers, clientId: uniqueName(`w${w}`), groupId, routes: [{ topic, signal: 'spans', encoding: 'json' }], deadLetterTopic: `${topic}.dlq`,
        clickhouse: client, logger: silentLogger(), batchMaxRows: 500, batchMaxDelayMs: 200, maxMessageBytes: 65_536,
        participants: [engine.participant],
      });
      workers.push({ engine, ingest });
      cleanups.push(async () => {
        await ingest.stop();
        await engine.stop();
      });
    }

    const producer = kafka.producer();
    await producer.connect();
    let good = 0;
    const now = Date.now();
    for (let i = 0; i < TOTAL; i += 1_000) {
      await producer.send({
        topic,
        messages: Array.from({ length: 1_000 }, (_, j) => {
          const error = (i + j) % 40 === 0;
          if (!error) good++;
          return { key: `k${(i + j) % 13}`, value: JSON.stringify(spanJson(i + j, { service: 'w', error, startTimeMs: now - 600_000 + i + j })) };
        }),
      });
    }
    await producer.disconnect();

    await waitFor(async () => (await rollupTotals(client)).get('w-availability')?.total === TOTAL, 60_000, 'all counted');
    const consumedBy = workers.map((w) => w.ingest.worker.consumed);
    console.log(`[workers] messages consumed per worker: ${consumedBy.join(', ')}`);
    expect(consumedBy.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(TOTAL);
    expect((await rollupTotals(client)).get('w-availability')).toEqual({ good, total: TOTAL });

  });
});
