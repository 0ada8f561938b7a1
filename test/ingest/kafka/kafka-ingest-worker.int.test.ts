import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { startKafkaIngest, type KafkaIngest } from '../../../ingest/kafka/start-kafka-ingest.ts';
import { spanJson } from '../../support/span-fixtures.ts';
import { countRows, createTopics, kafkaIt, migratedDatabase, testKafka, uniqueName, waitFor } from '../../support/test-services.ts';

const VALID = 9_950;
const MAX_MESSAGE_BYTES = 16_384;

/** 50 malformed messages, in five different ways (10 each). */
function malformed(i: number): { kind: string; value: Buffer } {
  const base = spanJson(i);
  switch (i % 5) {
    case 0:
      return { kind: 'bad JSON', value: Buffer.from(`{"service": "svc", "startTimeMs": ${i},`) };
    case 1:
      return { kind: 'wrong type', value: Buffer.from(JSON.stringify({ ...base, durationMs: 'slow' })) };
    case 2: {
      const { service: _omit, ...rest } = base;
      return { kind: 'missing service', value: Buffer.from(JSON.stringify(rest)) };
    }
    case 3:
      return { kind: 'oversized', value: Buffer.from(JSON.stringify({ ...base, padding: 'x'.repeat(MAX_MESSAGE_BYTES) })) };
    default:
      return { kind: 'not an object', value: Buffer.from(JSON.stringify([base])) };
  }
}

describe('Kafka ingest worker on the real broker', () => {
  let client: ClickHouseClient;
  const running: KafkaIngest[] = [];

  beforeAll(async () => {
    ({ client } = await migratedDatabase('ingest'));
  });
  afterAll(async () => {
    for (const r of running) await r.stop().catch(() => undefined);
    await client?.close();
  });

  async function start(brokers: string[], topic: string, groupId: string): Promise<KafkaIngest> {
    const ingest = await startKafkaIngest({
      brokers,
      clientId: uniqueName('worker'),
      groupId,
      routes: [{ topic, signal: 'spans', encoding: 'json' }],
      deadLetterTopic: `${topic}.dlq`,
      clickhouse: client,
      logger: silentLogger(),
      batchMaxRows: 1_000,
      batchMaxDelayMs: 1_000,
      maxMessageBytes: MAX_MESSAGE_BYTES,
    });
    running.push(ingest);
    return ingest;
  }

  kafkaIt('writes 9,950 valid spans and dead-letters 50 malformed ones with their reasons; a second run adds nothing', async (brokers) => {
    const kafka = testKafka(brokers);
    const topic = uniqueName('spans');
    await createTopics(kafka, [{ topic, numPartitions: 4 }, { topic: `${topic}.dlq`, numPartitions: 1 }]);

    const producer = kafka.producer();
    await producer.connect();
    // every 200th message (i = 100, 300, …, 9,900) is malformed: exactly 50, five kinds
    const messages: { key: string; value: Buffer }[] = [];
    for (let i = 0; i < VALID + 50; i++) {
      const value = i % 200 === 100 ? malformed(i / 200 | 0).value : Buffer.from(JSON.stringify(spanJson(i)));
      messages.push({ key: `k${i % 7}`, value });
    }
    for (let i = 0; i < messages.length; i += 1_000) await producer.send({ topic, messages: messages.slice(i, i + 1_000) });
    await producer.disconnect();

    const groupId = uniqueName('group');
    const startedAt = Date.now();
    const first = await start(brokers, topic, groupId);
    await waitFor(async () => (await countRows(client, 'SELECT count() FROM spans_raw WHERE source = {t:String}', { t: topic })) >= VALID
      && (await countRows(client, 'SELECT count() FROM dead_letters WHERE source = {t:String}', { t: topic })) >= 50, 90_000, 'all rows written');
    const elapsedMs = Date.now() - startedAt;
    console.log(`[ingest] 10,000 messages → ClickHouse in ${elapsedMs} ms: ${Math.round(10_000 / (elapsedMs / 1000))} events/s (including consumer-group join)`);
    await first.stop();
    running.pop();

    expect(await countRows(client, 'SELECT count() FROM spans_raw WHERE source = {t:String}', { t: topic })).toBe(VALID);
    expect(await countRows(client, 'SELECT uniqExact(attributes[\'seq\']) FROM spans_raw WHERE source = {t:String}', { t: topic })).toBe(VALID);
    const dead = await (await client.query({
      query: 'SELECT reason, count() AS n, any(detail) AS detail FROM dead_letters WHERE source = {t:String} GROUP BY reason ORDER BY reason',
      query_params: { t: topic },
      format: 'JSONEachRow',
    })).json<{ reason: string; n: string; detail: string }>();
    expect(dead.reduce((a, r) => a + Number(r.n), 0)).toBe(50);
    expect(dead.map((r) => r.reason)).toEqual(['invalid_json', 'not_an_object', 'oversized', 'schema_violation']);
    const details = (await (await client.query({
      query: `SELECT detail FROM dead_letters WHERE source = {t:String} AND reason = 'schema_violation'`,
      query_params: { t: topic },
      format: 'JSONEachRow',
    })).json<{ detail: string }>()).map((r) => r.detail);
    expect(details.some((d) => d.startsWith('durationMs:'))).toBe(true);
    expect(details.some((d) => d.startsWith('service:'))).toBe(true);
    expect(first.metrics.snapshot().deadLettered).toMatchObject({ invalid_json: expect.any(Number), oversized: expect.any(Number) });

    // second run of the consumer group from its committed offsets: nothing new
    const second = await start(brokers, topic, groupId);
    await new Promise((r) => setTimeout(r, 5_000));
    await second.stop();
    running.pop();
    expect(second.worker.consumed).toBe(0);
    expect(await countRows(client, 'SELECT count() FROM spans_raw WHERE source = {t:String}', { t: topic })).toBe(VALID);
    expect(await countRows(client, 'SELECT count() FROM dead_letters WHERE source = {t:String}', { t: topic })).toBe(50);

    // a new group replays the topic from offset 0 (as after a crash before any commit):
    // every position is already durable, so nothing is written twice
    const replay = await start(brokers, topic, uniqueName('replay'));
    await waitFor(() => replay.worker.consumed >= VALID + 50, 60_000, 'replay consumed');
    await replay.stop();
    running.pop();
    expect(replay.metrics.replaySkipped).toBe(VALID + 50);
    expect(await countRows(client, 'SELECT count() FROM spans_raw WHERE source = {t:String}', { t: topic })).toBe(VALID);
    expect(await countRows(client, 'SELECT count() FROM dead_letters WHERE source = {t:String}', { t: topic })).toBe(50);
  });
});
