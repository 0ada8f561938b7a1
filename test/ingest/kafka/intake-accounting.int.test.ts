import { describe, expect } from 'vitest';
import { startKafkaIngest } from '../../../ingest/kafka/start-kafka-ingest.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { spanJson } from '../../support/span-fixtures.ts';
import { countRows, createTopics, kafkaIt, migratedDatabase, testKafka, uniqueName, waitFor } from '../../support/test-services.ts';

/**
 * Every input accounted for (issue "Intake that nothing stops", items 4 and 6): a topic
 * deleted and recreated is ingested again from its start (its offsets restarted at 0; the
 * old progress would have skipped them all), and tombstones and bad messages reach the
 * dead-letter topic with their reason and the original key and headers.
 */
describe('intake accounting on the real broker', () => {
  kafkaIt('ingests a recreated topic from its start instead of skipping below the old offsets, and counts the reset', async (brokers) => {
    const { client } = await migratedDatabase('recreated');
    const kafka = testKafka(brokers);
    const topic = uniqueName('spans_recreated');
    const groupId = uniqueName('g');
    const run = async (from: number, count: number) => {
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ value: JSON.stringify(spanJson(from + i)) })) });
      await producer.disconnect();
      const ingest = await startKafkaIngest({
        brokers, clientId: uniqueName('w'), groupId, routes: [{ topic, signal: 'spans', encoding: 'json' }], deadLetterTopic: `${topic}.dlq`,
        clickhouse: client, logger: silentLogger(), batchMaxRows: 500, batchMaxDelayMs: 100, maxMessageBytes: 65_536,
      });
      await waitFor(async () => (await countRows(client, 'SELECT count() FROM spans_raw')) >= from + count, 60_000, `${from + count} rows`);
      await ingest.stop();
      return ingest.metrics;
    };
    await createTopics(kafka, [{ topic, numPartitions: 1 }]);
    await run(0, 1_000);
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] });
    await waitFor(async () => !(await admin.listTopics()).includes(topic), 30_000, 'topic deleted');
    await admin.disconnect();
    await createTopics(kafka, [{ topic, numPartitions: 1 }]);
    const metrics = await run(1_000, 400); // offsets 0–399 again, below the old 999
    expect(await countRows(client, 'SELECT count() FROM spans_raw')).toBe(1_400);
    expect(await countRows(client, "SELECT uniqExact(attributes['seq']) FROM spans_raw")).toBe(1_400);
    expect(metrics.progressResets).toBe(1);
    expect(metrics.replaySkipped).toBe(0);
    await client.close();
  });

  kafkaIt('dead-letters tombstones and bad messages with their reason, keeping the original key and headers on the dead-letter topic', async (brokers) => {
    const { client } = await migratedDatabase('tombstones');
    const kafka = testKafka(brokers);
    const topic = uniqueName('spans_tomb');
    const dlq = `${topic}.dlq`;
    await createTopics(kafka, [{ topic, numPartitions: 1 }, { topic: dlq, numPartitions: 1 }]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: 'deleted-key', value: null, headers: { origin: 'compaction' } },
        { key: 'bad-key', value: '{"not": json', headers: { 'trace-context': 'abc' } },
        { value: '' },
        { value: JSON.stringify(spanJson(1)) },
      ],
    });
    await producer.disconnect();
    const ingest = await startKafkaIngest({
      brokers, clientId: uniqueName('w'), groupId: uniqueName('g'), routes: [{ topic, signal: 'spans', encoding: 'json' }], deadLetterTopic: dlq,
      clickhouse: client, logger: silentLogger(), batchMaxRows: 100, batchMaxDelayMs: 100, maxMessageBytes: 65_536,
    });
    await waitFor(async () => (await countRows(client, 'SELECT count() FROM dead_letters')) >= 3, 60_000, 'dead letters');
    await ingest.stop();
    const rs = await client.query({ query: 'SELECT reason FROM dead_letters ORDER BY source_offset', format: 'JSONEachRow' });
    expect((await rs.json<{ reason: string }>()).map((r) => r.reason)).toEqual(['tombstone', 'invalid_json', 'empty_message']);
    expect(await countRows(client, 'SELECT count() FROM spans_raw')).toBe(1);

    const letters: { key: string | null; headers: Record<string, string> }[] = [];
    const consumer = kafka.consumer({ groupId: uniqueName('read-dlq') });
    await consumer.connect();
    await consumer.subscribe({ topic: dlq, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        letters.push({ key: message.key?.toString() ?? null, headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])) });
      },
    });
    await waitFor(() => letters.length >= 3, 30_000, 'letters on the dead-letter topic');
    await consumer.disconnect();
    expect(letters[0]).toMatchObject({ key: 'deleted-key', headers: { origin: 'compaction', 'sluice-reason': 'tombstone' } });
    expect(letters[1]).toMatchObject({ key: 'bad-key', headers: { 'trace-context': 'abc', 'sluice-reason': 'invalid_json' } });
    expect(letters[2]).toMatchObject({ key: null, headers: { 'sluice-reason': 'empty_message' } });
    await client.close();
  });
});
