/**
 * Backtest and tuning on history (docs/history.md), on the embedded store in this process:
 *   1. generation: BENCH_SERVICES (100) services × BENCH_DAYS (90) days of signal rollups —
 *      plus the 30 days before them that a 28-day SLO's first windows read — written by
 *      ClickHouse itself (INSERT … SELECT FROM numbers): per service and minute a 200-row of
 *      80–120 requests, a 5xx row in about one minute in twenty (background failures), and
 *      outages (10–60 minutes, 2–100 % failing) every ~12 days, most with an incident opened
 *      a few minutes in; some incidents have no outage. Timed on its own.
 *   2. backtest: every service's availability SLO (critical tier: the workbook's 4 rules)
 *      over the 90 days — read, replayed boundary by boundary with the breach state machine,
 *      alerts scored against the incidents — BENCH_CONCURRENCY (4) at a time.
 *   3. tuning sweep: one SLO over the 90 days, a 50-point grid (5 window pairs × 10 burn
 *      rates), Pareto front and recommendation.
 * Prints figures (wall time, CPU-seconds of the process: chDB's threads included, load
 * average — other processes on the machine slow the wall clock, not the CPU figures);
 * asserts nothing.
 *
 *   npm run bench:backtest
 *   BENCH_SERVICES=20 BENCH_DAYS=30 npm run bench:backtest
 *   CLICKHOUSE_URL=http://127.0.0.1:8123 npm run bench:backtest      (a ClickHouse server instead)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { ClickHouseHistoryStore } from '../engine/adapters/clickhouse-history-store.ts';
import { SloHistoryService, type BacktestAnswer } from '../engine/adapters/slo-history-service.ts';
import { buildSlo, SloDefinitionSchema, type Slo } from '../engine/core/slo/slo-definition.ts';
import { ChdbEngine } from '../platform/clickhouse/chdb-engine.ts';
import { connectClickHouse, type ClickHouseClient } from '../platform/clickhouse/clickhouse-connection.ts';
import { toDateTime64 } from '../platform/clickhouse/clickhouse-time.ts';
import { migrate } from '../platform/clickhouse/migrations.ts';
import { mulberry32 } from '../platform/random/mulberry32.ts';

process.env.UV_THREADPOOL_SIZE ??= '32'; // as bin/sluice.ts
const SERVICES = Number(process.env.BENCH_SERVICES ?? 100);
const DAYS = Number(process.env.BENCH_DAYS ?? 90);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const MIN = 60_000;
const DAY = 86_400_000;
/** Days of history before the backtest range: a 28-day window, its warm-up day and the judge's horizon. */
const LEAD_DAYS = 30;

const END = Math.floor(Date.now() / DAY) * DAY;
const FROM = END - DAYS * DAY;
const DATA_FROM = FROM - LEAD_DAYS * DAY;
const minutes = (END - DATA_FROM) / MIN;
const serviceName = (s: number) => `svc-${String(s).padStart(3, '0')}`;

