import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseCanarySource } from '../../../engine/adapters/clickhouse-canary-source.ts';
import { ClickHouseDeliveryHistory } from '../../../engine/adapters/clickhouse-delivery-history.ts';
import { ClickHouseTransitionSink } from '../../../engine/adapters/breach-publishers.ts';
import { SliEngine } from '../../../engine/adapters/sli-engine.ts';
import { compareCanary, type ErrorRatioCheck, type LatencyCheck } from '../../../engine/core/canary/canary-comparison.ts';
import { doraMetrics } from '../../../engine/core/dora/benchmark-report.ts';
import { JsonEventDecoder } from '../../../ingest/decode/json-event-decoder.ts';
import { IngestMetrics } from '../../../ingest/pipeline/ingest-metrics.ts';
import { IngestPipeline } from '../../../ingest/pipeline/ingest-pipeline.ts';
import { ClickHouseProgressStore } from '../../../ingest/pipeline/partition-progress.ts';
import { buildRowSampler } from '../../../ingest/sampling/row-sampler.ts';
import { ClickHouseRowWriter } from '../../../ingest/sink/clickhouse-row-writer.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import type { Signal } from '../../../schema/events/v1/signal.ts';
import { spanJson } from '../../support/span-fixtures.ts';
import { availabilitySloYaml, sloDirectory } from '../../support/slo-files.ts';
import { migratedDatabase } from '../../support/test-services.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * The readers behind canaryComparison and doraMetrics against the real ClickHouse engine:
 * events go through the ingest pipeline (sampling raw rows at 50 %, exact rollups), and the
 * answers are what the pure core gives on the same data — with ClickHouse's own
 * mannWhitneyUTest as a reference for the latency statistics.
 */
