/**
 * OTLP/HTTP ingest, end to end: a load generator posts spans as OTLP/HTTP protobuf export
 * requests (100 spans each, built by the OpenTelemetry JS SDK's own serializer) to
 * `POST /v1/traces` of `sluice start --no-simulate` (embedded mode: native ClickHouse on a
 * temporary data directory), at each concurrency (connections, each waiting for its answer
 * before the next request, as an SDK exporter does). Per concurrency, side by side:
 *   - spans/s accepted: spans answered 200 (sluice answers once they are durable) ÷ the time
 *     from the first request to the last answer;
 *   - spans/s stored: rows in spans_raw (polled every 100 ms over the embedded ClickHouse
 *     endpoint) ÷ the time until all are there;
 *   - request latency p50 / p99, ms; 503s (refused for backpressure, retried after 50 ms);
 *   - the server's CPU-seconds (all threads), its JS thread's, and how long its threads
 *     waited for a core held by other processes (/proc; lower bound), and the load
 *     generator's CPU-seconds.
 *
 *   node_modules/.bin/node bench/otlp-http.bench.ts
 *   BENCH_SPANS=200000 BENCH_CONCURRENCY=4,16,64 node_modules/.bin/node bench/otlp-http.bench.ts
 *
 * The server is a child process (a fresh one per concurrency) and the load generator this
 * process: in one event loop the generator's serialization and HTTP client would compete
 * with the server's decoding and flushing for the same thread, which no real deployment
 * does; as two processes the OS spreads them over the cores. Request bodies are built once
 * (BENCH_DISTINCT_REQUESTS of them, recent timestamps, distinct trace ids) and posted round
 * robin, so the generator spends its time sending. Prints figures; asserts nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { sdkSpans, type SpanSpec } from '../test/ingest/decode/otlp-sdk-fixture.ts';
import { percentile } from './bench-services.ts';

const SPANS = Number(process.env.BENCH_SPANS ?? 1_000_000);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '4,16').split(',').map(Number);
const SPANS_PER_REQUEST = Number(process.env.BENCH_SPANS_PER_REQUEST ?? 100);
const DISTINCT_REQUESTS = Number(process.env.BENCH_DISTINCT_REQUESTS ?? 200);
const ROOT = path.resolve(import.meta.dirname, '..');

// ---- request bodies ---------------------------------------------------------------------

/** Export requests of SPANS_PER_REQUEST spans: 5 services, ~2 % errors, times within the last minute. */
async function requestBodies(): Promise<Buffer[]> {
  const baseMs = Math.floor((Date.now() - 60_000) / 1000) * 1000;
  const bodies: Buffer[] = [];
  for (let r = 0; r < DISTINCT_REQUESTS; r++) {
    const specs: SpanSpec[] = Array.from({ length: SPANS_PER_REQUEST }, (_, i) => ({
      name: i % 5 === 0 ? 'SELECT orders' : 'GET /orders/{id}',
      kind: i % 5 === 0 ? SpanKind.CLIENT : SpanKind.SERVER,
      startNs: i * 1_000_000,
      endNs: i * 1_000_000 + 250_000 + ((i * 7_919 + r) % 40_000_000),
      ...((i + r) % 50 === 0 ? { status: { code: SpanStatusCode.ERROR } } : {}),
      attributes: {
        'http.route': '/orders/{id}',
        'http.request.method': 'GET',
        'http.response.status_code': (i + r) % 50 === 0 ? 503 : 200,
        'url.path': `/orders/${i}`,
        ...(i % 5 === 0 ? { 'peer.service': 'postgres' } : {}),
      },
    }));
    const resource = { 'service.name': `svc-${r % 5}`, 'service.version': '3.2.1', 'deployment.environment.name': 'production', 'host.name': `node-${r % 7}` };
    bodies.push(Buffer.from(ProtobufTraceSerializer.serializeRequest(await sdkSpans(resource, specs, baseMs))!));
  }
  return bodies;
}

// ---- the server -------------------------------------------------------------------------

interface Server {
  child: ChildProcess;
  url: URL;
  clickhouse: { url: string; auth: string };
  dataDir: string;
}