/** ClickHouse from CLICKHOUSE_URL, or the embedded native engine on a temporary directory in this process (no Kafka needed). */
async function openStore(): Promise<{ client: ClickHouseClient; mode: string; close(): Promise<void> }> {
  const database = `bench_backtest_${Date.now().toString(36)}`;
  if (process.env.CLICKHOUSE_URL) {
    const client = await connectClickHouse({ url: process.env.CLICKHOUSE_URL, password: process.env.CLICKHOUSE_PASSWORD ?? '', database });
    return { client, mode: process.env.CLICKHOUSE_URL, close: () => client.close() };
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-bench-backtest-'));
  const engine = await ChdbEngine.open({ dataDir });
  const client = await connectClickHouse({ engine, database });
  return {
    client,
    mode: `embedded native chDB ${engine.version}, in-process`,
    async close() {
      await client.close();
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

interface Outage {
  service: number;
  fromMs: number;
  minutes: number;
  /** Failing requests per minute (of ~100). */
  badPerMinute: number;
}

/** Outages every ~12 days per service (seeded), and the incidents: most outages get one, opened 2–15 min in; a few incidents have no outage. */
function schedule(): { outages: Outage[]; incidents: Record<string, unknown>[] } {
  const random = mulberry32(2026);
  const outages: Outage[] = [];
  const incidents: Record<string, unknown>[] = [];
  for (let s = 0; s < SERVICES; s++) {
    for (let t = DATA_FROM + Math.floor(random() * 12) * DAY; t < END - DAY; t += (8 + Math.floor(random() * 8)) * DAY) {
      const fromMs = t + Math.floor(random() * 1_440) * MIN;
      const o: Outage = { service: s, fromMs, minutes: 10 + Math.floor(random() * 51), badPerMinute: [2, 5, 20, 100][Math.floor(random() * 4)]! };
      outages.push(o);
      if (random() < 0.8) incidents.push(incident(s, incidents.length, fromMs + (2 + Math.floor(random() * 14)) * MIN, fromMs + (o.minutes + 30) * MIN));
    }
    for (let k = 0; k < 2; k++) {
      const opened = FROM + Math.floor(random() * DAYS * 1_440) * MIN;
      incidents.push(incident(s, incidents.length, opened, opened + HOUR_MS));
    }
  }
  return { outages, incidents };
}
const HOUR_MS = 3_600_000;

function incident(s: number, i: number, openedMs: number, resolvedMs: number): Record<string, unknown> {
  return {
    incident_id: `INC-${i}`, service: serviceName(s), environment: 'production', title: 'bench', severity: 'SEV2',
    opened_at: toDateTime64(openedMs), resolved_at: toDateTime64(resolvedMs), linked_deploy_id: '', attributes: {},
    source: 'bench', source_partition: 0, source_offset: i, updated_at: toDateTime64(Date.now()),
  };
}

const COLUMNS = 'signal, service, environment, version, minute, span_kind, route, operation, http_status_code, status, severity_number, check_id, journey, location, count, sketch_index, sketch_count, origin, estimated, source, source_partition, source_offset, segment_lo, written_at';

async function generate(client: ClickHouseClient): Promise<{ rows: number; outages: Outage[]; incidents: number }> {
  const { outages, incidents } = schedule();
  const svc = `concat('svc-', leftPad(toString(intDiv(number, ${minutes})), 3, '0'))`;
  const minute = `toDateTime(${DATA_FROM / 1000} + (number % ${minutes}) * 60, 'UTC')`;
  // a 200 row per service and minute: 80–120 requests
  await client.command({
    query: `INSERT INTO signal_rollups (${COLUMNS})
      SELECT 'spans', ${svc}, 'production', '1.0', ${minute}, 'server', '/api', 'GET /api', 200, 'ok', 0, '', '', '',
             80 + cityHash64(number, 1) % 41, [], [], 'ingest', 0, 'bench', 0, number, number, now64(3)
      FROM numbers(${SERVICES * minutes})`,
  });
  // background 5xx: one failing request in about one minute in twenty
  await client.command({
    query: `INSERT INTO signal_rollups (${COLUMNS})
      SELECT 'spans', ${svc}, 'production', '1.0', ${minute}, 'server', '/api', 'GET /api', 503, 'error', 0, '', '', '',
             1, [], [], 'ingest', 0, 'bench', 0, number, number, now64(3)
      FROM numbers(${SERVICES * minutes}) WHERE cityHash64(number, 2) % 20 = 0`,
  });
  const outageRows = outages.flatMap((o) => Array.from({ length: o.minutes }, (_, m) => ({
    signal: 'spans', service: serviceName(o.service), environment: 'production', version: '1.0', minute: toDateTime64(o.fromMs + m * MIN).slice(0, 19),
    span_kind: 'server', route: '/api', operation: 'GET /api', http_status_code: 503, status: 'error', severity_number: 0, check_id: '', journey: '', location: '',
    count: o.badPerMinute, sketch_index: [], sketch_count: [], origin: 'ingest', estimated: 0, source: 'bench-outage', source_partition: 0, source_offset: 0, segment_lo: 0, written_at: toDateTime64(Date.now()),
  })));
  for (let i = 0; i < outageRows.length; i += 50_000) await client.insert({ table: 'signal_rollups', values: outageRows.slice(i, i + 50_000), format: 'JSONEachRow' });
  await client.insert({ table: 'incidents', values: incidents, format: 'JSONEachRow' });
  await client.command({ query: 'OPTIMIZE TABLE signal_rollups FINAL' });
  const [row] = await (await client.query({ query: 'SELECT count() AS n FROM signal_rollups', format: 'JSONEachRow' })).json<{ n: string }>();
  return { rows: Number(row!.n), outages, incidents: incidents.length };
}

function sloOf(s: number): Slo {
  return buildSlo(SloDefinitionSchema.parse({
    apiVersion: 'sluice/v1', kind: 'SLO', metadata: { name: `${serviceName(s)}-availability` },
    spec: { service: serviceName(s), environment: 'production', tier: 'critical', indicator: { kind: 'availability' }, objectives: [{ target: 0.999 }], timeWindow: [{ duration: '28d', isRolling: true }] },
  }));
}

/** Wall ms, process CPU-seconds (every thread: chDB's, GC's) and this JS thread's CPU-seconds of `work`. */
async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; cpuS: number; jsS: number }> {
  const cpu = process.cpuUsage();
  const js = process.threadCpuUsage();
  const t = performance.now();
  const value = await work();
  const used = process.cpuUsage(cpu);
  const jsUsed = process.threadCpuUsage(js);
  return { value, ms: performance.now() - t, cpuS: (used.user + used.system) / 1e6, jsS: (jsUsed.user + jsUsed.system) / 1e6 };
}

/** What the CPU time allows on 2 idle cores: the JS thread's time, or half of all threads', whichever is longer (a floor, not a measurement). */
const idleCoresS = (m: { cpuS: number; jsS: number }) => Math.max(m.jsS, m.cpuS / Math.min(2, availableParallelism()));

const store = await openStore();
try {
  await migrate(store.client);
  console.log(`machine: ${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}, node ${process.version}; ClickHouse: ${store.mode}`);
  console.log(`history: ${SERVICES} services × ${DAYS} days backtested (+ ${LEAD_DAYS} days before), ${minutes.toLocaleString('en')} minutes each\n`);

  const gen = await timed(() => generate(store.client));
  console.log(`1. generation: ${gen.value.rows.toLocaleString('en')} signal rollup rows, ${gen.value.outages.length} outages, ${gen.value.incidents} incidents in ${(gen.ms / 1000).toFixed(1)} s wall (CPU ${gen.cpuS.toFixed(1)} s)`);

  const service = new SloHistoryService({ store: new ClickHouseHistoryStore(store.client) });
  const requests = Array.from({ length: SERVICES }, (_, s) => ({ slo: sloOf(s), fromMs: FROM, toMs: END }));
  // one warm-up backtest (JIT, first connection), not counted
  await service.backtest({ ...requests[0]!, fromMs: END - 2 * DAY });
  const bt = await timed(() => service.backtestMany(requests, { concurrency: CONCURRENCY }));
  const answers: BacktestAnswer[] = bt.value;
  const sum = (f: (a: BacktestAnswer) => number) => answers.reduce((n, a) => n + f(a), 0);
  const rules = answers[0]!.rules.length;
  console.log(`2. backtest: ${SERVICES} SLOs × ${DAYS} days × ${rules} rules in ${(bt.ms / 1000).toFixed(2)} s wall; CPU ${bt.cpuS.toFixed(1)} s (JS thread ${bt.jsS.toFixed(1)} s), ` +
    `so ${idleCoresS(bt).toFixed(2)} s on 2 idle cores; ${CONCURRENCY} at a time`);
  console.log(`   reads ${(sum((a) => a.stats.loadMs) / 1000).toFixed(2)} s and replays ${(sum((a) => a.stats.replayMs) / 1000).toFixed(2)} s summed over SLOs; ` +
    `${sum((a) => a.stats.boundaries).toLocaleString('en')} boundaries, ${sum((a) => a.stats.evaluated).toLocaleString('en')} evaluated in full (the rest proven quiet)`);
  console.log(`   ${sum((a) => a.alerts.length)} alerts (${sum((a) => a.alerts.filter((x) => x.severity === 'page').length)} pages), ${sum((a) => a.transitions.length)} transitions; ` +
    `precision ${(sum((a) => a.score.alerts - a.score.noiseAlerts) / Math.max(1, sum((a) => a.score.alerts))).toFixed(3)}, recall ${(sum((a) => a.score.incidents - a.score.missedIncidents) / Math.max(1, sum((a) => a.score.incidents))).toFixed(3)} over all SLOs`);

  const grid = { windows: [{ longWindowMs: 3_600_000, shortWindowMs: 300_000 }, { longWindowMs: 6 * 3_600_000, shortWindowMs: 1_800_000 }, { longWindowMs: DAY, shortWindowMs: 2 * 3_600_000 }, { longWindowMs: 3 * DAY, shortWindowMs: 6 * 3_600_000 }, { longWindowMs: 2 * 3_600_000, shortWindowMs: 600_000 }], burnRates: [1, 2, 3, 4, 6, 8, 10, 14.4, 20, 40] };
  const tune = await timed(() => service.tune({ slo: sloOf(0), fromMs: FROM, toMs: END, grid, maxPagesPerWeek: 1 }));
  console.log(`3. tuning sweep: 1 SLO × ${DAYS} days, ${tune.value.points.length}-point grid in ${(tune.ms / 1000).toFixed(2)} s wall (read ${(tune.value.stats.loadMs / 1000).toFixed(2)} s, sweep ${(tune.value.stats.sweepMs / 1000).toFixed(2)} s; CPU ${tune.cpuS.toFixed(2)} s, JS thread ${tune.jsS.toFixed(2)} s); ` +
    `front of ${tune.value.front.length}; recommended ${tune.value.recommended?.rules.map((r) => r.name).join(' + ') ?? 'none'}`);
  console.log(`\nload average now ${loadavg().map((l) => l.toFixed(1)).join(' ')}: other processes on the machine stretch wall times; the CPU figures are this process's own.`);
  console.log('"on 2 idle cores" = max(JS thread CPU, all threads\' CPU / 2): a floor the CPU time allows, not a measurement.');
} finally {
  await store.close();
}
process.exit(0);
