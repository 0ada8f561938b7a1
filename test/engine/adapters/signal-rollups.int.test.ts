import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseHistoryStore } from '../../../engine/adapters/clickhouse-history-store.ts';
import { SignalRollupParticipant } from '../../../engine/adapters/signal-rollup-participant.ts';
import { loadSloHistory } from '../../../engine/adapters/slo-history-loader.ts';
import { countEvent } from '../../../engine/core/sli/sli-counter.ts';
import { buildSlo, SloDefinitionSchema, type Slo } from '../../../engine/core/slo/slo-definition.ts';
import { MinuteBucketStore } from '../../../engine/core/window/minute-bucket-store.ts';
import { IngestMetrics } from '../../../ingest/pipeline/ingest-metrics.ts';
import { IngestPipeline } from '../../../ingest/pipeline/ingest-pipeline.ts';
import { ClickHouseProgressStore } from '../../../ingest/pipeline/partition-progress.ts';
import { buildRowSampler } from '../../../ingest/sampling/row-sampler.ts';
import { IngestSegment } from '../../../ingest/pipeline/ingest-segment.ts';
import { ClickHouseRowWriter } from '../../../ingest/sink/clickhouse-row-writer.ts';
import { loadMigrations, migrate } from '../../../platform/clickhouse/migrations.ts';
import { connectClickHouse } from '../../../platform/clickhouse/clickhouse-connection.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { mulberry32 } from '../../../platform/random/mulberry32.ts';
import { CheckResultV1Schema } from '../../../schema/events/v1/check-result.ts';
import { LogRecordV1Schema } from '../../../schema/events/v1/log-record.ts';
import type { SluiceEvent } from '../../../schema/events/v1/signal.ts';
import { SpanV1Schema } from '../../../schema/events/v1/span.ts';
import { migratedDatabase, services, uniqueName } from '../../support/test-services.ts';

const MIN = 60_000;
const START = Math.floor((Date.now() - 3 * 3_600_000) / MIN) * MIN;
const END = START + 2 * 3_600_000;

const slo = (name: string, service: string, indicator: Record<string, unknown>): Slo => buildSlo(SloDefinitionSchema.parse({
  apiVersion: 'sluice/v1', kind: 'SLO', metadata: { name },
  spec: { service, environment: 'production', tier: 'standard', indicator, objectives: [{ target: 0.99 }], timeWindow: [{ duration: '7d', isRolling: true }], alerting: { rules: [{ severity: 'page', longWindow: '1h', shortWindow: '5m', burnRate: 14.4 }] } },
}));

/** Events of every kind over two hours: spans of two routes and kinds with assorted status codes and durations, logs, checks. */
function events(seed: number): SluiceEvent[] {
  const random = mulberry32(seed);
  const out: SluiceEvent[] = [];
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  // random trace ids: the sampler keeps a trace by its id's low bits
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  for (let i = 0; i < 6_000; i++) {
    const t = START + Math.floor(random() * (END - START));
    const code = pick([200, 200, 200, 201, 404, 429, 500, 503, undefined]);
    out.push({ signal: 'spans', event: SpanV1Schema.parse({
      service: 'shop', environment: pick(['production', 'production', 'staging']), version: pick(['1.0', '1.1']), kind: pick(['server', 'server', 'client', 'consumer']),
      route: pick(['/cart', '/pay']), operation: pick(['GET /cart', 'POST /pay']), traceId: hex(32), spanId: hex(16),
      startTimeMs: t, durationMs: Math.round(random() ** 3 * 2_000 * 1000) / 1000, status: random() < 0.03 ? 'error' : 'ok', ...(code === undefined ? {} : { httpStatusCode: code }),
    }) });
    if (i % 3 === 0) out.push({ signal: 'logs', event: LogRecordV1Schema.parse({ service: 'shop', timestampMs: t, severityNumber: pick([5, 9, 9, 13, 17, 21]), body: pick(['ok', 'payment failed: card declined', 'timeout']), attributes: { component: pick(['cart', 'pay']) } }) });
    if (i % 5 === 0) out.push({ signal: 'checks', event: CheckResultV1Schema.parse({ checkId: pick(['smoke', 'deep']), service: 'shop', timestampMs: t, success: random() < 0.9, durationMs: 100 + random() * 900, journey: pick(['buy', 'browse']), location: pick(['eu', 'us']) }) });
  }
  return out;
}

