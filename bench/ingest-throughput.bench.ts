/**
 * Ingest throughput, side by side in one run on the same pre-filled topic (JSON span
 * events, ~330 bytes, 5 services, 1 % errors, random trace ids):
 *   (a) no-op kafkajs: a consumer that counts messages in eachBatch — the drain ceiling;
 *   (b) decode only: kafkajs + sluice's decoder (strict UTF-8, JSON, zod contract) + the
 *       raw-row sampler + the row mapping (SIGNAL_TABLES.toRow), no writes — the CPU ceiling
 *       of the per-event work;
 *   (c) pipeline without store: the real KafkaIngestWorker and IngestPipeline (claims,
 *       segments, SLI counting, flush machinery) over a writer that drops rows and an
 *       in-memory progress log — what the pipeline costs besides the store;
 *   (d) full pipeline: `startKafkaIngest` as `sluice ingest` runs it — claims and the progress
 *       log in ClickHouse, the SLI engine's participant counting every event for 5 SLOs,
 *       every raw row written (sample rate 1 unless BENCH_SAMPLE_RATE), offsets committed
 *       after `done`.
 * Per row: events/s, ratio to (a) and to (b), process CPU-seconds (process.cpuUsage:
 * every thread, chDB's included), seconds its threads waited for a core (run-queue wait
 * from /proc: on a machine shared with other busy processes the wall-clock rates fall, the
 * CPU-seconds do not), events per CPU-second, peak RSS (sampled every 200 ms), and for
 * (c)/(d) the flush latency p50/p90/p99 (ms from taking a batch's segments to their being
 * durable).
 *
 *   KAFKA_BROKERS=127.0.0.1:9092 npm run bench:ingest                     (1,000,000 events)
 *   BENCH_EVENTS=300000 BENCH_BATCH_ROWS=1000 npm run bench:ingest
 *   BENCH_EVENTS=10000000 BENCH_ONLY=d npm run bench:ingest               (peak RSS on a long run)
 *   BENCH_CPU_PROFILE=/tmp/prof npm run bench:ingest                      (a V8 CPU profile of each row)
 *
 * Options: BENCH_EVENTS (1,000,000), BENCH_BATCH_ROWS (10,000: SLUICE_BATCH_MAX_ROWS of the
 * pipeline), BENCH_PARTITIONS (4), BENCH_SAMPLE_RATE (1), BENCH_ONLY (letters of the rows
 * to run, e.g. `ad`), BENCH_TOPIC (a topic an earlier run filled, printed by it: read it
 * again instead of filling a new one). ClickHouse is CLICKHOUSE_URL or the embedded native
 * engine on a temporary data directory in this process (sharing the cores with the
 * pipeline, as in `sluice start`). Prints figures; asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { SliEngine } from '../engine/adapters/sli-engine.ts';
import { createDecoder } from '../ingest/decode/decoder-registry.ts';
import { KafkaIngestWorker } from '../ingest/kafka/kafka-ingest-worker.ts';
import { startKafkaIngest } from '../ingest/kafka/start-kafka-ingest.ts';
import { IngestMetrics, type LatencyHistogram } from '../ingest/pipeline/ingest-metrics.ts';
import { IngestPipeline } from '../ingest/pipeline/ingest-pipeline.ts';
import { progressVersion, type ProgressRow, type ProgressStore } from '../ingest/pipeline/partition-progress.ts';
import { partitionKey } from '../ingest/pipeline/source-position.ts';
import { buildRowSampler } from '../ingest/sampling/row-sampler.ts';
import { SIGNAL_TABLES } from '../ingest/sink/signal-rows.ts';
import { createLogger } from '../platform/logging/logger.ts';
import { benchServices } from './bench-services.ts';

process.env.UV_THREADPOOL_SIZE ??= '32'; // as bin/sluice.ts; libuv reads it at its first use, after the imports
let EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const BATCH_ROWS = Number(process.env.BENCH_BATCH_ROWS ?? 10_000);
const SAMPLE_RATE = Number(process.env.BENCH_SAMPLE_RATE ?? 1);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 4);
const ONLY = process.env.BENCH_ONLY ?? 'abcd';
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE;
const logger = createLogger(process.env.LOG_LEVEL ?? 'silent');
const sampler = buildRowSampler({ sampleRate: SAMPLE_RATE, sampleErrorRate: 1, sampleRates: {} });

const { kafka, brokers, clickhouse, clickhouseMode, close } = await benchServices('ingest');
const admin = kafka.admin();
await admin.connect();
/** BENCH_TOPIC: a topic pre-filled by an earlier run (its name is printed), read again instead of filling a new one. */
const topic = process.env.BENCH_TOPIC ?? `bench-spans-${Date.now().toString(36)}`;
let partitions = PARTITIONS;
if (process.env.BENCH_TOPIC) {
  const ends = await admin.fetchTopicOffsets(topic);
  partitions = ends.length;
  EVENTS = ends.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  console.log(`reading ${topic} again: ${EVENTS.toLocaleString('en')} events on ${partitions} partitions\n`);
} else {
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  console.log(`pre-filling ${topic} with ${EVENTS.toLocaleString('en')} span events…`);
  const fillStart = performance.now();
  await prefill(kafka, topic, EVENTS);
  console.log(`pre-filled in ${((performance.now() - fillStart) / 1000).toFixed(1)} s (BENCH_TOPIC=${topic} reads it again)\n`);
}
await admin.disconnect();

