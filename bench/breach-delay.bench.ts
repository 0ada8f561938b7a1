/**
 * Breach delay through the real broker and the ingest pipeline. N services each get a
 * clean baseline, then all of them a bad release at once (a trickle of failing requests).
 * Verdicts are made at whole-minute boundaries of event time, once the watermark (the
 * sources' newest event − allowed lateness) passes the boundary (docs/time-and-ownership.md),
 * so three delays are printed for each BREACHED transition:
 *  - judge: from the input that moved the watermark past the boundary M being applied to the
 *    transition being published everywhere (ClickHouse row, Kafka breach topic, in-process
 *    pub/sub) — what the engine itself adds;
 *  - boundary → published: M (event time) to publication (wall clock): allowed lateness,
 *    the ingest flush and the judge;
 *  - first failure → published: the first failing request's event time to publication: the
 *    burn-rate rules' own detection time (workbook ch. 5), the rest of its minute, and the above.
 *
 *   KAFKA_BROKERS=127.0.0.1:9092 node bench/breach-delay.bench.ts
 *   (BENCH_SERVICES=20, BENCH_LATENESS_MS=30000 — the default allowed lateness — BENCH_IDLE_MS=10000)
 *
 * Prints the distributions; asserts nothing.
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
const LATENESS_MS = Number(process.env.BENCH_LATENESS_MS ?? 30_000);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 10_000);
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
const logger = createLogger(process.env.LOG_LEVEL ?? 'silent');
const producer = kafka.producer();
await producer.connect();
const engine = await SliEngine.start({
  clickhouse, logger, sloDir, allowedLatenessMs: LATENESS_MS, idleSourceMs: IDLE_MS,
  publishers: [new KafkaBreachPublisher(producer, `${topic}.breaches`)],
});
const breaches: PublishedTransition[] = [];
engine.pubsub.subscribe('breachTransition', (t) => {
  if (t.to === 'BREACHED' && t.basis === 'event-time') breaches.push(t);
});
const ingest = await startKafkaIngest({
  brokers, clientId: 'bench-breach', groupId: `bench-breach-${Date.now()}`, routes: [{ topic, signal: 'spans', encoding: 'json' }],
  deadLetterTopic: `${topic}.dlq`, clickhouse, logger, batchMaxRows: 1_000, batchMaxDelayMs: 1_000,
  maxMessageBytes: 1_048_576, participants: [engine.participant], onHeartbeat: (owned) => engine.participant.heartbeat(owned),
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
// bad releases of every service at once: a trickle of single failing requests for 10 s
const firstFailureAtMs = Date.now();
for (let i = 0; i < 100; i++) {
  await producer.send({ topic, messages: Array.from({ length: SERVICES }, (_, s) => span(`s${s}`, Date.now() - 12, true)) });
  await new Promise((r) => setTimeout(r, 100));
}
const deadline = Date.now() + 3 * 60_000 + LATENESS_MS;
while (breaches.length < SERVICES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
await new Promise((r) => setTimeout(r, 1_000));
const judge = engine.judge.delays.processingMs.slice(-breaches.length);
const sinceBoundary = breaches.map((t) => t.publishedAtMs - t.atMs);
const sinceFirstFailure = breaches.map((t) => t.publishedAtMs - firstFailureAtMs);
const line = (values: number[]) => `p50 ${percentile(values, 50).toFixed(1)}  p90 ${percentile(values, 90).toFixed(1)}  p99 ${percentile(values, 99).toFixed(1)}  max ${Math.max(...values).toFixed(1)}`;
console.log(`machine: ${availableParallelism()} cores, node ${process.version}; ClickHouse: ${clickhouseMode}; allowed lateness ${LATENESS_MS} ms, idle source ${IDLE_MS} ms`);
console.log(`BREACHED transitions: ${breaches.length} of ${SERVICES} services`);
console.log(`judge, watermark past M → published (ClickHouse + Kafka + pub/sub), ms:  ${line(judge)}`);
console.log(`boundary M (event time) → published, ms:                               ${line(sinceBoundary)}`);
console.log(`first failure → published, ms:                                         ${line(sinceFirstFailure)}`);
await ingest.stop();
await engine.stop();
await producer.disconnect();
await close();
process.exit(0);
