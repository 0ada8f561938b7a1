/**
 * Soak of embedded mode, as a user runs it: `sluice start` with the simulator on a data
 * directory of its own (a child process), while this process polls `health` and `slos`
 * every second for SOAK_MINUTES (default 30). Prints the RSS curve of the child (every
 * 10 s, summarised per minute), every failed read, and — after a SIGTERM and a restart on
 * the same directory — whether the stored counts are all still there.
 *
 *   npm run bench:soak                       (30 minutes)
 *   SOAK_MINUTES=5 npm run bench:soak
 *
 * Asserts nothing; prints its figures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const CLI = fileURLToPath(new URL('../bin/sluice.ts', import.meta.url));

interface App {
  child: ChildProcess;
  url: string;
}

async function start(dataDir: string): Promise<App> {
  const child = spawn(process.execPath, [CLI, 'start', '--data-dir', dataDir, '--port', '0', '--embedded-clickhouse-port', '0', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /GraphQL\s+(http:\/\/127\.0\.0\.1:\d+)\/graphql/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`sluice start exited ${code}`)));
  });
  return { child, url };
}

async function graphql(url: string, query: string): Promise<{ data?: Record<string, unknown>; errors?: unknown[] }> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }), signal: AbortSignal.timeout(10_000) });
  return (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

const HEALTH = '{ health { rowsIngested { spans logs checks deploys incidents } deadLettered { reason count } } }';
const SLOS = '{ slos { name status } }';

const dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-soak-'));
const app = await start(dataDir);
console.log(`soak: sluice start (simulator on) pid ${app.child.pid}, ${app.url}, data ${dataDir}, ${MINUTES} min`);
const startedAt = Date.now();
const rss: { atS: number; mib: number }[] = [];
let reads = 0;
const failures: string[] = [];
while (Date.now() - startedAt < MINUTES * 60_000) {
  const tick = Date.now();
  for (const query of [HEALTH, SLOS]) {
    reads++;
    try {
      const r = await graphql(app.url, query);
      if (r.errors) failures.push(`${Math.round((tick - startedAt) / 1000)} s: ${JSON.stringify(r.errors).slice(0, 300)}`);
    } catch (err) {
      failures.push(`${Math.round((tick - startedAt) / 1000)} s: ${(err as Error).message}`);
    }
  }
  if (rss.length === 0 || tick - startedAt >= rss.at(-1)!.atS * 1000 + 10_000) rss.push({ atS: Math.round((tick - startedAt) / 1000), mib: rssMiB(app.child.pid!) });
  await new Promise((r) => setTimeout(r, Math.max(0, 1_000 - (Date.now() - tick))));
}
const before = (await graphql(app.url, HEALTH)).data!.health as Record<string, unknown>;
const stopped = new Promise<number | null>((r) => app.child.once('exit', r));
app.child.kill('SIGTERM');
const exitCode = await stopped;
const again = await start(dataDir);
const after = (await graphql(again.url, HEALTH)).data!.health as Record<string, unknown>;
const restartedRss = rssMiB(again.child.pid!);
again.child.kill('SIGTERM');
await new Promise((r) => again.child.once('exit', r));
rmSync(dataDir, { recursive: true, force: true });

console.log('\nRSS of sluice start, MiB (per minute: min / max):');
for (let m = 0; m < MINUTES; m++) {
  const inMinute = rss.filter((s) => s.atS >= m * 60 && s.atS < (m + 1) * 60).map((s) => s.mib);
  if (inMinute.length > 0) console.log(`  ${String(m).padStart(3)} min  ${Math.min(...inMinute).toFixed(0).padStart(5)} / ${Math.max(...inMinute).toFixed(0).padStart(5)}`);
}
console.log(`\nreads: ${reads}, failed: ${failures.length}${failures.length > 0 ? `\n  ${failures.slice(0, 10).join('\n  ')}` : ''}`);
console.log(`rows before stop: ${JSON.stringify(before.rowsIngested)}`);
// the simulator runs until SIGTERM and the stop flushes what was pending: after ≥ before
const signals = ['spans', 'logs', 'checks', 'deploys', 'incidents'] as const;
const kept = signals.every((s) => (after.rowsIngested as Record<string, number>)[s]! >= (before.rowsIngested as Record<string, number>)[s]!);
console.log(`rows after restart: ${JSON.stringify(after.rowsIngested)} (${kept ? 'all there (≥ before; the stop flushed the last batch)' : 'ROWS MISSING'})`);
console.log(`dead letters after restart: ${JSON.stringify(after.deadLettered)}; SIGTERM exit code ${exitCode}; RSS right after restart ${restartedRss.toFixed(0)} MiB`);