/** Produces `count` JSON spans; record batches stay under the broker's 1 MB message.max.bytes. */
async function prefill(k: Kafka, into: string, count: number): Promise<void> {
  const producer = k.producer();
  await producer.connect();
  const base = Date.now() - 3_600_000;
  // random trace ids: the sampler reads the low 56 bits, which W3C trace ids keep random
  const traceIds = randomBytes(16 * 2_000);
  const sends: Promise<unknown>[] = [];
  for (let produced = 0; produced < count; ) {
    const n = Math.min(2_000, count - produced);
    const messages = Array.from({ length: n }, (_, j) => {
      const i = produced + j;
      const error = i % 100 === 0;
      return {
        key: `svc-${i % 5}`,
        value: JSON.stringify({
          service: `svc-${i % 5}`, environment: 'production', version: '1.0.0',
          traceId: traceIds.subarray(j * 16, j * 16 + 16).toString('hex'), spanId: i.toString(16).padStart(16, '0'),
          operation: 'GET /items/{id}', route: '/items/{id}', kind: 'server', startTimeMs: base + Math.floor((i * 3_600_000) / count),
          durationMs: 3 + (i % 97), status: error ? 'error' : 'ok', httpStatusCode: error ? 500 : 200,
        }),
      };
    });
    sends.push(producer.send({ topic: into, messages }));
    if (sends.length >= 8) await Promise.all(sends.splice(0));
    produced += n;
    randomBytes(traceIds.length).copy(traceIds);
  }
  await Promise.all(sends);
  await producer.disconnect();
}

interface Measured extends RunResult {
  ms: number;
  cpuSeconds: number;
  /** Time this process's threads were runnable but waited for a core (other processes' load), s; Linux only. */
  cpuWaitSeconds: number | undefined;
  /** CPU time of the JS thread alone, s; Linux only. */
  mainCpuSeconds: number | undefined;
  peakRssBytes: number;
  flushes?: LatencyHistogram;
  note?: string;
}

/**
 * From /proc/self/task/<tid>/schedstat (ns on a core, ns runnable but waiting for one),
 * accumulated from samples: the JS thread's own CPU time (the one thread every event goes
 * through), and how long this process's threads waited for a core — a machine shared with
 * other busy processes shows there, not in CPU-seconds. Threads that come and go between
 * two samples are missed: lower bounds. Linux only.
 */
class ThreadTimes {
  private readonly last = new Map<string, [number, number]>();
  mainRunNs = 0;
  waitedNs = 0;
  supported = true;

  sample(): void {
    if (!this.supported) return;
    try {
      for (const tid of readdirSync('/proc/self/task')) {
        let fields: string[];
        try {
          fields = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ');
        } catch {
          continue; // the thread ended
        }
        const now: [number, number] = [Number(fields[0]), Number(fields[1])];
        const before = this.last.get(tid);
        if (before) {
          this.waitedNs += now[1] - before[1];
          if (tid === String(process.pid)) this.mainRunNs += now[0] - before[0];
        }
        this.last.set(tid, now);
      }
    } catch {
      this.supported = false;
    }
  }
}

