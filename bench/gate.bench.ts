/**
 * Release gate latency under ingest load, embedded mode. A `sluice start` child process
 * (tokens required, examples/slos and examples/policies, embedded ClickHouse on a temporary
 * data directory) takes the built-in simulator's traffic scaled up to ≥ 10 000 events/s as
 * NDJSON over HTTP from a second child process; meanwhile this process asks `gate` at a
 * fixed rate (200 requests/s for 60 s, open loop: a request is sent on schedule whether or
 * not earlier ones answered, and its latency counts from its scheduled time, so a stall is
 * not hidden — no coordinated omission), then `health` at the same rate as the floor: a
 * query that also crosses admission, the token check and GraphQL, and reads ClickHouse.
 *
 * The simulator's first bad release (checkout 1.2.0) is made to start 20 s in, so during
 * the measurement a page fires and every gate attributes it (per-version counts from
 * sli_rollups); the gate asks alternately for 1.2.0 (FAIL) and 1.1.0 (PASS). Each decision
 * is stored in gate_decisions and audited, as in production.
 *
 *   node bench/gate.bench.ts
 *   (BENCH_GATE_RPS=200, BENCH_SECONDS=60, BENCH_WARMUP_SECONDS=90, BENCH_RATE_SCALE=70 — ≈ 12 000 events/s;
 *    BENCH_RATE_SCALE=0: no ingest, the gate alone)
 *
 * Prints p50/p90/p99/max of both, the request and ingest rates reached and the verdicts
 * per version with the checks that decided them;
 * asserts nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrafficSimulator } from '../ingest/simulator/traffic-simulator.ts';
import { percentile } from './bench-services.ts';

const BIN = fileURLToPath(new URL('../bin/sluice.ts', import.meta.url));
const RPS = Number(process.env.BENCH_GATE_RPS ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 90);
const RATE_SCALE = Number(process.env.BENCH_RATE_SCALE ?? 70);
/** Keep-alive connections of the measuring client (postJson); an idle one is closed before the server (5 s) would, so none is reused as it closes. */
const agent = new Agent({ keepAlive: true, timeout: 4_000 });

if (process.argv[2] === '--ingest') await ingestLoad(process.argv[3]!, process.argv[4]!);
else await main();