describe('signal rollups', () => {
  let client: ClickHouseClient;
  beforeAll(async () => {
    ({ client } = await migratedDatabase('signal_rollups'));
  });
  afterAll(async () => {
    await client?.close();
  });

  const slos = [
    slo('avail', 'shop', { kind: 'availability' }),
    slo('avail-pay-4xx', 'shop', { kind: 'availability', route: '/pay', minBadHttpStatus: 400, spanKinds: ['server', 'client'] }),
    slo('avail-op', 'shop', { kind: 'availability', operation: 'GET /cart', spanKinds: ['consumer'] }),
    slo('latency-300', 'shop', { kind: 'latency', thresholdMs: 300 }),
    slo('latency-edge', 'shop', { kind: 'latency', thresholdMs: 1_000, route: '/cart' }),
    slo('logs', 'shop', { kind: 'errorLogRatio', minBadSeverity: 13 }),
    slo('logs-match', 'shop', { kind: 'errorLogRatio', match: { field: 'body', contains: 'payment' } }),
    slo('logs-attr', 'shop', { kind: 'errorLogRatio', minBadSeverity: 21, match: { field: 'attributes.component', equals: 'pay' } }),
    slo('checks', 'shop', { kind: 'syntheticSuccess' }),
    slo('checks-buy-eu', 'shop', { kind: 'syntheticSuccess', journey: 'buy', location: 'eu', checkId: 'deep' }),
  ];

  it('rebuilds every indicator kind exactly as the engine counted it (latency within its stated bound; log matches from raw rows)', async () => {
    const pipeline = new IngestPipeline({
      writer: new ClickHouseRowWriter(client), progress: new ClickHouseProgressStore(client), writerId: 'test', metrics: new IngestMetrics(),
      logger: silentLogger(), now: Date.now, batchMaxRows: 2_000, batchMaxDelayMs: 1_000, participants: [new SignalRollupParticipant()],
    });
    const all = events(5);
    for (let i = 0; i < all.length; i += 500) {
      for (const signal of ['spans', 'logs', 'checks'] as const) {
        const items = all.slice(i, i + 500).filter((e) => e.signal === signal).map((value) => ({ ok: true as const, value }));
        if (items.length > 0) await pipeline.accept(`test/${signal}`, signal, items);
      }
      await pipeline.flush();
    }
    // what the engine counts (sli-counter.ts), minute by minute
    const counted = new MinuteBucketStore({ allowedLatenessMs: MIN });
    for (const e of all) countEvent(slos, e, 'x', counted);

    const store = new ClickHouseHistoryStore(client);
    for (const s of slos) {
      const loaded = await loadSloHistory(store, s, { fetchFromMs: START - 3_600_000, reportFromMs: START, toMs: END + MIN, source: 'signals' });
      // every minute with events (all versions of the SLO's scope together)
      const minutes = [...new Set(counted.buckets({ sloName: s.name }, -Infinity, Infinity).map((b) => b.minuteStartMs))];
      const want = minutes.map((m) => ({ minuteStartMs: m, ...counted.sum({ sloName: s.name }, m, m + MIN) }));
      expect(want.length, s.name).toBeGreaterThan(10);
      let uncertain = 0;
      for (const b of want) {
        const got = loaded.series.sum({}, b.minuteStartMs, b.minuteStartMs + MIN);
        const u = loaded.series.uncertainBetween(b.minuteStartMs, b.minuteStartMs + MIN);
        expect(got.total, `${s.name} total at ${b.minuteStartMs}`).toBe(b.total);
        // latency: the threshold's bucket is counted bad; the truth lies within it
        expect(got.good, `${s.name} good at ${b.minuteStartMs}`).toBeLessThanOrEqual(b.good);
        expect(got.good + u, `${s.name} good + uncertain at ${b.minuteStartMs}`).toBeGreaterThanOrEqual(b.good);
        if (s.indicator.kind !== 'latency') expect(got.good).toBe(b.good);
        uncertain += u;
      }
      expect(loaded.series.totalBetween(START - 3_600_000, END + MIN)).toBe(want.reduce((n, b) => n + b.total, 0));
      if (s.indicator.kind === 'latency') {
        expect(loaded.latencyBound!.uncertainEvents).toBe(uncertain);
        expect(loaded.latencyBound!.lowerThresholdMs).toBeLessThan(s.indicator.thresholdMs);
        expect(loaded.latencyBound!.upperThresholdMs).toBeGreaterThanOrEqual(s.indicator.thresholdMs);
        expect(loaded.latencyBound!.upperThresholdMs / loaded.latencyBound!.lowerThresholdMs).toBeCloseTo(1.005 / 0.995, 12);
      }
      if (s.indicator.kind === 'errorLogRatio' && s.indicator.match !== undefined) {
        expect(loaded.basis.map((b) => b.source)).toEqual(['raw-logs']);
        expect(loaded.limits.join(' ')).toMatch(/kept 14 days/);
      } else {
        expect(loaded.basis.map((b) => b.source)).toEqual(['signals']);
      }
    }
  });

  it('writes a replayed segment once: its rows go under the segment\'s deduplication token, like sli_rollups', async () => {
    const participant = new SignalRollupParticipant();
    const segment = new IngestSegment({ source: 'sluice.spans.v1', partition: 7, signal: 'spans', generation: 1 });
    const some = events(8).filter((e) => e.signal === 'spans').slice(0, 300);
    some.forEach((e, i) => {
      segment.cover(1_000 + i);
      participant.observe(e, segment);
    });
    const [{ table, rows }] = participant.rowsOf(segment) as [{ table: string; rows: Record<string, unknown>[] }];
    const writer = new ClickHouseRowWriter(client);
    // the first attempt, and the replay after a crash that came before `done`: same rows, same token
    await writer.insert(table, rows, segment.token(table));
    await writer.insert(table, rows, segment.token(table));
    const [row] = await (await client.query({ query: "SELECT sum(count) AS n FROM signal_rollups WHERE source_partition = 7 AND source = 'sluice.spans.v1'", format: 'JSONEachRow' })).json<{ n: string }>();
    expect(Number(row!.n)).toBe(300);
  });

  it('backfills from raw rows weighted by 1/p when the migration runs, and says the counts are estimates', async () => {
    const { clickhouseUrl, clickhouseUser, clickhousePassword } = services();
    const database = uniqueName('t_backfill');
    const fresh = await connectClickHouse({ url: clickhouseUrl, username: clickhouseUser, password: clickhousePassword, database });
    try {
      const migrations = await loadMigrations();
      // the schema before signal rollups, plus the progress log's later column this code's pipeline writes
      await migrate(fresh, migrations.filter((m) => m.id < '0011' || m.id.startsWith('0026_')));
      // raw rows written before signal rollups existed, sampled at 10 % (errors kept at 100 %)
      const pipeline = new IngestPipeline({
        writer: new ClickHouseRowWriter(fresh), progress: new ClickHouseProgressStore(fresh), writerId: 'old', metrics: new IngestMetrics(),
        logger: silentLogger(), now: Date.now, batchMaxRows: 10_000, batchMaxDelayMs: 1_000,
        sampler: buildRowSampler({ sampleRate: 0.1, sampleErrorRate: 1, sampleRates: {} }),
      });
      const all = events(6).filter((e) => e.signal === 'spans');
      await pipeline.accept('old/spans', 'spans', all.map((value) => ({ ok: true as const, value })));
      await pipeline.flush();
      await migrate(fresh, migrations);
      const s = slos[0]!;
      const loaded = await loadSloHistory(new ClickHouseHistoryStore(fresh), s, { fetchFromMs: START - 3_600_000, reportFromMs: START, toMs: END + MIN, source: 'signals' });
      const counted = new MinuteBucketStore({ allowedLatenessMs: MIN });
      for (const e of all) countEvent([s], e, 'x', counted);
      const truth = counted.sum({ sloName: s.name }, START - 3_600_000, END + MIN);
      const estimate = loaded.series.sum({}, START - 3_600_000, END + MIN);
      expect(loaded.estimatedMinutes).toBeGreaterThan(0);
      expect(loaded.limits.join(' ')).toMatch(/minutes are estimates: rebuilt from sampled raw rows/);
      // every error row was kept (weight 1): bad events exact; good ones an unbiased estimate, here within 10 %
      expect(estimate.total - estimate.good).toBe(truth.total - truth.good);
      expect(Math.abs(estimate.total - truth.total) / truth.total).toBeLessThan(0.1);
    } finally {
      await fresh.close();
    }
  });
});