/** Runs `body` (which resolves with its own measured wall time), sampling RSS and thread times every 200 ms and CPU around it. */
async function measure(body: () => Promise<RunResult>): Promise<Measured> {
  let peakRssBytes = process.memoryUsage().rss;
  const threads = new ThreadTimes();
  threads.sample();
  const sampling = setInterval(() => {
    peakRssBytes = Math.max(peakRssBytes, process.memoryUsage().rss);
    threads.sample();
  }, 200);
  const cpu = process.cpuUsage();
  try {
    const r = await body();
    const used = process.cpuUsage(cpu);
    threads.sample();
    return {
      ...r,
      cpuSeconds: (used.user + used.system) / 1e6,
      cpuWaitSeconds: threads.supported ? threads.waitedNs / 1e9 : undefined,
      mainCpuSeconds: threads.supported ? threads.mainRunNs / 1e9 : undefined,
      peakRssBytes: Math.max(peakRssBytes, process.memoryUsage().rss),
    };
  } finally {
    clearInterval(sampling);
  }
}

/** Consumes the topic with a fresh group, handing each batch to `each`, until EVENTS messages were seen. */
async function consumeAll(each: (messages: { value: Buffer | null }[]) => void): Promise<{ ms: number }> {
  const consumer = kafka.consumer({ groupId: `bench-${Date.now()}-${Math.random()}`, maxBytesPerPartition: 4 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let count = 0;
  let startedAt = 0;
  const ms = await new Promise<number>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        if (startedAt === 0) startedAt = performance.now();
        each(batch.messages);
        count += batch.messages.length;
        if (count >= EVENTS) resolve(performance.now() - startedAt);
      },
    });
  });
  await consumer.disconnect();
  return { ms };
}

// (a) the drain ceiling
const noop = () => consumeAll(() => undefined);

// (b) the per-event CPU work, no writes
function decodeOnly() {
  const decoder = createDecoder('spans', 'json', 1_048_576);
  const position = { source: topic, partition: 0, offset: 0 };
  let rows = 0;
  return consumeAll((messages) => {
    const now = Date.now();
    for (const m of messages) {
      for (const item of decoder.decode(m.value!)) {
        if (!item.ok || item.value.signal !== 'spans') throw new Error('bench input did not decode');
        const decision = sampler(item.value);
        if (decision.keep && SIGNAL_TABLES.spans.toRow(item.value.event, position, decision.weight, now)) rows++;
      }
    }
  }).then((r) => ({ ...r, note: `${rows.toLocaleString('en')} rows mapped` }));
}

/** A progress log that keeps only what the protocol reads (latest rows, rows after a version) in memory. */
class MemoryProgress implements ProgressStore {
  private readonly rows = new Map<string, ProgressRow[]>();
  async latest(keys: readonly { source: string; partition: number }[]) {
    const out = new Map<string, ProgressRow>();
    for (const k of keys) {
      const row = this.rows.get(partitionKey(k.source, k.partition))?.at(-1);
      if (row) out.set(partitionKey(k.source, k.partition), row);
    }
    return out;
  }
  async rowsAfter(source: string, partition: number, afterVersion: number) {
    return (this.rows.get(partitionKey(source, partition)) ?? []).filter((r) => progressVersion(r) > afterVersion);
  }
  async write(rows: readonly ProgressRow[]) {
    for (const r of rows) {
      const list = this.rows.get(partitionKey(r.source, r.partition)) ?? [];
      list.push(r);
      if (list.length > 16) list.splice(0, list.length - 16);
      this.rows.set(partitionKey(r.source, r.partition), list);
    }
  }
}

/** Counts every valid event for 5 availability SLOs (one per service), as `sluice ingest` would. */
async function sliEngine(): Promise<SliEngine> {
  const sloDir = mkdtempSync(join(tmpdir(), 'bench-slos-'));
  for (let s = 0; s < 5; s++) {
    writeFileSync(join(sloDir, `svc-${s}.yaml`), `apiVersion: sluice/v1\nkind: SLO\nmetadata: { name: svc-${s}-availability }\nspec:\n  service: svc-${s}\n  environment: production\n  tier: standard\n  indicator: { kind: availability }\n  objectives: [{ target: 0.99 }]\n  timeWindow: [{ duration: 28d, isRolling: true }]\n`);
  }
  return SliEngine.start({ clickhouse, logger, sloDir, allowedLatenessMs: 120_000 });
}

