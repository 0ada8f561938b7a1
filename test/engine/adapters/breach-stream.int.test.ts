import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { KafkaBreachPublisher } from '../../../engine/adapters/breach-publishers.ts';
import type { PublishedTransition } from '../../../engine/adapters/breach-publisher.ts';
import { SliEngine } from '../../../engine/adapters/sli-engine.ts';
import { startKafkaIngest, type KafkaIngest } from '../../../ingest/kafka/start-kafka-ingest.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { spanJson } from '../../support/span-fixtures.ts';
import { availabilitySloYaml, sloDirectory } from '../../support/slo-files.ts';
import { countRows, createTopics, kafkaIt, migratedDatabase, testKafka, uniqueName, waitFor } from '../../support/test-services.ts';

const MINUTE = 60_000;

describe('breach stream on the real broker', () => {
  let client: ClickHouseClient;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    ({ client } = await migratedDatabase('breach'));
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await client?.close();
  });

  /** An engine + ingest worker on a fresh single-partition topic; `clock.offsetMs` moves the engine's time. */
  async function pipelineFor(brokers: string[], slos: Record<string, string>) {
    const kafka = testKafka(brokers);
    const topic = uniqueName('spans');
    const breachTopic = uniqueName('breaches');
    await createTopics(kafka, [{ topic, numPartitions: 1 }, { topic: breachTopic, numPartitions: 1 }]);
    const producer = kafka.producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const clock = { offsetMs: 0 };
    const engine = await SliEngine.start({
      clickhouse: client, logger: silentLogger(), sloDir: sloDirectory(slos), allowedLatenessMs: 120_000,
      publishers: [new KafkaBreachPublisher(producer, breachTopic)], now: () => Date.now() + clock.offsetMs, idleEvaluationMs: 200,
    });
    cleanups.push(() => engine.stop());
    const transitions: PublishedTransition[] = [];
    engine.pubsub.subscribe('breachTransition', (t) => void transitions.push(t));
    const ingest: KafkaIngest = await startKafkaIngest({
      brokers, clientId: uniqueName('w'), groupId: uniqueName('g'), routes: [{ topic, signal: 'spans', encoding: 'json' }],
      deadLetterTopic: `${topic}.dlq`, clickhouse: client, logger: silentLogger(), batchMaxRows: 5_000, batchMaxDelayMs: 500,
      maxMessageBytes: 65_536, participants: [engine.participant],
    });
    cleanups.push(() => ingest.stop());
    const send = (values: object[]) => producer.send({ topic, messages: values.map((v) => ({ value: JSON.stringify(v) })) });
    return { engine, ingest, transitions, send, clock, breachTopic, kafka };
  }

  kafkaIt('a bad release after a clean baseline publishes BREACHED with the window values that caused it', async (brokers) => {
    const { engine, transitions, send, breachTopic, kafka } = await pipelineFor(brokers, { 'shop.yaml': availabilitySloYaml('shop-availability', 'shop') });
    const now = Date.now();
    // clean baseline: 3,000 requests from 37 to 7 minutes ago
    await send(Array.from({ length: 3_000 }, (_, i) => spanJson(i, { service: 'shop', startTimeMs: now - 37 * MINUTE + i * 600 })));
    await waitFor(() => transitions.some((t) => t.to === 'OK'), 30_000, 'OK after the baseline');
    expect(transitions.map((t) => t.to)).toEqual(['OK']);

    // bad release 2.0.0 four minutes ago: 400 requests, every other one a 503
    const releaseAt = now - 4 * MINUTE;
    await send(Array.from({ length: 400 }, (_, i) => spanJson(10_000 + i, { service: 'shop', version: '2.0.0', error: i % 2 === 0, startTimeMs: releaseAt + i * 300 })));
    await waitFor(() => transitions.some((t) => t.to === 'BREACHED'), 30_000, 'BREACHED');
    const breach = transitions.find((t) => t.to === 'BREACHED')!;
    expect(breach.from).toBe('OK');
    expect(breach.rule).toMatch(/^page-/);
    const [long, short] = breach.windows;
    // the long window (1h or 6h) holds every event, the short one (5m or 30m) only the release
    expect({ good: long!.good, total: long!.total }).toEqual({ good: 3_200, total: 3_400 });
    expect({ good: short!.good, total: short!.total }).toEqual({ good: 200, total: 400 });
    expect(long!.badRatio).toBeCloseTo(200 / 3_400, 10);
    expect(long!.burnRate).toBeCloseTo(200 / 3_400 / 0.001, 6);
    expect(long!.burnRate).toBeGreaterThanOrEqual(long!.thresholdBurnRate);
    expect(breach.budget.exhausted).toBe(true);

    // the same transition reached ClickHouse and the breach topic
    await waitFor(async () => (await countRows(client, "SELECT count() FROM slo_transitions WHERE slo = 'shop-availability' AND to_status = 'BREACHED'")) === 1, 10_000, 'transition row');
    const consumer = kafka.consumer({ groupId: uniqueName('breach-reader') });
    await consumer.connect();
    await consumer.subscribe({ topic: breachTopic, fromBeginning: true });
    const onTopic: PublishedTransition[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void onTopic.push(JSON.parse(message.value!.toString())) });
    await waitFor(() => onTopic.some((t) => t.to === 'BREACHED'), 30_000, 'transition on the breach topic');
    await consumer.disconnect();
    expect(onTopic.find((t) => t.to === 'BREACHED')!.transitionId).toBe(breach.transitionId);
    console.log(`[breach] engine-added delay, last counted event → transition published, ms: ${engine.monitor.publishDelaysMs.map((d) => d.toFixed(1)).join(', ')}`);
  });

  kafkaIt('a source that goes silent yields UNKNOWN with the reason, never BREACHED, and recovers when data returns', async (brokers) => {
    const { transitions, send, clock } = await pipelineFor(brokers, {
      'quiet.yaml': availabilitySloYaml('quiet-availability', 'quiet', { maxStaleness: '2m' }),
    });
    const now = Date.now();
    await send(Array.from({ length: 500 }, (_, i) => spanJson(i, { service: 'quiet', startTimeMs: now - 5 * MINUTE + i * 500 })));
    await waitFor(() => transitions.some((t) => t.to === 'OK'), 30_000, 'OK');

    // nothing arrives for ten minutes (the engine's clock moves; no event triggers it)
    clock.offsetMs = 10 * MINUTE;
    await waitFor(() => transitions.some((t) => t.to === 'UNKNOWN'), 10_000, 'UNKNOWN');
    const unknown = transitions.find((t) => t.to === 'UNKNOWN')!;
    expect(unknown.from).toBe('OK');
    expect(unknown.reason).toMatch(/quiet\/spans/);
    expect(unknown.freshness.fresh).toBe(false);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(transitions.map((t) => t.to)).not.toContain('BREACHED');

    // data returns: re-evaluated and OK again
    await send(Array.from({ length: 200 }, (_, i) => spanJson(1_000 + i, { service: 'quiet', startTimeMs: Date.now() + clock.offsetMs - 60_000 + i * 100 })));
    await waitFor(() => transitions.at(-1)!.to === 'OK', 30_000, 'OK after data returned');
    expect(transitions.map((t) => t.to)).toEqual(['OK', 'UNKNOWN', 'OK']);
  });
});
