import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { createApiAccess } from '../../../api/auth/api-access.ts';
import { InMemoryTokenStore } from '../../../api/auth/in-memory-token-store.ts';
import { InMemoryAuditStore } from '../../../api/audit/in-memory-audit-store.ts';
import { startClusterReleases } from '../../../api/cli/cluster-releases.ts';
import { KafkaBreachPublisher } from '../../../engine/adapters/breach-publishers.ts';
import { ClickHouseRollbackStore } from '../../../engine/adapters/clickhouse-rollback-store.ts';
import { SliEngine } from '../../../engine/adapters/sli-engine.ts';
import { RollbackRequestSchema, type RollbackRequest } from '../../../engine/core/release/rollback-request.ts';
import { startKafkaIngest } from '../../../ingest/kafka/start-kafka-ingest.ts';
import { parseConfig } from '../../../platform/config/sluice-config.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { spanJson } from '../../support/span-fixtures.ts';
import { availabilitySloYaml, sloDirectory } from '../../support/slo-files.ts';
import { createTopics, kafkaIt, migratedDatabase, services, testKafka, uniqueName, waitFor } from '../../support/test-services.ts';
import { startWebhookReceiver } from '../../engine/adapters/support/webhook-receiver.ts';

const MIN = 60_000;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/**
 * The rollback path of a cluster on the real broker (docs/releases.md): spans and deploys
 * arrive on Kafka topics, an ingest worker writes them, the SLO judge publishes BREACHED, the
 * elected rollback watcher of `sluice api` (startClusterReleases) sees the fresh production
 * release burn during its bake period and sends **one** rollback request — to the rollback
 * topic and to a webhook receiver that refuses the first delivery (503) and takes the retry.
 */
