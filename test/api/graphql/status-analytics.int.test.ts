import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../../api/auth/principal.ts';
import { ClickHouseBuildMetricsStore } from '../../../engine/adapters/clickhouse-build-metrics-store.ts';
import { ClickHouseSloDirectory } from '../../../engine/adapters/slo-definition-directory.ts';
import { LatencySketch } from '../../../engine/core/sketch/latency-sketch.ts';
import { toDateTime64 } from '../../../platform/clickhouse/clickhouse-time.ts';
import { migratedDatabase } from '../../support/test-services.ts';
import { snapshot, startStatusApi, type StatusApi } from './status-harness.ts';

/**
 * The status and analytics queries against the real ClickHouse (the embedded native store of
 * the test services): sli_rollups, slo_transitions, slo_definitions, ingest_progress,
 * dead_letters and build_metrics rows written as the engine writes them, read through the
 * whole API in process.
 */
const MIN = 60_000;
const NOW = Math.floor(Date.now() / MIN) * MIN;
const T = NOW - 120 * MIN; // the start of the data: two hours ago, a whole minute
const minute = (ms: number) => toDateTime64(ms).slice(0, 19);

let client: ClickHouseClient;
let api: StatusApi;
let viewer: Principal;

/** Latencies (ms) of version 1.1 and 1.2 of the latency SLO, minute by minute. */
const latencies = (version: string, m: number) => Array.from({ length: 20 }, (_, i) => (version === '1.1' ? 50 : 80) + ((i * 7 + m) % 40));

function rollup(slo: string, version: string, m: number, good: number, total: number, sketch?: LatencySketch) {
  const buckets = sketch?.toBuckets() ?? [];
  return {
    slo, service: 'checkout', environment: 'production', version, minute: minute(T + m * MIN), good, total, late_events: 0,
    sketch_index: buckets.map((b) => b.index), sketch_count: buckets.map((b) => b.count),
    source: 'sluice.spans.v1', source_partition: m % 2, source_offset: m, segment_lo: m, written_at: toDateTime64(T + m * MIN + 5_000),
  };
}

function definitionRow(name: string, o: { team?: string; indicator?: object; service?: string; loadedAt?: number; removed?: boolean }) {
  const definition = {
    apiVersion: 'sluice/v1', kind: 'SLO', metadata: { name, ...(o.team ? { labels: { team: o.team } } : {}) },
    spec: { service: o.service ?? 'checkout', environment: 'production', tier: 'critical', indicator: o.indicator ?? { kind: 'availability' }, objectives: [{ target: 0.99 }], timeWindow: [{ duration: '28d', isRolling: true }] },
  };
  return {
    slo: name, fingerprint: name, definition: o.removed ? '{}' : JSON.stringify(definition), service: o.service ?? 'checkout', environment: 'production', team: o.team ?? '',
    file: `${name}.yaml`, loaded_at: toDateTime64(o.loadedAt ?? T), loaded_by: 'test', removed: o.removed ? 1 : 0,
  };
}

function transitionRow(slo: string, from: string, to: string, atMs: number, o: { rule?: string; basis?: string; service?: string; publishedAt?: number } = {}) {
  const basis = o.basis ?? 'event-time';
  return {
    transition_id: `${slo}|${from}|${to}|${atMs}|${basis}`, slo, service: o.service ?? 'checkout', environment: 'production', version: '', from_status: from, to_status: to,
    at: toDateTime64(atMs), reason: `${to} at ${atMs}`, rule: o.rule ?? '', basis, details: '{"windows":[]}', published_at: toDateTime64(o.publishedAt ?? atMs + 1_000),
  };
}

