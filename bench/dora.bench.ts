/**
 * DORA four keys for 200 teams × 1 year of deploys: how long the pure core takes to
 * attribute failures and build the benchmark report (four keys, 2023 clusters, peer
 * percentiles, 12 monthly trends per team, a comparison with the previous half-year), and
 * how long reading that history from ClickHouse takes (`--clickhouse`: the embedded native
 * engine on a temporary data directory, or CLICKHOUSE_URL).
 *
 *   node_modules/.bin/node bench/dora.bench.ts [--clickhouse]
 *
 * The history is generated with a fixed seed: each team owns 2 services, each deploying
 * every 2–42 hours (about 310,000 production deploys in the year, 3 % failed attempts, plus
 * staging deploys); 8 % of deploys are followed by an incident, 3 % by an SLO breach, 2 %
 * are rolled back. Prints figures; never fails on timing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClickHouseDeliveryHistory } from '../engine/adapters/clickhouse-delivery-history.ts';
import { buildBenchmarks, doraMetrics } from '../engine/core/dora/benchmark-report.ts';
import type { BreachEpisode, DeliveryHistory, DeployRecord, IncidentRecord } from '../engine/core/dora/delivery-records.ts';
import { attributeFailures } from '../engine/core/dora/failure-attribution.ts';
import { doraOptions } from '../engine/core/dora/dora-options.ts';
import { connectClickHouse, type ClickHouseClient } from '../platform/clickhouse/clickhouse-connection.ts';
import { toDateTime64 } from '../platform/clickhouse/clickhouse-time.ts';
import { openEmbeddedStore, type EmbeddedStore } from '../platform/clickhouse/embedded-store.ts';
import { migrate } from '../platform/clickhouse/migrations.ts';
import { mulberry32 } from '../platform/random/mulberry32.ts';

const TEAMS = 200;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const YEAR_START = Date.UTC(2025, 0, 1);
const YEAR_END = Date.UTC(2026, 0, 1);

function generate(): DeliveryHistory {
  const random = mulberry32(20_260_115);
  const deploys: DeployRecord[] = [];
  const incidents: IncidentRecord[] = [];
  const breaches: BreachEpisode[] = [];
  let n = 0;
  for (let t = 0; t < TEAMS; t++) {
    const team = `team-${String(t).padStart(3, '0')}`;
    const everyMs = (2 + (t % 41)) * HOUR;
    for (let s = 0; s < 2; s++) {
      const service = `${team}-svc-${s}`;
      for (let at = YEAR_START - 30 * DAY + random() * everyMs; at < YEAR_END; at += everyMs * (0.5 + random())) {
        const id = `d${n++}`;
        const r = random();
        const status = r < 0.02 ? 'rolled_back' : r < 0.05 ? 'failed' : 'succeeded';
        deploys.push({
          deployId: id, service, environment: 'production', version: id, team, commitSha: n.toString(16).padStart(8, '0'),
          commitTimeMs: at - (0.5 + random() * 72) * HOUR, startedAtMs: at - 600_000, finishedAtMs: at, status, attributes: status === 'rolled_back' ? { rolledBackAtMs: String(Math.round(at + random() * 2 * HOUR)) } : {},
        });
        if (random() < 0.2) deploys.push({ ...deploys.at(-1)!, deployId: `${id}-stg`, environment: 'staging', status: 'succeeded', attributes: {} });
        const failure = random();
        if (failure < 0.08) {
          const opened = at + random() * 12 * HOUR;
          incidents.push({ incidentId: `i${n}`, service, environment: 'production', severity: 'SEV2', openedAtMs: opened, resolvedAtMs: opened + random() * 8 * HOUR, ...(random() < 0.5 ? { linkedDeployId: id } : {}) });
        } else if (failure < 0.11) {
          const start = at + random() * 6 * HOUR;
          breaches.push({ slo: `${service}-availability`, service, environment: 'production', startMs: start, endMs: start + random() * 3 * HOUR, transitionId: `b${n}` });
        }
      }
    }
  }
  return { deploys, incidents, breaches };
}

function time<T>(label: string, fn: () => T): T {
  const started = performance.now();
  const result = fn();
  console.log(`${label.padEnd(58)} ${(performance.now() - started).toFixed(0).padStart(7)} ms`);
  return result;
}

async function timeAsync<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await fn();
  console.log(`${label.padEnd(58)} ${(performance.now() - started).toFixed(0).padStart(7)} ms`);
  return result;
}

const history = generate();
const production = history.deploys.filter((d) => d.environment === 'production');
console.log(`history: ${TEAMS} teams, ${history.deploys.length} deploys (${production.length} production, ${production.filter((d) => d.status === 'failed').length} failed attempts), ${history.incidents.length} incidents, ${history.breaches.length} breaches; 2025`);
console.log('');

// warm-up (JIT)
buildBenchmarks(history, { fromMs: YEAR_START, toMs: YEAR_START + 30 * DAY, environment: 'production', groupBy: 'team' });

const options = doraOptions();
const attribution = time('attribute failures (serving timelines, every deploy)', () => attributeFailures(history, options));
console.log(`  → ${[...attribution.outcomes.values()].filter((o) => o.failed).length} failed deployments, ${attribution.unattributed.length} unattributed failures`);
const report = time('benchmarks: 200 teams × 1 year, 12 monthly trends each', () => buildBenchmarks(history, { fromMs: YEAR_START, toMs: YEAR_END, environment: 'production', groupBy: 'team' }));
const placed = report.rows.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.cluster.level ?? 'none']: (acc[r.cluster.level ?? 'none'] ?? 0) + 1 }), {});
console.log(`  → clusters ${JSON.stringify(placed)}`);
time('benchmarks + comparison with the previous half-year', () => buildBenchmarks(history, {
  fromMs: Date.UTC(2025, 6, 1), toMs: YEAR_END, environment: 'production', groupBy: 'team', compareWith: { fromMs: YEAR_START, toMs: Date.UTC(2025, 6, 1) },
}));
time('doraMetrics: one team, one year', () => doraMetrics(history, { environment: 'production', team: 'team-007' }, YEAR_START, YEAR_END));

if (process.argv.includes('--clickhouse')) {
  console.log('');
  let embedded: EmbeddedStore | undefined;
  let dataDir: string | undefined;
  let client: ClickHouseClient;
  const database = `bench_dora_${Date.now().toString(36)}`;
  if (process.env.CLICKHOUSE_URL) {
    client = await connectClickHouse({ url: process.env.CLICKHOUSE_URL, password: process.env.CLICKHOUSE_PASSWORD ?? '', database });
  } else {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-bench-dora-'));
    embedded = await openEmbeddedStore({ dataDir, port: 0 });
    client = await connectClickHouse({ engine: embedded.engine, database });
  }
  await migrate(client);
  const ts = toDateTime64;
  await timeAsync(`insert ${history.deploys.length} deploys, ${history.incidents.length} incidents`, async () => {
    await client.insert({
      table: 'deploys', format: 'JSONEachRow',
      values: history.deploys.map((d) => ({
        deploy_id: d.deployId, service: d.service, environment: d.environment, version: d.version, team: d.team, commit_sha: d.commitSha, commit_time: ts(d.commitTimeMs),
        started_at: ts(d.startedAtMs), finished_at: d.finishedAtMs === undefined ? null : ts(d.finishedAtMs), status: d.status, strategy: 'rolling', emergency: false,
        change_ticket: '', attributes: d.attributes, source: 'bench', source_partition: 0, source_offset: -1, updated_at: ts(YEAR_END),
      })),
    });
    await client.insert({
      table: 'incidents', format: 'JSONEachRow',
      values: history.incidents.map((i) => ({
        incident_id: i.incidentId, service: i.service, environment: i.environment, title: '', severity: i.severity, opened_at: ts(i.openedAtMs),
        resolved_at: i.resolvedAtMs === undefined ? null : ts(i.resolvedAtMs), linked_deploy_id: i.linkedDeployId ?? '', attributes: {}, source: 'bench',
        source_partition: 0, source_offset: -1, updated_at: ts(YEAR_END),
      })),
    });
  });
  const reader = new ClickHouseDeliveryHistory(client);
  const loaded = await timeAsync('read one year from ClickHouse (deploys, incidents, transitions)', () => reader.load({
    fromMs: YEAR_START, toMs: YEAR_END, environments: ['production'], lookbackMs: 7 * DAY, lookaheadMs: 7 * DAY, nowMs: YEAR_END,
  }));
  console.log(`  → ${loaded.deploys.length} deploys, ${loaded.incidents.length} incidents`);
  time('benchmarks over what was read', () => buildBenchmarks(loaded, { fromMs: YEAR_START, toMs: YEAR_END, environment: 'production', groupBy: 'team' }));
  await client.close();
  await embedded?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