/** Starts `sluice start --no-simulate` on free ports and a temporary data directory; resolves once its banner is out. */
async function startServer(): Promise<Server> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-otlp-bench-'));
  const child = spawn(process.execPath, [
    '--disable-warning=TimeoutNegativeWarning', path.join(ROOT, 'bin/sluice.ts'), 'start', '--no-simulate',
    '--data-dir', dataDir, '--port', '0', '--embedded-clickhouse-port', '0', '--log-level', process.env.LOG_LEVEL ?? 'warn',
  ], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SLUICE_SAMPLE_RATE: '1' } });
  let banner = '';
  const ready = await new Promise<{ http: string; clickhouse: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`sluice start exited (${code}) before it was ready:\n${banner}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      banner += chunk.toString();
      const httpUrl = /GraphQL\s+(http:\/\/\S+)\/graphql/.exec(banner)?.[1];
      const clickhouseUrl = /ClickHouse\s+(http:\/\/[\d.:]+)/.exec(banner)?.[1];
      if (httpUrl && clickhouseUrl && banner.includes('Ctrl-C')) resolve({ http: httpUrl, clickhouse: clickhouseUrl });
    });
  });
  const password = readFileSync(path.join(dataDir, 'clickhouse-endpoint-password'), 'utf8').trim();
  return { child, url: new URL(ready.http), dataDir, clickhouse: { url: ready.clickhouse, auth: `Basic ${Buffer.from(`default:${password}`).toString('base64')}` } };
}

async function stopServer(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
  rmSync(server.dataDir, { recursive: true, force: true });
}

async function storedSpans(server: Server): Promise<number> {
  const query = encodeURIComponent('SELECT count() FROM sluice.spans_raw FORMAT TSV');
  const res = await fetch(`${server.clickhouse.url}/?query=${query}`, { headers: { authorization: server.clickhouse.auth } });
  return Number((await res.text()).trim());
}

/** CPU of a process from /proc: all threads, its main (JS) thread, and its threads' run-queue wait; seconds. */
function processTimes(pid: number): { cpu: number; jsThread: number; waited: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100)
  let waited = 0;
  let jsThread = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      waited += wait! / 1e9;
      if (tid === String(pid)) jsThread = run! / 1e9;
    } catch {
      // the thread ended
    }
  }
  return { cpu, jsThread, waited };
}

// ---- the load ---------------------------------------------------------------------------

interface RunResult {
  concurrency: number;
  acceptedSpans: number;
  acceptSeconds: number;
  storeSeconds: number;
  latenciesMs: number[];
  refused: number;
  failed: number;
  server: { cpu: number; jsThread: number; waited: number };
  generatorCpu: number;
}

function post(agent: http.Agent, url: URL, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: url.hostname, port: url.port, path: '/v1/traces', method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function run(bodies: Buffer[], concurrency: number): Promise<RunResult> {
  const server = await startServer();
  const pid = server.child.pid!;
  const requests = Math.ceil(SPANS / SPANS_PER_REQUEST);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latenciesMs: number[] = [];
  let next = 0;
  let refused = 0;
  let failed = 0;
  let acceptedSpans = 0;
  const before = processTimes(pid);
  const generatorCpu = process.cpuUsage();
  const startedAt = performance.now();
  let lastStored = 0;
  let storedAt = 0;
  const polling = (async () => {
    while (lastStored < requests * SPANS_PER_REQUEST) {
      await new Promise((r) => setTimeout(r, 100));
      lastStored = await storedSpans(server).catch(() => lastStored);
    }
    storedAt = performance.now();
  })();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < requests) {
      const body = bodies[next++ % bodies.length]!;
      for (;;) {
        const sentAt = performance.now();
        const status = await post(agent, server.url, body);
        if (status === 200) {
          latenciesMs.push(performance.now() - sentAt);
          acceptedSpans += SPANS_PER_REQUEST;
          break;
        }
        if (status !== 503) {
          failed++;
          break;
        }
        refused++;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }));
  const acceptSeconds = (performance.now() - startedAt) / 1000;
  const generator = process.cpuUsage(generatorCpu);
  await Promise.race([polling, new Promise((r) => setTimeout(r, 120_000).unref())]);
  const after = processTimes(pid);
  agent.destroy();
  await stopServer(server);
  return {
    concurrency, acceptedSpans, acceptSeconds, storeSeconds: storedAt > 0 ? (storedAt - startedAt) / 1000 : Number.NaN, latenciesMs, refused, failed,
    server: { cpu: after.cpu - before.cpu, jsThread: after.jsThread - before.jsThread, waited: after.waited - before.waited },
    generatorCpu: (generator.user + generator.system) / 1e6,
  };
}

const bodies = await requestBodies();
const results: RunResult[] = [];
for (const concurrency of CONCURRENCY) results.push(await run(bodies, concurrency));

const fmt = (n: number) => Math.round(n).toLocaleString('en');
console.log(`OTLP/HTTP protobuf into sluice start --no-simulate: ${SPANS.toLocaleString('en')} spans, ${SPANS_PER_REQUEST} a request (${bodies[0]!.length.toLocaleString('en')} bytes), ${availableParallelism()} cores (load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}), node ${process.version}\n`);
console.log('| connections | spans/s accepted | spans/s stored | latency p50 / p99 ms | 503s | server CPU s | server JS thread s | server waited s | generator CPU s |');
console.log('| ----------- | ---------------- | -------------- | -------------------- | ---- | ------------ | ------------------ | --------------- | --------------- |');
for (const r of results) {
  const latency = `${percentile(r.latenciesMs, 50).toFixed(1)} / ${percentile(r.latenciesMs, 99).toFixed(1)}`;
  console.log(
    `| ${String(r.concurrency).padStart(11)} | ${fmt(r.acceptedSpans / r.acceptSeconds).padStart(16)} | ${fmt(SPANS / r.storeSeconds).padStart(14)} | ${latency.padStart(20)} ` +
      `| ${String(r.refused).padStart(4)} | ${r.server.cpu.toFixed(1).padStart(12)} | ${r.server.jsThread.toFixed(1).padStart(18)} | ${r.server.waited.toFixed(1).padStart(15)} | ${r.generatorCpu.toFixed(1).padStart(15)} |`,
  );
  if (r.failed > 0) console.log(`  ${r.failed} requests failed (neither 200 nor 503)`);
}
console.log('\nserver waited s: time its threads were ready to run but other processes held the cores (a lower bound).');