describe('a bad release on the real broker: one rollback request', () => {
  let client: ClickHouseClient;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    ({ client } = await migratedDatabase('rollback'));
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await client?.close();
  });

  kafkaIt('bad release → BREACHED in the bake → one signed request at the webhook, exactly once although the first delivery fails', async (brokers) => {
    const kafka = testKafka(brokers);
    const topics = { spans: uniqueName('spans'), deploys: uniqueName('deploys'), breaches: uniqueName('breaches'), rollbacks: uniqueName('rollbacks') };
    await createTopics(kafka, Object.values(topics).map((topic) => ({ topic, numPartitions: 1 })));
    const producer = kafka.producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());

    const engine = await SliEngine.start({
      clickhouse: client, logger: silentLogger(), sloDir: sloDirectory({ 'shop.yaml': availabilitySloYaml('shop-availability', 'shop') }),
      allowedLatenessMs: 2_000, idleSourceMs: 1_000, publishers: [new KafkaBreachPublisher(producer, topics.breaches)], tickMs: 200,
    });
    cleanups.push(() => engine.stop());
    const ingest = await startKafkaIngest({
      brokers, clientId: uniqueName('w'), groupId: uniqueName('g'),
      routes: [{ topic: topics.spans, signal: 'spans', encoding: 'json' }, { topic: topics.deploys, signal: 'deploys', encoding: 'json' }],
      deadLetterTopic: `${topics.spans}.dlq`, clickhouse: client, logger: silentLogger(), batchMaxRows: 5_000, batchMaxDelayMs: 300,
      maxMessageBytes: 65_536, participants: [engine.participant], onHeartbeat: (owned) => engine.participant.heartbeat(owned),
    });
    cleanups.push(() => ingest.stop());

    const receiver = await startWebhookReceiver(SECRET, [503]);
    cleanups.push(receiver.close);
    const config = parseConfig([
      '--clickhouse-url', services().clickhouseUrl, '--kafka-client-id', uniqueName('api'), '--kafka-group-id', uniqueName('api'),
      '--topic-rollbacks', topics.rollbacks, '--rollback-webhook-urls', receiver.url, '--rollback-check-interval-ms', '500', '--rollback-bake-period-ms', String(15 * MIN),
    ], { SLUICE_ROLLBACK_WEBHOOK_SECRET: SECRET });
    const access = createApiAccess({ mode: 'required', tokenStore: new InMemoryTokenStore(), auditStore: new InMemoryAuditStore(), auditWriter: 'test', now: Date.now });
    const releases = await startClusterReleases({ config, clickhouse: client, logger: silentLogger(), brokers, access });
    cleanups.push(() => releases.stop());

    const now = Date.now();
    const send = (topic: string, values: object[]) => producer.send({ topic, messages: values.map((v) => ({ value: JSON.stringify(v) })) });
    const deploy = (id: string, version: string, finishedAtMs: number) => ({
      deployId: id, service: 'shop', environment: 'production', version, team: 'shop-team', commitSha: 'abcdef1234', commitTimeMs: finishedAtMs - 3_600_000,
      startedAtMs: finishedAtMs - 60_000, finishedAtMs, status: 'succeeded',
    });
    // 1.0.0 has served for an hour with a clean record; 2.0.0 finished deploying 5 minutes ago
    await send(topics.deploys, [deploy('d-1', '1.0.0', now - 60 * MIN), deploy('d-2', '2.0.0', now - 5 * MIN)]);
    await send(topics.spans, Array.from({ length: 3_000 }, (_, i) => spanJson(i, { service: 'shop', version: '1.0.0', startTimeMs: now - 37 * MIN + i * 600 })));
    // the new release fails every other request
    await send(topics.spans, Array.from({ length: 400 }, (_, i) => spanJson(10_000 + i, { service: 'shop', version: '2.0.0', error: i % 2 === 0, startTimeMs: now - 4 * MIN + i * 300 })));

    await waitFor(() => receiver.accepted.size === 1, 90_000, 'the rollback request at the webhook');
    const request = RollbackRequestSchema.parse(receiver.accepted.values().next().value) as RollbackRequest;
    expect(request).toMatchObject({
      service: 'shop', environment: 'production', version: '2.0.0', deployId: 'd-2', rollbackToVersion: '1.0.0', rollbackToDeployId: 'd-1',
      trigger: { kind: 'slo-breach', slo: 'shop-availability' }, dryRun: false,
    });
    expect(request.trigger.atMs).toBeGreaterThanOrEqual(now - 5 * MIN);
    expect(request.reason).toMatch(/shop 2\.0\.0 in production \(deploy d-2\): SLO shop-availability became BREACHED/);
    // two deliveries of one request: the refused one and the retry, both signed, one idempotency key
    expect(receiver.received.map((r) => [r.status, r.signatureValid])).toEqual([[503, true], [200, true]]);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([request.requestId]));

    // the delivery log and the request's state, as `rollbackRequests` reads them
    const store = new ClickHouseRollbackStore(client);
    await waitFor(async () => (await store.get(request.requestId))?.state === 'delivered', 20_000, 'state delivered');
    const log = await store.deliveries(request.requestId);
    const webhook = log.filter((a) => a.target.startsWith('http')).map((a) => [a.attempt, a.outcome, a.statusCode]);
    expect(webhook).toEqual([[1, 'retry', 503], [2, 'delivered', 200]]);
    expect(log.filter((a) => a.target === `kafka:${topics.rollbacks}`).map((a) => a.outcome)).toEqual(['delivered']);

    // on the rollback topic: exactly one message, the same request
    const consumer = kafka.consumer({ groupId: uniqueName('rollback-reader') });
    await consumer.connect();
    await consumer.subscribe({ topic: topics.rollbacks, fromBeginning: true });
    const onTopic: RollbackRequest[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void onTopic.push(JSON.parse(message.value!.toString())) });
    await waitFor(() => onTopic.length >= 1, 30_000, 'the request on the rollback topic');

    // more checks of the watcher (every 500 ms) and more of the burn change nothing: still one request
    await send(topics.spans, Array.from({ length: 200 }, (_, i) => spanJson(20_000 + i, { service: 'shop', version: '2.0.0', error: true, startTimeMs: Date.now() - 30_000 + i * 100 })));
    await new Promise((r) => setTimeout(r, 5_000));
    await consumer.disconnect();
    expect(onTopic).toEqual([request]);
    expect(receiver.received).toHaveLength(2);
    expect(receiver.accepted.size).toBe(1);
    expect((await store.list({ limit: 10 })).map((s) => s.request.requestId)).toEqual([request.requestId]);
  }, 180_000);
});
