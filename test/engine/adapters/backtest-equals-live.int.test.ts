import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublishedTransition } from '../../../engine/adapters/breach-publisher.ts';
import { ClickHouseHistoryStore } from '../../../engine/adapters/clickhouse-history-store.ts';
import { SignalRollupParticipant } from '../../../engine/adapters/signal-rollup-participant.ts';
import { SliEngine } from '../../../engine/adapters/sli-engine.ts';
import { SloHistoryService } from '../../../engine/adapters/slo-history-service.ts';
import type { BreachTransition } from '../../../engine/core/breach/breach-state-machine.ts';
import { EmbeddedFlusher } from '../../../ingest/pipeline/embedded-flusher.ts';
import { IngestMetrics } from '../../../ingest/pipeline/ingest-metrics.ts';
import { IngestPipeline } from '../../../ingest/pipeline/ingest-pipeline.ts';
import { ClickHouseProgressStore } from '../../../ingest/pipeline/partition-progress.ts';
import { ClickHouseRowWriter } from '../../../ingest/sink/clickhouse-row-writer.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { mulberry32 } from '../../../platform/random/mulberry32.ts';
import { SpanV1Schema } from '../../../schema/events/v1/span.ts';
import { sloDirectory } from '../../support/slo-files.ts';
import { migratedDatabase, waitFor } from '../../support/test-services.ts';

const MIN = 60_000;
const HOUR = 3_600_000;

const SLOS = {
  'live.yaml': `apiVersion: sluice/v1
kind: SLO
metadata: { name: live-availability }
spec:
  service: live
  environment: production
  tier: critical
  indicator: { kind: availability }
  objectives: [{ target: 0.999 }]
  timeWindow: [{ duration: 28d, isRolling: true }]
  minEvents: 100
---
apiVersion: sluice/v1
kind: SLO
metadata: { name: live-latency }
spec:
  service: live
  environment: production
  tier: standard
  indicator: { kind: latency, thresholdMs: 300 }
  objectives: [{ target: 0.99 }]
  timeWindow: [{ duration: 7d, isRolling: true }]
  minEvents: 100
`,
};

/** What must be equal: every transition as subscribers see it. */
const view = (ts: readonly BreachTransition[]) => ts.map((t) => ({ slo: t.sloName, atMs: t.atMs, from: t.from, to: t.to, rule: t.rule ?? null, reason: t.reason }));

describe('one evaluator, two clocks', () => {
  let client: ClickHouseClient;
  beforeAll(async () => {
    ({ client } = await migratedDatabase('backtest_live'));
  });
  afterAll(async () => {
    await client?.close();
  });

  it('a backtest over the stored minutes gives the transitions the live judge published', async () => {
    // live: ingest (SLI deltas + signal rollups, written to ClickHouse) → the in-process judge, as `sluice start` runs them
    const engine = await SliEngine.start({ clickhouse: client, logger: silentLogger(), sloDir: sloDirectory(SLOS), allowedLatenessMs: 2_000, idleSourceMs: 1_000, tickMs: 100 });
    const published: PublishedTransition[] = [];
    engine.pubsub.subscribe('breachTransition', (t) => void published.push(t));
    const kick = { flusher: undefined as EmbeddedFlusher | undefined };
    const pipeline = new IngestPipeline({
      writer: new ClickHouseRowWriter(client), progress: new ClickHouseProgressStore(client), writerId: 'live-test', metrics: new IngestMetrics(),
      logger: silentLogger(), now: Date.now, batchMaxRows: 5_000, batchMaxDelayMs: 200,
      participants: [engine.participant, new SignalRollupParticipant()], onWaiting: () => kick.flusher?.kick(),
    });
    const flusher = new EmbeddedFlusher(pipeline, silentLogger(), 20);
    kick.flusher = flusher;
    flusher.start();
    // progress heartbeats, as embedded mode sends them: an idle source vouches for the wall clock
    const heartbeat = setInterval(() => void engine.participant.heartbeat().catch(() => undefined), 200);

    // 5 hours of traffic ending an hour ago: 40 requests a minute; 10 %-failing outage for 25 minutes (a page), a
    // slow 0.4 % burn for 2 hours (tickets), latency mostly 20 ms with slow stretches at 2 s (never near the 300 ms bucket)
    const random = mulberry32(21);
    const startMs = Math.floor((Date.now() - 6 * HOUR) / MIN) * MIN;
    let seq = 0;
    const spansOf = (minuteMs: number) => Array.from({ length: 40 }, (_, i) => {
      const t = minuteMs + i * 1_500;
      const offset = t - startMs;
      const failing = (offset >= 80 * MIN && offset < 105 * MIN && random() < 0.1) || (offset >= 150 * MIN && offset < 270 * MIN && random() < 0.004);
      const slow = (offset >= 30 * MIN && offset < 50 * MIN && random() < 0.5) || random() < 0.002;
      seq++;
      return {
        ok: true as const,
        value: {
          signal: 'spans' as const,
          event: SpanV1Schema.parse({
            service: 'live', environment: 'production', version: offset < 150 * MIN ? '1.0' : '1.1', kind: 'server', route: '/r', operation: 'GET /r',
            traceId: seq.toString(16).padStart(32, '0'), spanId: seq.toString(16).padStart(16, '0'), startTimeMs: t, durationMs: slow ? 2_000 : 20,
            status: failing ? 'error' : 'ok', httpStatusCode: failing ? 503 : 200,
          }),
        },
      };
    });
    for (let m = startMs; m < startMs + 5 * HOUR; m += 10 * MIN) {
      const items = Array.from({ length: 10 }, (_, k) => spansOf(m + k * MIN)).flat();
      await pipeline.accept('http/spans', 'spans', items, { wait: true });
    }
    // the source goes idle: its watermark follows the wall clock, and the judge evaluates the silence that follows
    const lastMinute = startMs + 5 * HOUR;
    await waitFor(async () => ((await engine.judge.get('live-availability'))?.evaluatedThroughMs ?? 0) >= lastMinute + 30 * MIN
      && ((await engine.judge.get('live-latency'))?.evaluatedThroughMs ?? 0) >= lastMinute + 30 * MIN, 60_000, 'the judge past the silence');
    clearInterval(heartbeat);
    await flusher.stop();
    await engine.stop();
    const through = Math.min(...(await engine.judge.list()).map((s) => s.evaluatedThroughMs!));
    const live = published.filter((t) => t.basis === 'event-time' && t.atMs <= through);
    expect(live.map((t) => `${t.sloName} ${t.to}`)).toEqual(expect.arrayContaining(['live-availability BREACHED', 'live-availability WARNING', 'live-latency BREACHED', 'live-latency WARNING']));

    // backtest over what is stored, from signal rollups (the SLOs' names play no part there) and from sli_rollups
    const service = new SloHistoryService({ store: new ClickHouseHistoryStore(client) });
    for (const source of ['signals', 'slo-rollups'] as const) {
      for (const slo of engine.definitions()) {
        const answer = await service.backtest({ slo, fromMs: startMs - HOUR, toMs: through, source });
        expect(view(answer.transitions), `${slo.name} from ${source}`).toEqual(view(live.filter((t) => t.sloName === slo.name)));
        if (slo.indicator.kind === 'latency' && source === 'signals') expect(answer.data.latencyBound?.uncertainEvents).toBe(0);
      }
    }
    console.log(`[backtest = live] ${live.length} event-time transitions: ${live.map((t) => `${t.sloName} ${t.from}→${t.to} @${new Date(t.atMs).toISOString().slice(11, 16)}`).join(', ')}`);
  }, 180_000);
});