beforeAll(async () => {
  ({ client } = await migratedDatabase('status_analytics'));
  const rows = [];
  // availability: version 1.1 for minutes 0–59 (99 % good), 1.2 from minute 60 (90 % good), minute 30 missing
  for (let m = 0; m < 90; m++) {
    if (m === 30) continue;
    rows.push(m < 60 ? rollup('checkout-availability', '1.1', m, 99, 100) : rollup('checkout-availability', '1.2', m, 90, 100));
    const version = m < 60 ? '1.1' : '1.2';
    const values = latencies(version, m);
    const sketch = new LatencySketch();
    for (const v of values) sketch.add(v);
    rows.push(rollup('checkout-latency', version, m, values.filter((v) => v <= 100).length, values.length, sketch));
  }
  // a second delta for minute 10 from another partition: summed, as the judges sum them
  rows.push({ ...rollup('checkout-availability', '1.1', 10, 50, 50), source_partition: 7 });
  await client.insert({ table: 'sli_rollups', format: 'JSONEachRow', values: rows });
  await client.insert({
    table: 'slo_definitions', format: 'JSONEachRow', values: [
      definitionRow('checkout-availability', { team: 'checkout-team' }),
      definitionRow('checkout-availability', { team: 'payments', loadedAt: T + MIN }), // relabelled: the latest counts
      definitionRow('checkout-latency', { team: 'payments', indicator: { kind: 'latency', thresholdMs: 100 } }),
      definitionRow('search-availability', { team: 'discovery', service: 'search' }),
      definitionRow('old-slo', { team: 'payments' }),
      definitionRow('old-slo', { removed: true, loadedAt: T + MIN }),
    ],
  });
  await client.insert({
    table: 'slo_transitions', format: 'JSONEachRow', values: [
      transitionRow('checkout-availability', 'UNKNOWN', 'OK', T + 10 * MIN),
      transitionRow('checkout-availability', 'OK', 'BREACHED', T + 70 * MIN, { rule: 'page-1h-5m' }),
      // the same transition re-published after a judge restart: one row after FINAL
      transitionRow('checkout-availability', 'OK', 'BREACHED', T + 70 * MIN, { rule: 'page-1h-5m', publishedAt: T + 75 * MIN }),
      transitionRow('checkout-availability', 'BREACHED', 'UNKNOWN', T + 80 * MIN, { basis: 'wall-clock' }),
      transitionRow('checkout-latency', 'OK', 'WARNING', T + 85 * MIN, { rule: 'ticket-1d-2h' }),
      transitionRow('search-availability', 'OK', 'BREACHED', T + 86 * MIN, { service: 'search' }),
    ],
  });
  const progress = (source: string, signal: string, seq: number, state: string, lo: number, hi: number, maxEventTimeMs: number, writtenAtMs: number) => ({
    source, partition: 0, version: seq, signal, generation: 0, seq, state, lo, hi, through: state === 'done' ? hi : lo - 1, max_event_time_ms: maxEventTimeMs, writer: 'w1', written_at: toDateTime64(writtenAtMs),
  });
  const wall = Date.now();
  await client.insert({
    table: 'ingest_progress', format: 'JSONEachRow', values: [
      progress('sluice.spans.v1', 'spans', 1, 'done', 0, 99, wall - 20_000, wall - 90_000), // before the last minute: not in the rate
      progress('sluice.spans.v1', 'spans', 2, 'done', 100, 399, wall - 5_000, wall - 30_000),
      progress('sluice.spans.v1', 'spans', 3, 'done', 400, 999, wall - 3_000, wall - 10_000),
      progress('sluice.spans.v1', 'spans', 4, 'pending', 1000, 1199, wall - 1_000, wall - 500), // not durable yet
      progress('http/deploys', 'deploys', 7, 'done', 7, 7, wall - 40_000, wall - 40_000),
    ],
  });
  const letter = (signal: string, reason: string, atMs: number) => ({ received_at: toDateTime64(atMs), signal, reason, detail: 'd', raw_base64: '', raw_bytes: 0, source: 's', source_partition: 0, source_offset: 0 });
  await client.insert({
    table: 'dead_letters', format: 'JSONEachRow', values: [
      letter('spans', 'invalid_json', wall - 2 * 3_600_000), letter('spans', 'invalid_json', wall - 60_000), letter('spans', 'invalid_json', wall - 30_000),
      letter('deploys', 'schema_violation', wall - 10_000),
    ],
  });

  api = await startStatusApi({
    clickhouse: client,
    directory: new ClickHouseSloDirectory(client),
    status: { buildMetrics: new ClickHouseBuildMetricsStore(client) },
  });
  await api.states.save([snapshot('checkout-availability', { target: 0.99 }), snapshot('checkout-latency', { target: 0.99 }), snapshot('search-availability', { service: 'search' })]);
  viewer = await api.caller('viewer');
});
afterAll(async () => {
  await api?.close();
  await client?.close();
});

