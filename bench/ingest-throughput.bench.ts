/**
 * Ingest throughput, side by side in one run on the same pre-filled topic:
 *   1. a no-op kafkajs consumer (eachBatch, counts messages, decodes nothing): the ceiling;
 *   2. sluice's pipeline: decode + zod validation + exact SLI counting + sampling +
 *      batched ClickHouse writes + offset commits after durability.
 *
 *   KAFKA_BROKERS=127.0.0.1:9092 npm run bench:ingest            (1,000,000 events)
 *   BENCH_EVENTS=200000 BENCH_BATCH_ROWS=5000 BENCH_SAMPLE_RATE=0.1 npm run bench:ingest
 *
 * ClickHouse is CLICKHOUSE_URL or an embedded chdb-wasm endpoint in this process (which
 * then shares the 2 cores with the pipeline). Prints figures; asserts nothing.
 */
import { availableParallelism } from 'node:os';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SliEngine } from '../engine/adapters/sli-engine.ts';
import { startKafkaIngest } from '../ingest/kafka/start-kafka-ingest.ts';
import { buildRowSampler } from '../ingest/sampling/row-sampler.ts';
import { createLogger } from '../platform/logging/logger.ts';
import { benchServices } from './bench-services.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const BATCH_ROWS = Number(process.env.BENCH_BATCH_ROWS ?? 1_000);
const SAMPLE_RATE = Number(process.env.BENCH_SAMPLE_RATE ?? 1);
const PARTITIONS = 4;

const { kafka, brokers, clickhouse, clickhouseMode, close } = await benchServices('ingest');
const topic = `bench-spans-${Date.now().toString(36)}`;
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
await admin.disconnect();

// pre-fill: small JSON spans (~330 bytes), 5 services, 1 % errors
console.log(`pre-filling ${topic} with ${EVENTS.toLocaleString('en')} span events…`);
const producer = kafka.producer();
await producer.connect();
const base = Date.now() - 3_600_000;
// random trace ids: the sampler reads the low 56 bits, which W3C trace ids keep random
const traceIds = randomBytes(16 * 2_000);
let produced = 0;
const fillStart = performance.now();
while (produced < EVENTS) {
  const n = Math.min(2_000, EVENTS - produced); // a record batch per partition must stay under the broker's 1 MB message.max.bytes
  const messages = Array.from({ length: n }, (_, j) => {
    const i = produced + j;
    const error = i % 100 === 0;
    return {
      key: `svc-${i % 5}`,
      value: JSON.stringify({
        service: `svc-${i % 5}`, environment: 'production', version: '1.0.0',
        traceId: traceIds.subarray((j % 2_000) * 16, (j % 2_000) * 16 + 16).toString('hex'), spanId: i.toString(16).padStart(16, '0'),
        operation: 'GET /items/{id}', route: '/items/{id}', kind: 'server', startTimeMs: base + Math.floor(i / 300),
        durationMs: 3 + (i % 97), status: error ? 'error' : 'ok', httpStatusCode: error ? 500 : 200,
      }),
    };
  });
  await producer.send({ topic, messages });
  produced += n;
  randomBytes(traceIds.length).copy(traceIds);
}
await producer.disconnect();
console.log(`pre-filled in ${((performance.now() - fillStart) / 1000).toFixed(1)} s\n`);

// 1. no-op kafkajs consumer
async function noopConsume(): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-noop-${Date.now()}`, maxBytesPerPartition: 4 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let count = 0;
  let startedAt = 0;
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        if (startedAt === 0) startedAt = performance.now();
        count += batch.messages.length;
        if (count >= EVENTS) resolve(performance.now() - startedAt);
      },
    });
  });
  const ms = await done;
  await consumer.disconnect();
  return ms;
}

// 2. sluice's pipeline (with the SLI engine counting every event for 5 availability SLOs)
async function sluicePipeline(): Promise<{ ms: number; written: number; flushes: number }> {
  const sloDir = mkdtempSync(join(tmpdir(), 'bench-slos-'));
  for (let s = 0; s < 5; s++) {
    writeFileSync(join(sloDir, `svc-${s}.yaml`), `apiVersion: sluice/v1\nkind: SLO\nmetadata: { name: svc-${s}-availability }\nspec:\n  service: svc-${s}\n  environment: production\n  tier: standard\n  indicator: { kind: availability }\n  objectives: [{ target: 0.99 }]\n  timeWindow: [{ duration: 28d, isRolling: true }]\n`);
  }
  const engine = await SliEngine.start({ clickhouse, logger: createLogger(process.env.LOG_LEVEL ?? 'silent'), sloDir, allowedLatenessMs: 120_000 });
  let startedAt = 0;
  const ingest = await startKafkaIngest({
    brokers, clientId: 'bench-sluice', groupId: `bench-sluice-${Date.now()}`,
    routes: [{ topic, signal: 'spans', encoding: 'json' }], deadLetterTopic: `${topic}.dlq`,
    clickhouse, logger: createLogger(process.env.LOG_LEVEL ?? 'silent'), batchMaxRows: BATCH_ROWS, batchMaxDelayMs: 1_000, maxMessageBytes: 1_048_576,
    sampler: buildRowSampler({ sampleRate: SAMPLE_RATE, sampleErrorRate: 1, sampleRates: {} }),
    participants: [engine.participant],
  });
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (startedAt === 0 && ingest.worker.consumed > 0) startedAt = performance.now();
      const m = ingest.metrics;
      if (m.accepted.spans >= EVENTS && ingest.pipeline.pendingRows === 0 && m.written.spans + (m.notStored.get('sampled_out') ?? 0) >= EVENTS) {
        clearInterval(poll);
        resolve();
      }
    }, 5);
  });
  const ms = performance.now() - startedAt;
  const { written, flushes } = { written: ingest.metrics.written.spans, flushes: ingest.metrics.flushes };
  await ingest.stop();
  await engine.stop();
  return { ms, written, flushes };
}

const noopMs = await noopConsume();
const sluice = await sluicePipeline();
const noopRate = EVENTS / (noopMs / 1000);
const sluiceRate = EVENTS / (sluice.ms / 1000);
console.log(`machine: ${availableParallelism()} cores, node ${process.version}; ClickHouse: ${clickhouseMode}`);
console.log(`events: ${EVENTS.toLocaleString('en')} on ${PARTITIONS} partitions; sluice batch ${BATCH_ROWS} rows, raw sample rate ${SAMPLE_RATE}\n`);
console.log('| consumer                          | seconds | events/s  |');
console.log('| --------------------------------- | ------- | --------- |');
console.log(`| no-op kafkajs (eachBatch, count)  | ${(noopMs / 1000).toFixed(2).padStart(7)} | ${Math.round(noopRate).toLocaleString('en').padStart(9)} |`);
console.log(`| sluice pipeline (decode, validate, | ${(sluice.ms / 1000).toFixed(2).padStart(7)} | ${Math.round(sluiceRate).toLocaleString('en').padStart(9)} |`);
console.log(`|   count SLIs, write, commit)       |         |           |`);
console.log(`\nsluice / no-op = ${(sluiceRate / noopRate).toFixed(3)}  (${sluice.written.toLocaleString('en')} raw rows written in ${sluice.flushes} flushes)`);
const totals = await (await clickhouse.query({ query: 'SELECT sum(total) AS total FROM sli_rollups', format: 'JSONEachRow' })).json<{ total: string }>();
console.log(`exact SLI total in sli_rollups: ${Number(totals[0]!.total).toLocaleString('en')} (expected ${EVENTS.toLocaleString('en')})`);
await close();
process.exit(0);