/**
 * Waits until `done()`, polling every 5 ms; the clock starts at the first consumed message.
 * Notes the RSS when a quarter, half, three quarters and all of the events were consumed
 * (`consumed()`): a working set that does not grow with the events shows there.
 */
function runUntil(consumed: () => number, done: () => boolean): Promise<{ ms: number; rssMb: number[] }> {
  let startedAt = 0;
  const rssMb: number[] = [];
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (startedAt === 0 && consumed() > 0) startedAt = performance.now();
      if (consumed() >= ((rssMb.length + 1) / 4) * EVENTS && rssMb.length < 4) rssMb.push(Math.round(process.memoryUsage().rss / 1_048_576));
      if (done()) {
        clearInterval(poll);
        resolve({ ms: performance.now() - startedAt, rssMb });
      }
    }, 5);
  });
}

// (c) the pipeline without a store
async function pipelineWithoutStore() {
  const engine = await sliEngine();
  const metrics = new IngestMetrics();
  let dropped = 0;
  const pipeline = new IngestPipeline({
    writer: { insert: async (table, rows) => void (table === 'spans_raw' && (dropped += rows.length)) },
    progress: new MemoryProgress(),
    writerId: 'bench', metrics, logger, now: Date.now, batchMaxRows: BATCH_ROWS, batchMaxDelayMs: 1_000,
    sampler, participants: [engine.participant],
  });
  const worker = new KafkaIngestWorker({
    kafka, groupId: `bench-nostore-${Date.now()}`, decoders: new Map([[topic, createDecoder('spans', 'json', 1_048_576)]]), pipeline, logger,
  });
  await worker.start();
  const { ms, rssMb } = await runUntil(() => worker.consumed, () => metrics.accepted.spans >= EVENTS && pipeline.pendingRows === 0 && pipeline.flushesInFlight === 0);
  await worker.stop();
  await engine.stop();
  return { ms, flushes: metrics.flushLatency, note: `${dropped.toLocaleString('en')} rows dropped by the writer in ${metrics.flushes} flushes; RSS at 25/50/75/100 % of the events: ${rssMb.join(' / ')} MB` };
}

// (d) the full pipeline
async function fullPipeline() {
  const engine = await sliEngine();
  const ingest = await startKafkaIngest({
    brokers, clientId: 'bench-sluice', groupId: `bench-sluice-${Date.now()}`,
    routes: [{ topic, signal: 'spans', encoding: 'json' }], deadLetterTopic: `${topic}.dlq`,
    clickhouse, logger, batchMaxRows: BATCH_ROWS, batchMaxDelayMs: 1_000, maxMessageBytes: 1_048_576,
    sampler, participants: [engine.participant],
  });
  const m = ingest.metrics;
  const { ms, rssMb } = await runUntil(
    () => ingest.worker.consumed,
    () => m.accepted.spans >= EVENTS && ingest.pipeline.pendingRows === 0 && m.written.spans + (m.notStored.get('sampled_out') ?? 0) >= EVENTS,
  );
  await ingest.stop();
  await engine.stop();
  return {
    ms, flushes: m.flushLatency,
    note: `${m.written.spans.toLocaleString('en')} raw rows written in ${m.flushes} flushes; RSS at 25/50/75/100 % of the events: ${rssMb.join(' / ')} MB`,
    // read after the measurement: counting distinct positions of millions of rows takes memory of its own
    verify: async () => {
      const [stored] = await (await clickhouse.query({ query: 'SELECT count() AS rows, uniqExact(source_partition, source_offset) AS positions FROM spans_raw', format: 'JSONEachRow' })).json<{ rows: string; positions: string }>();
      const [sli] = await (await clickhouse.query({ query: 'SELECT sum(total) AS total FROM sli_rollups', format: 'JSONEachRow' })).json<{ total: string }>();
      return `spans_raw holds ${Number(stored!.rows).toLocaleString('en')} rows (${Number(stored!.positions).toLocaleString('en')} distinct positions); exact SLI total in sli_rollups ${Number(sli!.total).toLocaleString('en')}`;
    },
  };
}