async function data<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const r = await api.run(query, viewer, variables);
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  return r.data as T;
}

describe('sliSeries from sli_rollups', () => {
  it('gives exact good/total/attainment/burn per step, every delta summed, gaps as empty steps', async () => {
    type Series = { sliSeries: { target: number; good: number; total: number; points: { from: number; to: number; good: number; total: number; attainment: number | null; burnRate: number | null }[] } };
    const { sliSeries } = await data<Series>(`{ sliSeries(slo: "checkout-availability", from: ${T}, to: ${T + 65 * MIN}, stepMinutes: 10) { target good total points { from to good total attainment burnRate } } }`);
    expect(sliSeries.points.map((p) => [p.from - T, p.to - T])).toEqual([[0, 10], [10, 20], [20, 30], [30, 40], [40, 50], [50, 60], [60, 65]].map(([a, b]) => [a! * MIN, b! * MIN]));
    // step 1 holds minute 10's two deltas; step 3 is missing minute 30; step 6 is five minutes of 1.2
    expect(sliSeries.points.map((p) => [p.good, p.total])).toEqual([[990, 1_000], [1_040, 1_050], [990, 1_000], [891, 900], [990, 1_000], [990, 1_000], [450, 500]]);
    expect(sliSeries.points[6]!.attainment).toBeCloseTo(0.9, 12);
    expect(sliSeries.points[6]!.burnRate).toBeCloseTo(10, 9); // 10 % bad against a 1 % allowance
    expect([sliSeries.good, sliSeries.total, sliSeries.target]).toEqual([6_341, 6_450, 0.99]);
    const empty = await data<Series>(`{ sliSeries(slo: "checkout-availability", from: ${NOW}, to: ${NOW + 3 * MIN}) { good total points { total attainment } } }`);
    expect(empty.sliSeries).toEqual({ good: 0, total: 0, points: [{ total: 0, attainment: null }, { total: 0, attainment: null }, { total: 0, attainment: null }] });
  });
});

