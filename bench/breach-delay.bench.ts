/**
 * Engine-added breach delay: from the moment the deciding event is consumed and counted
 * (the last event counted before the evaluation that finds the breach) to the moment the
 * BREACHED transition has been published (ClickHouse row, Kafka breach topic and
 * in-process pub/sub all done). N services each get a clean baseline, then a bad release,
 * one after the other, through the real broker and the ingest pipeline.
 *
 *   KAFKA_BROKERS=127.0.0.1:9092 node bench/breach-delay.bench.ts     (BENCH_SERVICES=20)
 *
 * Prints the distribution; asserts nothing.
 */
import { availableParallelism } from 'node:os';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { KafkaBreachPublisher } from '../engine/adapters/breach-publishers.ts';
import type { PublishedTransition } from '../engine/adapters/breach-publisher.ts';
import { SliEngine } from '../engine/adapters/sli-engine.ts';
import { startKafkaIngest } from '../ingest/kafka/start-kafka-ingest.ts';
import { createLogger } from '../platform/logging/logger.ts';
import { benchServices, percentile } from './bench-services.ts';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 20);
const { kafka, brokers, clickhouse, clickhouseMode, close } = await benchServices('breach');
const topic = `bench-breach-${Date.now().toString(36)}`;
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: 1 }, { topic: `${topic}.breaches`, numPartitions: 1 }], waitForLeaders: true });
await admin.disconnect();

const sloDir = mkdtempSync(join(tmpdir(), 'bench-breach-'));
for (let s = 0; s < SERVICES; s++) {
  writeFileSync(join(sloDir, `s${s}.yaml`), `apiVersion: sluice/v1\nkind: SLO\nmetadata: { name: s${s}-availability }\nspec:\n  service: s${s}\n  environment: production\n  tier: critical\n  indicator: { kind: availability }\n  objectives: [{ target: 0.999 }]\n  timeWindow: [{ duration: 28d, isRolling: true }]\n  minEvents: 100\n`);
}
const producer = kafka.producer();
await producer.connect();
const engine = await SliEngine.start({
  clickhouse, logger: createLogger(process.env.LOG_LEVEL ?? 'silent'), sloDir, allowedLatenessMs: 120_000,
  publishers: [new KafkaBreachPublisher(producer, `${topic}.breaches`)],
});
const breaches: PublishedTransition[] = [];
engine.pubsub.subscribe('breachTransition', (t) => {
  if (t.to === 'BREACHED') breaches.push(t);
});
const ingest = await startKafkaIngest({
  brokers, clientId: 'bench-breach', groupId: `bench-breach-${Date.now()}`, routes: [{ topic, signal: 'spans', encoding: 'json' }],
  deadLetterTopic: `${topic}.dlq`, clickhouse, logger: createLogger(process.env.LOG_LEVEL ?? 'silent'), batchMaxRows: 1_000, batchMaxDelayMs: 1_000,
  maxMessageBytes: 1_048_576, participants: [engine.participant],
});

const span = (service: string, atMs: number, error: boolean) => ({
  value: JSON.stringify({
    service, traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), startTimeMs: atMs,
    durationMs: 12, status: error ? 'error' : 'ok', httpStatusCode: error ? 503 : 200, version: error ? '2.0.0' : '1.0.0',
  }),
});
const now = Date.now();
for (let s = 0; s < SERVICES; s++) {
  await producer.send({ topic, messages: Array.from({ length: 2_000 }, (_, i) => span(`s${s}`, now - 40 * 60_000 + i * 1_000, false)) });
}
await new Promise((r) => setTimeout(r, 3_000));
// bad releases, one service at a time, as a trickle of single messages (so each breach is
// decided by one identifiable event, not by a large batch)
for (let s = 0; s < SERVICES; s++) {
  const before = breaches.length;
  for (let i = 0; breaches.length === before && i < 500; i++) {
    await producer.send({ topic, messages: [span(`s${s}`, Date.now() - 1_000, true)] });
    await new Promise((r) => setTimeout(r, 20));
  }
}
await new Promise((r) => setTimeout(r, 1_000));
const delays = engine.monitor.publishDelaysMs.slice(-SERVICES);
console.log(`machine: ${availableParallelism()} cores, node ${process.version}; ClickHouse: ${clickhouseMode}`);
console.log(`BREACHED transitions: ${breaches.length} of ${SERVICES} services`);
console.log('engine-added delay, deciding event counted → transition published (ClickHouse + Kafka + pub/sub), ms:');
console.log(`  p50 ${percentile(delays, 50).toFixed(1)}  p90 ${percentile(delays, 90).toFixed(1)}  p99 ${percentile(delays, 99).toFixed(1)}  max ${Math.max(...delays).toFixed(1)}`);
await ingest.stop();
await engine.stop();
await producer.disconnect();
await close();
process.exit(0);