interface RunResult {
  ms: number;
  flushes?: LatencyHistogram;
  note?: string;
  /** Checks run after the measurement (outside its CPU, RSS and time). */
  verify?: () => Promise<string>;
}

const runs: { key: string; name: string; run: () => Promise<RunResult> }[] = [
  { key: 'a', name: '(a) no-op kafkajs (eachBatch, count)', run: noop },
  { key: 'b', name: '(b) decode only (UTF-8, JSON, zod, sample, map)', run: decodeOnly },
  { key: 'c', name: '(c) pipeline, writes dropped', run: pipelineWithoutStore },
  { key: 'd', name: '(d) full pipeline (writes, progress, commits)', run: fullPipeline },
];
const results = new Map<string, Measured>();
for (const r of runs.filter((x) => ONLY.includes(x.key))) {
  const profiler = PROFILE_DIR ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const measured = await measure(r.run);
  if (measured.verify) measured.note = `${measured.note ?? ''}; ${await measured.verify()}`;
  results.set(r.key, measured);
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    const file = join(PROFILE_DIR!, `ingest-${r.key}-${Date.now()}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    console.log(`V8 CPU profile of ${r.name}: ${file}`);
  }
}

const rate = (key: string) => (results.has(key) ? EVENTS / (results.get(key)!.ms / 1000) : undefined);
const ratio = (key: string, to: string) => (rate(key) && rate(to) ? (rate(key)! / rate(to)!).toFixed(2) : '–');
const fmt = (n: number) => Math.round(n).toLocaleString('en');
console.log(`machine: ${availableParallelism()} cores (load average now ${loadavg().map((l) => l.toFixed(1)).join(' ')}), node ${process.version}; ClickHouse: ${clickhouseMode}`);
console.log(`events: ${EVENTS.toLocaleString('en')} on ${partitions} partitions; batch ${BATCH_ROWS.toLocaleString('en')} rows (SLUICE_BATCH_MAX_ROWS), raw sample rate ${SAMPLE_RATE}\n`);
console.log('| consumer                                        | seconds | events/s  | ÷ (a) | ÷ (b) | CPU s | JS thread s | waited s | 2 free cores, events/s | peak RSS MB | flush p50 / p90 / p99 ms |');
console.log('| ----------------------------------------------- | ------- | --------- | ----- | ----- | ----- | ----------- | -------- | ---------------------- | ----------- | ------------------------ |');
for (const r of runs) {
  const m = results.get(r.key);
  if (!m) continue;
  const h = m.flushes;
  const flushes = h && h.count > 0 ? `${h.percentile(50).toFixed(0)} / ${h.percentile(90).toFixed(0)} / ${h.percentile(99).toFixed(0)}` : '–';
  console.log(
    `| ${r.name.padEnd(47)} | ${(m.ms / 1000).toFixed(2).padStart(7)} | ${fmt(rate(r.key)!).padStart(9)} | ${ratio(r.key, 'a').padStart(5)} | ${ratio(r.key, 'b').padStart(5)} ` +
      `| ${m.cpuSeconds.toFixed(1).padStart(5)} | ${(m.mainCpuSeconds === undefined ? '–' : m.mainCpuSeconds.toFixed(1)).padStart(11)} ` +
      `| ${(m.cpuWaitSeconds === undefined ? '–' : m.cpuWaitSeconds.toFixed(1)).padStart(8)} | ${fmt(EVENTS / Math.max(m.mainCpuSeconds ?? 0, m.cpuSeconds / 2)).padStart(22)} ` +
      `| ${fmt(m.peakRssBytes / 1_048_576).padStart(11)} | ${flushes.padEnd(24)} |`,
  );
}
console.log("\nCPU s: process CPU-seconds, every thread (chDB's, GC's included); JS thread s: the thread every event goes through;");
console.log('waited s: time the threads were ready to run but waited for a core other processes held (a lower bound). On a machine');
console.log('shared with busy processes the wall-clock rates fall and the CPU figures do not: "2 free cores" is the rate the CPU');
console.log('time allows on 2 idle cores, events / max(JS thread s, CPU s / 2) — a ceiling, not a measurement.\n');
for (const r of runs) if (results.get(r.key)?.note) console.log(`${r.name}: ${results.get(r.key)!.note}`);
await close();
process.exit(0);
