import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseTransitionSink, InMemoryBreachPublisher } from '../../../engine/adapters/breach-publishers.ts';
import { ClickHouseRollupLoader } from '../../../engine/adapters/clickhouse-rollup-loader.ts';
import { ClickHouseSloStateStore } from '../../../engine/adapters/clickhouse-slo-state-store.ts';
import { SloJudge } from '../../../engine/adapters/slo-judge.ts';
import type { Slo } from '../../../engine/core/slo/slo-definition.ts';
import type { MinuteBucketDelta } from '../../../engine/core/window/minute-bucket.ts';
import { toDateTime64 } from '../../../platform/clickhouse/clickhouse-time.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { testSlo, SLO_KEY } from '../core/fixtures/slo-fixtures.ts';
import { migratedDatabase } from '../../support/test-services.ts';
import { rollupRows } from './support/cluster-ingest.ts';

const MIN = 60_000;
const DAY = 86_400_000;
/** Now, for these tests: a minute boundary one hour ago (data is in the past, as after an outage). */
const NOW = Math.floor(Date.now() / MIN) * MIN - 3_600_000;
const SOURCE = 'sluice.spans.v1';

describe('SLO judge state and history in ClickHouse', () => {
  let client: ClickHouseClient;
  beforeAll(async () => {
    ({ client } = await migratedDatabase('judge_state'));
  });
  afterAll(async () => {
    await client?.close();
  });

  function judge(slos: Slo[], nowMs: number, published = new InMemoryBreachPublisher()) {
    return new SloJudge({
      slos, laneOf: () => 0, allowedLatenessMs: 30_000, idleSourceMs: 10_000,
      history: new ClickHouseRollupLoader(client), states: new ClickHouseSloStateStore(client, silentLogger()),
      publishers: [new ClickHouseTransitionSink(client), published], logger: silentLogger(), now: () => nowMs, owner: 'test',
    });
  }

  /** Writes deltas of one segment as ingest would (rollup rows). */
  async function durable(sloName: string, buckets: MinuteBucketDelta[], lo: number, hi: number): Promise<void> {
    const rows = rollupRows({ deltas: [{ sloName, position: { source: SOURCE, partition: 0, lo, hi }, buckets }], progress: [] }, Date.now());
    for (let i = 0; i < rows.length; i += 10_000) await client.insert({ table: 'sli_rollups', format: 'JSONEachRow', values: rows.slice(i, i + 10_000) });
  }

  /** Progress saying every source is caught up and idle at nowMs (event time may end there). */
  const idleProgress = (nowMs: number) => ({ deltas: [], progress: [{ source: SOURCE, partition: 0, signal: 'spans' as const, hi: 1_000_000, caughtUp: true, reportedAtMs: nowMs }] });

  it('restores a 90-day SLO with its consumed budget and a BREACHED one without re-publishing anything', async () => {
    const long = testSlo({ minEvents: 100, timeWindow: [{ duration: '90d', isRolling: true }] });
    const burning: Slo = { ...testSlo({ minEvents: 100 }), name: 'checkout-burning' };
    // 91 days, 10 requests every 10 minutes, a failure every 3 days in the window: 23.1 % of the 90 days' budget
    const history: MinuteBucketDelta[] = [];
    for (let t = NOW - 91 * DAY, i = 0; t < NOW; t += 10 * MIN, i++) {
      history.push({ key: SLO_KEY, minuteStartMs: t, good: i % 432 === 0 && t >= NOW - 90 * DAY ? 9 : 10, total: 10, lateEvents: 0 });
    }
    await durable(long.name, history, 0, 99);
    // the other SLO: 2 hours clean, then the last 20 minutes half failing
    const burn: MinuteBucketDelta[] = [];
    for (let t = NOW - 140 * MIN; t < NOW; t += MIN) {
      burn.push({ key: { ...SLO_KEY, sloName: burning.name }, minuteStartMs: t, good: t >= NOW - 20 * MIN ? 15 : 30, total: 30, lateEvents: 0 });
    }
    await durable(burning.name, burn, 0, 99);

    const firstPublished = new InMemoryBreachPublisher();
    const first = judge([long, burning], NOW, firstPublished);
    await first.assignLanes([0]);
    first.apply(idleProgress(NOW));
    first.tick();
    await first.stop();
    const before = new Map((await first.list()).map((s) => [s.sloName, s]));
    expect(firstPublished.transitions.map((t) => `${t.sloName} ${t.from}→${t.to}`)).toEqual([`${long.name} UNKNOWN→OK`, `${burning.name} UNKNOWN→OK`, `${burning.name} OK→WARNING`, `${burning.name} WARNING→BREACHED`]);
    expect(before.get(long.name)!.evaluation!.budget.consumedRatio).toBeCloseTo(30 / 129.6, 9);

    // a new judge (restart, or the next owner) on the same ClickHouse
    const secondPublished = new InMemoryBreachPublisher();
    const second = judge([long, burning], NOW + MIN, secondPublished);
    await second.assignLanes([0]);
    const restored = new Map((await second.list()).map((s) => [s.sloName, s]));
    for (const name of [long.name, burning.name]) {
      expect({ status: restored.get(name)!.status, through: restored.get(name)!.evaluatedThroughMs, consumed: restored.get(name)!.evaluation?.budget.consumedRatio })
        .toEqual({ status: before.get(name)!.status, through: before.get(name)!.evaluatedThroughMs, consumed: before.get(name)!.evaluation?.budget.consumedRatio });
    }
    second.apply(idleProgress(NOW + MIN));
    second.tick();
    await second.stop();
    const after = new Map((await second.list()).map((s) => [s.sloName, s]));
    expect(after.get(long.name)!.evaluatedThroughMs).toBe(NOW);
    expect(after.get(long.name)!.evaluation!.budget.total).toBe(90 * 144 * 10); // all 90 days restored, not 35
    expect(after.get(burning.name)!.status).toBe('BREACHED');
    expect(secondPublished.transitions).toEqual([]);
    const rows = await (await client.query({ query: 'SELECT count() AS n, uniqExact(transition_id) AS ids FROM slo_transitions', format: 'JSONEachRow' })).json<{ n: string | number; ids: string | number }>();
    expect({ n: Number(rows[0]!.n), ids: Number(rows[0]!.ids) }).toEqual({ n: 4, ids: 4 }); // each written once
  });

  it('keeps the latest snapshot of an SLO, hides removed ones, and leaves out rows it cannot read', async () => {
    const store = new ClickHouseSloStateStore(client, silentLogger());
    const slo = { ...testSlo(), name: 'state-roundtrip' };
    const j = judge([slo], NOW);
    await j.assignLanes([0]);
    await j.stop();
    const [snapshot] = await j.list();
    await store.save([{ ...snapshot!, reason: 'newer', updatedAtMs: NOW + 2_000 }]);
    await store.save([{ ...snapshot!, reason: 'older', updatedAtMs: NOW + 1_000 }]);
    expect((await store.get(slo.name))!.reason).toBe('newer');
    await client.insert({ table: 'slo_state', format: 'JSONEachRow', values: [{ slo: 'unreadable', snapshot: '{"schemaVersion":99}', updated_at: toDateTime64(3_000), deleted: 0 }] });
    expect((await store.list()).map((s) => s.sloName)).toContain(slo.name);
    expect((await store.list()).map((s) => s.sloName)).not.toContain('unreadable');
    await store.remove([slo.name], NOW + 4_000);
    expect(await store.get(slo.name)).toBeUndefined();
    expect((await store.load([slo.name])).size).toBe(0);
  });

  it('restores each SLO from its own horizon and the highest segment end inside it', async () => {
    const loader = new ClickHouseRollupLoader(client);
    const key = { ...SLO_KEY, sloName: 'horizon-a' };
    await durable('horizon-a', [{ key, minuteStartMs: NOW - 10 * DAY, good: 1, total: 1, lateEvents: 0 }], 0, 5);
    await durable('horizon-a', [{ key, minuteStartMs: NOW - MIN, good: 2, total: 3, lateEvents: 1 }, { key, minuteStartMs: NOW - MIN, good: 1, total: 1, lateEvents: 0 }], 6, 9);
    await durable('horizon-a', [{ key, minuteStartMs: NOW - 20 * DAY, good: 1, total: 1, lateEvents: 0 }], 10, 12);
    const restored = await loader.loadRollups([{ sloName: 'horizon-a', sinceMs: NOW - 15 * DAY }, { sloName: 'horizon-none', sinceMs: 0 }]);
    expect(restored.buckets.map((b) => [b.minuteStartMs, b.good, b.total, b.lateEvents]).sort()).toEqual([[NOW - 10 * DAY, 1, 1, 0], [NOW - MIN, 3, 4, 1]].sort());
    // the segment ending at 12 has no row inside the horizon: replaying it changes no restored bucket
    expect(restored.applied).toEqual([{ sloName: 'horizon-a', source: SOURCE, partition: 0, hi: 9 }]);
  });
});