/** The ingest child: the simulator, scaled, posted as NDJSON per signal every 100 ms; prints accepted events per second. */
async function ingestLoad(url: string, token: string): Promise<void> {
  const sim = new TrafficSimulator({ seed: 7, rateScale: RATE_SCALE, firstBadRelease: { service: 'checkout', afterMs: 20_000 } });
  let accepted = 0;
  let refused = 0;
  setInterval(() => {
    process.stdout.write(`${JSON.stringify({ accepted, refused })}\n`);
    accepted = 0;
    refused = 0;
  }, 1_000);
  for (;;) {
    const started = Date.now();
    const bySignal = new Map<string, string[]>();
    for (const e of sim.tick(started)) {
      const lines = bySignal.get(e.signal) ?? [];
      lines.push(JSON.stringify(e.event));
      bySignal.set(e.signal, lines);
    }
    await Promise.all([...bySignal].map(async ([signal, lines]) => {
      try {
        const res = await fetch(`${url}/ingest/${signal}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: `${lines.join('\n')}\n` });
        const body = (await res.json()) as { accepted?: number };
        if (res.ok) accepted += body.accepted ?? 0;
        else refused += lines.length;
      } catch {
        refused += lines.length;
      }
    }));
    await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - started))));
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`sluice ${args.join(' ')} exited ${code}`))));
  });
}

interface Sample { latencyMs: number; ok: boolean; verdict?: string; error?: string }

/**
 * POSTs a GraphQL body over a keep-alive agent and parses the answer. Plain node:http, not
 * fetch: the load generator shares the server's two cores, and undici's fetch cost this
 * process ~25 % of a core at 200 requests/s — CPU taken from the server being measured.
 */
function postJson(url: string, token: string, body: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/graphql`, { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString()));
        } catch (err) {
          reject(err as Error);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Open-loop load: `rps` requests a second for `seconds`; latency from each request's scheduled time. */
async function measure(url: string, token: string, rps: number, seconds: number, body: (i: number) => string, read: (json: unknown, i: number) => Omit<Sample, 'latencyMs'>): Promise<{ samples: Sample[]; wallMs: number }> {
  const samples: Sample[] = [];
  const pending: Promise<void>[] = [];
  const t0 = performance.now() + 50;
  const n = rps * seconds;
  for (let i = 0; i < n; i++) {
    const scheduled = t0 + (i * 1000) / rps;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push((async () => {
      try {
        const r = read(await postJson(url, token, body(i)), i);
        samples.push({ latencyMs: performance.now() - scheduled, ...r });
      } catch (err) {
        samples.push({ latencyMs: performance.now() - scheduled, ok: false, error: (err as Error).message });
      }
    })());
  }
  await Promise.all(pending);
  return { samples, wallMs: performance.now() - t0 };
}

function summary(name: string, r: { samples: Sample[]; wallMs: number }): string {
  const ok = r.samples.filter((s) => s.ok).map((s) => s.latencyMs);
  const f = (v: number) => `${v.toFixed(1)} ms`;
  const errors = new Map<string, number>();
  for (const s of r.samples) if (!s.ok) errors.set(s.error ?? '?', (errors.get(s.error ?? '?') ?? 0) + 1);
  return `  ${name.padEnd(7)} ${String(r.samples.length).padStart(6)} requests, ${(r.samples.length / (r.wallMs / 1000)).toFixed(0)}/s, errors ${r.samples.length - ok.length}:`
    + `  p50 ${f(percentile(ok, 50))}  p90 ${f(percentile(ok, 90))}  p99 ${f(percentile(ok, 99))}  max ${f(Math.max(...ok))}`
    + [...errors].slice(0, 3).map(([e, n]) => `\n          ${n} × ${e.slice(0, 160)}`).join('');
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-gate-bench-'));
  const storage = ['--data-dir', dataDir, '--embedded-clickhouse-port', '0'];
  const ci = (await run(['token', 'create', '--name', 'bench-ci', '--role', 'ci', ...storage])).trim();
  const ingestToken = (await run(['token', 'create', '--name', 'bench-ingest', '--role', 'ingest', ...storage])).trim();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const children: ChildProcess[] = [];
  const server = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', BIN, 'start', '--port', String(port), '--no-simulate', ...storage, '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(server);
  const stopAll = () => { for (const c of children) c.kill('SIGTERM'); };
  process.on('SIGINT', () => { stopAll(); process.exit(130); });
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ci}` }, body: '{"query":"{ whoami { name } }"}' })).ok) break;
    } catch { /* not up yet */ }
    if (i > 600) throw new Error('sluice start did not come up in 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const rates: { atMs: number; accepted: number; refused: number }[] = [];
  if (RATE_SCALE > 0) {
    const ingest = spawn(process.execPath, [fileURLToPath(import.meta.url), '--ingest', url, ingestToken], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(ingest);
    let buffered = '';
    ingest.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const l of lines) rates.push({ atMs: Date.now(), ...(JSON.parse(l) as { accepted: number; refused: number }) });
    });
  }
  console.log(`sluice gate benchmark: ${RPS} requests/s for ${SECONDS} s each, ingest: simulator ×${RATE_SCALE} as NDJSON (${availableParallelism()} cores)`);
  console.log(`  warming up ${WARMUP_SECONDS} s (SLOs judged, checkout 1.2.0 paging from ~80 s)…`);
  await new Promise((r) => setTimeout(r, WARMUP_SECONDS * 1000));

  const gateQuery = 'query($v: String!) { gate(service: "checkout", environment: "production", version: $v) { decisionId verdict blocking checks { name status } } }';
  const gateFrom = Date.now();
  const graphqlError = (j: unknown) => (j as { errors?: { message: string }[] }).errors?.[0]?.message ?? 'no data';
  const gate = await measure(url, ci, RPS, SECONDS, (i) => JSON.stringify({ query: gateQuery, variables: { v: i % 2 === 0 ? '1.2.0' : '1.1.0' } }), (j, i) => {
    const g = (j as { data?: { gate?: { verdict: string; checks: { name: string; status: string }[] } } }).data?.gate;
    if (g === undefined) return { ok: false, error: graphqlError(j) };
    // "1.2.0 FAIL (burn-rate-alerts FAIL, …)": which checks decided it, not only the verdict
    const deciding = g.checks.filter((c) => c.status !== 'PASS').map((c) => `${c.name} ${c.status}`).join(', ');
    return { ok: true, verdict: `${i % 2 === 0 ? '1.2.0' : '1.1.0'} ${g.verdict}${deciding === '' ? '' : ` (${deciding})`}` };
  });
  const gateTo = Date.now();
  const health = await measure(url, ci, RPS, SECONDS, () => '{"query":"{ health { version mode } }"}', (j) => ((j as { data?: { health?: unknown } }).data?.health != null ? { ok: true } : { ok: false, error: graphqlError(j) }));
  const healthTo = Date.now();

  const ingestRate = (from: number, to: number) => {
    const inRange = rates.filter((r) => r.atMs > from && r.atMs <= to);
    return { accepted: inRange.reduce((a, r) => a + r.accepted, 0) / Math.max(1, inRange.length), refused: inRange.reduce((a, r) => a + r.refused, 0) };
  };
  const verdicts: Record<string, number> = {};
  for (const s of gate.samples) if (s.verdict) verdicts[s.verdict] = (verdicts[s.verdict] ?? 0) + 1;
  const gi = ingestRate(gateFrom, gateTo);
  const hi = ingestRate(gateTo, healthTo);
  console.log(summary('gate', gate));
  console.log(summary('health', health));
  console.log(`  ingest during gate: ${gi.accepted.toFixed(0)} events/s accepted (${gi.refused} refused); during health: ${hi.accepted.toFixed(0)} events/s (${hi.refused} refused)`);
  console.log(`  verdicts:${Object.entries(verdicts).map(([v, n]) => `\n    ${String(n).padStart(6)} × ${v}`).join('')}`);
  stopAll();
  await new Promise((r) => setTimeout(r, 3_000));
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
}