describe('release readers over ClickHouse', () => {
  let client: ClickHouseClient;
  let engine: SliEngine;
  let pipeline: IngestPipeline;
  const decoders = new Map<Signal, JsonEventDecoder>();
  const accept = async (signal: Signal, values: object[]) => {
    let decoder = decoders.get(signal);
    if (!decoder) decoders.set(signal, (decoder = new JsonEventDecoder(signal)));
    await pipeline.accept(`test/${signal}`, signal, values.flatMap((v) => decoder!.decode(Buffer.from(JSON.stringify(v)))));
  };

  beforeAll(async () => {
    ({ client } = await migratedDatabase('releases'));
    engine = await SliEngine.start({ clickhouse: client, logger: silentLogger(), sloDir: sloDirectory({ 'pay.yaml': availabilitySloYaml('pay-availability', 'pay') }), allowedLatenessMs: 2_000, idleSourceMs: 1_000 });
    pipeline = new IngestPipeline({
      writer: new ClickHouseRowWriter(client), progress: new ClickHouseProgressStore(client), writerId: 'test', metrics: new IngestMetrics(), logger: silentLogger(),
      now: Date.now, batchMaxRows: 50_000, batchMaxDelayMs: 1_000, participants: [engine.participant],
      // raw rows: 50 % of the successful traces (weight 2), every error (weight 1); rollups count everything
      sampler: buildRowSampler({ sampleRate: 0.5, sampleErrorRate: 1, sampleRates: {} }),
    });
  });
  afterAll(async () => {
    await engine?.stop();
    await client?.close();
  });

  it('canary: exact counts per version despite sampling, and the Mann–Whitney U of the shared weight as ClickHouse computes it', async () => {
    const start = Math.floor((Date.now() - 40 * MIN) / MIN) * MIN;
    const b = (i: number) => 40 + ((i * 37) % 101) * 0.5;
    const c = (i: number) => 55 + ((i * 53) % 103) * 0.5;
    type Span = { version: string; status: string; startTimeMs: number; durationMs: number };
    const span = (i: number, version: string, error: boolean, startTimeMs: number, durationMs: number) => ({ ...spanJson(i, { service: 'pay', version, error, startTimeMs }), durationMs }) as Record<string, unknown> & Span;
    const spans: Span[] = [
      ...Array.from({ length: 2_000 }, (_, i) => span(i, '1.0.0', i % 100 === 0, start + i * 600, b(i))),
      ...Array.from({ length: 2_000 }, (_, i) => span(10_000 + i, '1.1.0', i % 20 === 0, start + i * 600 + 300, c(i))),
    ];
    await accept('spans', spans);
    await pipeline.flush();
    const fromMs = start;
    const toMs = start + 30 * MIN;
    const source = new ClickHouseCanarySource(client, engine.judge);
    const input = await source.load({ service: 'pay', environment: 'production', baselineVersion: '1.0.0', canaryVersion: '1.1.0', fromMs, toMs });
    // exact counts over the whole minutes of [from, to): by event time, a span's end
    const inRange = (s: { startTimeMs: number; durationMs: number }) => s.startTimeMs + s.durationMs >= fromMs && s.startTimeMs + s.durationMs < toMs;
    const count = (version: string) => {
      const of = spans.filter((s) => s.version === version && inRange(s));
      return { good: of.filter((s) => s.status === 'ok').length, total: of.length };
    };
    expect(input.errorCounts).toEqual([{ source: 'slo:pay-availability', baseline: count('1.0.0'), canary: count('1.1.0') }]);

    const result = compareCanary(input);
    expect(result.verdict).toBe('FAIL');
    const errors = result.checks.find((k): k is ErrorRatioCheck => k.kind === 'error-ratio')!;
    expect(errors.status).toBe('FAIL');
    const latency = result.checks.find((k): k is LatencyCheck => k.kind === 'latency')!;
    expect(latency).toMatchObject({ status: 'FAIL', weight: 2, method: 'asymptotic' });

    // reference: ClickHouse's mannWhitneyUTest over the same rows (two-sided, continuity correction).
    // Its p-value underflows to 0 this far out (ours: ~1e-83), so p is compared on a second pair below
    const reference = async (baseline: string, canary: string) => {
      const rs = await client.query({
        query: `SELECT tupleElement(t, 1) AS u, tupleElement(t, 2) AS p, canary, baseline FROM (
                SELECT mannWhitneyUTest('two-sided', 1)(duration_ms, version = {baseline:String}) AS t,
                       countIf(version = {canary:String}) AS canary, countIf(version = {baseline:String}) AS baseline
                FROM spans_raw WHERE service = 'pay' AND version IN ({baseline:String}, {canary:String}) AND sample_weight = 2 AND kind = 'server'
                  AND start_time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND start_time < fromUnixTimestamp64Milli({to:Int64}, 'UTC'))`,
        query_params: { from: fromMs, to: toMs, baseline, canary },
        format: 'JSONEachRow',
      });
      const [row] = await rs.json<{ u: number; p: number; canary: string; baseline: string }>();
      return { u: row!.u, p: row!.p, canary: Number(row!.canary), baseline: Number(row!.baseline) };
    };
    const clickhouse = await reference('1.0.0', '1.1.0');
    expect({ canary: latency.canary.samples, baseline: latency.baseline.samples }).toEqual({ canary: clickhouse.canary, baseline: clickhouse.baseline });
    // ClickHouse reports one of the two U statistics; ours is the canary's
    expect([latency.u, latency.canary.samples * latency.baseline.samples - latency.u!]).toContainEqual(clickhouse.u);
    console.log(`[canary] ${latency.canary.samples} / ${latency.baseline.samples} rows of weight 2: U ${latency.u}, p ${latency.pTwoSided!.toExponential(3)} (ClickHouse: U ${clickhouse.u}, p ${clickhouse.p}); ${latency.canary.excluded} / ${latency.baseline.excluded} error rows of weight 1 left out`);

    // two versions with the same latency distribution: a moderate p-value, as ClickHouse computes it
    await accept('spans', [
      ...Array.from({ length: 1_000 }, (_, i) => ({ ...spanJson(20_000 + i, { service: 'pay', version: '2.0.0', startTimeMs: start + i * 1_200 }), durationMs: b(i) })),
      ...Array.from({ length: 1_000 }, (_, i) => ({ ...spanJson(30_000 + i, { service: 'pay', version: '2.0.1', startTimeMs: start + i * 1_200 + 600 }), durationMs: b(i + 500) })),
    ]);
    await pipeline.flush();
    const same = compareCanary(await source.load({ service: 'pay', environment: 'production', baselineVersion: '2.0.0', canaryVersion: '2.0.1', fromMs, toMs }));
    const sameLatency = same.checks.find((k): k is LatencyCheck => k.kind === 'latency')!;
    const sameReference = await reference('2.0.0', '2.0.1');
    expect(sameLatency.status).toBe('PASS');
    expect([sameLatency.u, sameLatency.canary.samples * sameLatency.baseline.samples - sameLatency.u!]).toContainEqual(sameReference.u);
    expect(Math.abs(sameLatency.pTwoSided! - sameReference.p) / sameReference.p).toBeLessThan(1e-6);
    console.log(`[canary] same distribution: p ${sameLatency.pTwoSided} (ClickHouse ${sameReference.p})`);
  });

  it('DORA: the attribution trap through storage — the deploy serving when the incident opened', async () => {
    const t0 = Math.floor((Date.now() - 60 * DAY) / DAY) * DAY;
    const deploy = (id: string, version: string, finishedAtMs: number, extra: Record<string, unknown> = {}) => ({
      deployId: id, service: 'checkout', environment: 'production', version, team: 'web', commitSha: 'abcdef1234', commitTimeMs: finishedAtMs - 2 * HOUR,
      startedAtMs: finishedAtMs - 10 * MIN, finishedAtMs, status: 'succeeded', ...extra,
    });
    await accept('deploys', [
      deploy('c1', '1', t0),
      deploy('c2', '2', t0 + 8 * DAY),
      deploy('c3', '3', t0 + 12 * DAY, { status: 'rolled_back', attributes: { rolledBackAtMs: String(t0 + 12 * DAY + 2 * HOUR) } }),
      deploy('c4', '4', t0 + 13 * DAY, { environment: 'staging' }),
      deploy('p1', '9', t0 + 13.5 * DAY, { service: 'payments' }),
      deploy('c5', '5', t0 + 13.8 * DAY, { status: 'failed' }),
    ]);
    await accept('incidents', [
      { incidentId: 'INC-1', service: 'checkout', severity: 'SEV2', openedAtMs: t0 + 14 * DAY, resolvedAtMs: t0 + 14 * DAY + 90 * MIN },
      { incidentId: 'INC-2', service: 'checkout', severity: 'SEV2', openedAtMs: t0 + 30 * DAY, resolvedAtMs: t0 + 30 * DAY + HOUR },
    ]);
    await pipeline.flush();
    // the breach stream: checkout-availability BREACHED 30 min into c3, RECOVERED 2 h later
    const transition = (from: string, to: string, atMs: number) => ({
      sloName: 'checkout-availability', key: { sloName: 'checkout-availability', service: 'checkout', environment: 'production' }, from, to, atMs, reason: `${to}`,
      rule: to === 'BREACHED' ? 'page-1h-5m' : undefined, windows: [], budget: {} as never, freshness: { fresh: true }, basis: 'event-time' as const,
      transitionId: `checkout-availability|${from}|${to}|${atMs}|event-time`, publishedAtMs: Date.now(),
    });
    await new ClickHouseTransitionSink(client).publish([
      transition('OK', 'BREACHED', t0 + 12 * DAY + 30 * MIN) as never,
      transition('BREACHED', 'RECOVERED', t0 + 12 * DAY + 150 * MIN) as never,
    ]);

    const history = await new ClickHouseDeliveryHistory(client).load({ fromMs: t0, toMs: t0 + 31 * DAY, environments: ['production'], lookbackMs: 7 * DAY, lookaheadMs: 7 * DAY, nowMs: Date.now() });
    expect(history.breaches).toEqual([expect.objectContaining({ slo: 'checkout-availability', startMs: t0 + 12 * DAY + 30 * MIN, endMs: t0 + 12 * DAY + 150 * MIN })]);
    const m = doraMetrics(history, { environment: 'production' }, t0, t0 + 31 * DAY);
    expect(m.keys).toMatchObject({ deployments: 4, failedAttempts: 1, changeFailureRate: { failed: 2, deployments: 4 } });
    expect(m.failedDeployments.map((f) => [f.deployId, f.causes.map((c) => c.kind)])).toEqual([['c2', ['incident']], ['c3', ['rollback', 'slo-breach']]]);
    expect(m.unattributed.map((u) => u.id)).toEqual(['INC-2']);
  });
});
