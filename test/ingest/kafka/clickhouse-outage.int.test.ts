import { afterAll, describe, expect } from 'vitest';
import { connectClickHouse } from '../../../platform/clickhouse/clickhouse-connection.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openEmbeddedStore, type EmbeddedStore } from '../../../platform/clickhouse/embedded-store.ts';
import { migrate } from '../../../platform/clickhouse/migrations.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { startKafkaIngest } from '../../../ingest/kafka/start-kafka-ingest.ts';
import { spanJson } from '../../support/span-fixtures.ts';
import { countRows, createTopics, kafkaIt, testKafka, uniqueName, waitFor } from '../../support/test-services.ts';

const TOTAL = 6_000;

describe('ingest during a ClickHouse outage', () => {
  let store: EmbeddedStore | undefined;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-outage-'));
  afterAll(async () => {
    await store?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  kafkaIt('pauses and retries while the endpoint is unreachable; no row lost, none duplicated', async (brokers) => {
    // a dedicated embedded ClickHouse (in this test's own process) whose listener this test stops (its data stays)
    store = await openEmbeddedStore({ dataDir, port: 0 });
    const embedded = store.endpoint;
    const client = await connectClickHouse({ url: embedded.url, password: store.password, database: uniqueName('outage') });
    await migrate(client);

    const kafka = testKafka(brokers);
    const topic = uniqueName('spans_outage');
    await createTopics(kafka, [{ topic, numPartitions: 2 }]);

    const ingest = await startKafkaIngest({
      brokers, clientId: uniqueName('w'), groupId: uniqueName('g'),
      routes: [{ topic, signal: 'spans', encoding: 'json' }], deadLetterTopic: `${topic}.dlq`,
      clickhouse: client, logger: silentLogger(), batchMaxRows: 200, batchMaxDelayMs: 200, maxMessageBytes: 65_536,
    });

    const producer = kafka.producer();
    await producer.connect();
    // a steady stream over ~6 s; the listener goes away from ~2 s to ~6 s
    const produce = (async () => {
      for (let i = 0; i < TOTAL; i += 100) {
        await producer.send({ topic, messages: Array.from({ length: 100 }, (_, j) => ({ key: `k${j % 3}`, value: Buffer.from(JSON.stringify(spanJson(i + j))) })) });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await waitFor(async () => (await countRows(client, 'SELECT count() FROM spans_raw')) > 500, 60_000, 'first rows');
    await embedded.stopListening();
    const outageStarted = Date.now();
    await new Promise((r) => setTimeout(r, 4_000));
    const retriesDuringOutage = ingest.metrics.flushRetries;
    await embedded.resumeListening();
    console.log(`[outage] listener down ${Date.now() - outageStarted} ms; write retries during it: ${retriesDuringOutage}`);
    await produce;
    await producer.disconnect();

    await waitFor(async () => (await countRows(client, 'SELECT count() FROM spans_raw')) >= TOTAL, 90_000, 'all rows after the outage');
    await ingest.stop();
    expect(retriesDuringOutage).toBeGreaterThan(0);
    expect(await countRows(client, 'SELECT count() FROM spans_raw')).toBe(TOTAL);
    expect(await countRows(client, "SELECT uniqExact(attributes['seq']) FROM spans_raw")).toBe(TOTAL);
    expect(await countRows(client, 'SELECT count() FROM dead_letters')).toBe(0);
    await client.close();
  });
});