describe('breachHistory from slo_transitions', () => {
  const Q = 'query($filter: BreachHistoryFilter, $after: String) { breachHistory(filter: $filter, first: 2, after: $after) { edges { node { transition { slo from to at basis rule } service team severity } } pageInfo { hasNextPage endCursor } } }';
  type Page = { breachHistory: { edges: { node: { transition: { slo: string; from: string; to: string; at: number; basis: string; rule: string | null }; service: string; team: string | null; severity: string | null } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
  const walk = async (filter: object) => {
    const nodes: Page['breachHistory']['edges'][number]['node'][] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const { breachHistory }: Page = await data<Page>(Q, { filter, after });
      nodes.push(...breachHistory.edges.map((e) => e.node));
      if (!breachHistory.pageInfo.hasNextPage) break;
      after = breachHistory.pageInfo.endCursor;
    }
    return nodes;
  };

  it('walks every transition once, newest first, a re-published one counted once, with team and severity', async () => {
    const all = await walk({});
    expect(all.map((n) => `${n.transition.slo} ${n.transition.to} ${(n.transition.at - T) / MIN}`)).toEqual([
      'search-availability BREACHED 86', 'checkout-latency WARNING 85', 'checkout-availability UNKNOWN 80', 'checkout-availability BREACHED 70', 'checkout-availability OK 10',
    ]);
    expect(all.map((n) => [n.team, n.severity])).toEqual([['discovery', 'page'], ['payments', 'ticket'], ['payments', null], ['payments', 'page'], ['payments', null]]);
  });

  it.each([
    ['status', { status: ['BREACHED', 'WARNING'] }, ['search-availability 86', 'checkout-latency 85', 'checkout-availability 70']],
    ['service', { service: ['search'] }, ['search-availability 86']],
    ['slo and basis', { slo: ['checkout-availability'], basis: ['wall-clock'] }, ['checkout-availability 80']],
    ['time', { from: T + 70 * MIN, to: T + 85 * MIN }, ['checkout-availability 80', 'checkout-availability 70']],
  ])('filters by %s', async (_what, filter, expected) => {
    expect((await walk(filter)).map((n) => `${n.transition.slo} ${(n.transition.at - T) / MIN}`)).toEqual(expected);
  });
});

describe('releaseSlis from sli_rollups (keyed per version)', () => {
  it('puts the versions side by side, newest first, with exact counts and the merged sketch’s quantiles', async () => {
    type Page = { releaseSlis: { edges: { node: { version: string; firstSeen: number; lastSeen: number; slos: { slo: string; indicator: string | null; good: number; total: number; attainment: number; meetsTarget: boolean; p50Ms: number | null; p95Ms: number | null; p99Ms: number | null }[] } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
    const Q = 'query($after: String) { releaseSlis(service: "checkout", from: ' + T + ', to: ' + (T + 120 * MIN) + ', first: 1, after: $after) { edges { node { version firstSeen lastSeen slos { slo indicator good total attainment meetsTarget p50Ms p95Ms p99Ms } } } pageInfo { hasNextPage endCursor } } }';
    const p1 = await data<Page>(Q);
    const p2 = await data<Page>(Q, { after: p1.releaseSlis.pageInfo.endCursor });
    expect(p2.releaseSlis.pageInfo.hasNextPage).toBe(false);
    const [v12, v11] = [p1.releaseSlis.edges[0]!.node, p2.releaseSlis.edges[0]!.node];
    expect([v12.version, v12.firstSeen - T, v12.lastSeen - T, v11.version, v11.firstSeen - T, v11.lastSeen - T]).toEqual(['1.2', 60 * MIN, 90 * MIN, '1.1', 0, 60 * MIN]);
    const avail11 = v11.slos.find((s) => s.slo === 'checkout-availability')!;
    expect([avail11.good, avail11.total, avail11.meetsTarget]).toEqual([59 * 99 + 50, 59 * 100 + 50, true]);
    const avail12 = v12.slos.find((s) => s.slo === 'checkout-availability')!;
    expect([avail12.good, avail12.total, avail12.meetsTarget, avail12.p95Ms]).toEqual([2_700, 3_000, false, null]);
    for (const [node, version, from, to] of [[v11, '1.1', 0, 60], [v12, '1.2', 60, 90]] as [typeof v11, string, number, number][]) {
      const merged = new LatencySketch();
      for (let m = from; m < to; m++) if (m !== 30) for (const v of latencies(version, m)) merged.add(v);
      const lat = node.slos.find((s) => s.slo === 'checkout-latency')!;
      expect([lat.indicator, lat.total, lat.p50Ms, lat.p95Ms, lat.p99Ms]).toEqual(['latency', merged.count, merged.quantile(0.5), merged.quantile(0.95), merged.quantile(0.99)]);
    }
  });

  it('limits to the versions asked for', async () => {
    const r = await data<{ releaseSlis: { edges: { node: { version: string } }[] } }>(`{ releaseSlis(service: "checkout", from: ${T}, to: ${T + 120 * MIN}, versions: ["1.1"]) { edges { node { version } } } }`);
    expect(r.releaseSlis.edges.map((e) => e.node.version)).toEqual(['1.1']);
  });
});

describe('health.ingest from ingest_progress, the judges’ views and dead_letters', () => {
  it('gives durable rates over the last minute, lag per source and dead letters by signal and reason', async () => {
    type H = { health: { ingest: { rates: unknown; durableRates: { source: string; positionsPerSecond: number; segments: number }[]; sources: { source: string; durableThrough: number; eventTimeLagMs: number; writer: string; caughtUp: boolean | null; judgedEventTime: number | null }[]; deadLetters: { signal: string; reason: string; count: number; lastHour: number }[] } } };
    const { health } = await data<H>('{ health { ingest { rates { windowMs } durableRates { source positionsPerSecond segments } sources { source durableThrough eventTimeLagMs writer caughtUp judgedEventTime } deadLetters { signal reason count lastHour } } } }');
    expect(health.ingest.rates).toBeNull(); // this API ingests nothing itself
    expect(health.ingest.durableRates).toEqual([
      { source: 'http/deploys', positionsPerSecond: 1 / 60, segments: 1 },
      { source: 'sluice.spans.v1', positionsPerSecond: 900 / 60, segments: 2 },
    ]);
    const spans = health.ingest.sources.find((s) => s.source === 'sluice.spans.v1')!;
    // durable through the last done segment (the pending one is not), its event time 3 s behind or so
    expect(spans).toMatchObject({ durableThrough: 999, writer: 'w1', caughtUp: true, judgedEventTime: 1_000_000 });
    expect(spans.eventTimeLagMs).toBeGreaterThanOrEqual(3_000);
    expect(spans.eventTimeLagMs).toBeLessThan(60_000);
    expect(health.ingest.deadLetters).toEqual([
      { signal: 'deploys', reason: 'schema_violation', count: 1, lastHour: 1 },
      { signal: 'spans', reason: 'invalid_json', count: 3, lastHour: 2 },
    ]);
  });
});

describe('teams from slo_definitions', () => {
  it('filters slos by the latest recorded team label; removed SLOs and relabelled ones follow the latest row', async () => {
    const r = await data<{ slos: { name: string; team: string | null }[] }>('{ slos(filter: {team: ["payments"]}) { name team } }');
    expect(r.slos).toEqual([{ name: 'checkout-availability', team: 'payments' }, { name: 'checkout-latency', team: 'payments' }]);
  });
});

describe('build metrics in ClickHouse', () => {
  it('stores reports and reads them back; a report sent again with its id replaces itself (FINAL)', async () => {
    const ci = await api.caller('ci');
    const M = 'mutation($input: BuildMetricsInput!) { reportBuildMetrics(input: $input) { reportId } }';
    for (const input of [
      { service: 'checkout', version: '1.2', reportId: 'job-1', testCoverage: 0.8, benchmarks: [{ name: 'p95', value: 120.5, unit: 'ms' }, { name: 'throughput', value: 5300, unit: 'ops/s' }] },
      { service: 'checkout', version: '1.2', reportId: 'job-1', testCoverage: 0.81, benchmarks: [{ name: 'p95', value: 119, unit: 'ms' }] },
      { service: 'checkout', version: '1.1', testCoverage: 0.7 },
    ]) {
      const r = await api.run(M, ci, { input });
      expect(r.errors).toBeUndefined();
      await new Promise((res) => setTimeout(res, 5));
    }
    const r = await data<{ buildMetrics: { edges: { node: { version: string; reportId: string; testCoverage: number; benchmarks: unknown[]; reportedBy: string } }[] } }>('{ buildMetrics(service: "checkout") { edges { node { version reportId testCoverage benchmarks { name value unit } reportedBy } } } }');
    expect(r.buildMetrics.edges.map((e) => [e.node.version, e.node.reportId, e.node.testCoverage])).toEqual([['1.1', expect.stringMatching(/^sha256:/), 0.7], ['1.2', 'job-1', 0.81]]);
    expect(r.buildMetrics.edges[1]!.node.benchmarks).toEqual([{ name: 'p95', value: 119, unit: 'ms' }]);
    expect(r.buildMetrics.edges[1]!.node.reportedBy).toMatch(/^[0-9a-f]{12} \(ci-\d+\)$/);
  });
});
