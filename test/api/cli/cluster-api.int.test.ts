import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, describe, expect, it } from 'vitest';
import { runClusterApi } from '../../../api/cli/cluster-modes.ts';
import { ClickHouseTransitionSink } from '../../../engine/adapters/breach-publishers.ts';
import { ClickHouseSloStateStore } from '../../../engine/adapters/clickhouse-slo-state-store.ts';
import { InMemorySliHistory } from '../../../engine/adapters/sli-history.ts';
import { SloJudge } from '../../../engine/adapters/slo-judge.ts';
import { toDateTime64 } from '../../../platform/clickhouse/clickhouse-time.ts';
import { parseConfig } from '../../../platform/config/sluice-config.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { testSlo } from '../../engine/core/fixtures/slo-fixtures.ts';
import { FakeIngest, span } from '../../engine/adapters/support/fake-ingest.ts';
import { migratedDatabase, services } from '../../support/test-services.ts';

const MIN = 60_000;

async function graphql<T>(url: string, query: string): Promise<T> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  const body = (await res.json()) as { data: T; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

describe('`sluice api` in cluster mode (item 3)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('answers `slos` from the judges’ persisted state and `health.deadLettered` from ClickHouse', async () => {
    const { client, database } = await migratedDatabase('cluster_api');
    cleanups.push(() => client.close());
    await judgeSomething(client);
    // 100 dead letters stored by ingest workers (none by this process)
    await client.insert({
      table: 'dead_letters', format: 'JSONEachRow',
      values: Array.from({ length: 100 }, (_, i) => ({
        received_at: toDateTime64(Date.now()), signal: 'spans', reason: i < 70 ? 'invalid_json' : 'oversized', detail: 'test',
        raw_base64: '', raw_bytes: 0, source: 'sluice.spans.v1', source_partition: 0, source_offset: i,
      })),
    });

    const config = parseConfig(['--port', '0', '--auth', 'off', '--clickhouse-url', services().clickhouseUrl, '--clickhouse-password', services().clickhousePassword, '--clickhouse-database', database], {});
    const api = await runClusterApi(config, silentLogger());
    cleanups.push(() => api.stop());

    type Slos = { slos: { name: string; status: string; eventTimeStatus: string; reason: string; judgedBy: string; evaluation: { at: number; good: number; total: number; budget: { exhausted: boolean; expectedTotal: number } }; freshness: { watermark: number; sources: { source: string; caughtUp: boolean; lagMs: number }[] } }[] };
    const { slos } = await graphql<Slos>(api.url, '{ slos { name status eventTimeStatus reason judgedBy evaluation { at good total budget { exhausted expectedTotal } } freshness { watermark sources { source caughtUp lagMs } } } }');
    expect(slos.map((s) => [s.name, s.status, s.eventTimeStatus, s.judgedBy])).toEqual([['checkout-availability', 'BREACHED', 'BREACHED', 'judge-7']]);
    expect(slos[0]!.evaluation.total).toBe(1_470); // 49 whole minutes: the watermark (newest event − 30 s lateness) passed 49 boundaries
    expect(slos[0]!.freshness.sources.map((s) => s.source)).toEqual(['sluice.spans.v1']);

    type Transitions = { sloTransitions: { from: string; to: string; basis: string }[] };
    const { sloTransitions } = await graphql<Transitions>(api.url, '{ sloTransitions(slo: "checkout-availability", basis: "event-time") { from to basis } }');
    expect(sloTransitions.map((t) => `${t.from}→${t.to}`)).toEqual(['OK→BREACHED', 'UNKNOWN→OK']);

    type Health = { health: { mode: string; deadLettered: { reason: string; count: number }[] } };
    const { health } = await graphql<Health>(api.url, '{ health { mode deadLettered { reason count } } }');
    expect(health).toEqual({ mode: 'cluster-api', deadLettered: [{ reason: 'invalid_json', count: 70 }, { reason: 'oversized', count: 30 }] });
  });
});

/** A judge elsewhere (as in a `sluice ingest` process) judges an outage and persists its state in ClickHouse. */
async function judgeSomething(client: ClickHouseClient): Promise<void> {
  const slo = testSlo({ minEvents: 100 });
  const start = Math.floor(Date.now() / MIN) * MIN - 60 * MIN;
  let nowMs = start;
  const judge = new SloJudge({
    slos: [slo], laneOf: () => 0, allowedLatenessMs: 30_000, idleSourceMs: 10_000, history: new InMemorySliHistory(),
    states: new ClickHouseSloStateStore(client), publishers: [new ClickHouseTransitionSink(client)], logger: silentLogger(), now: () => nowMs, owner: 'judge-7',
  });
  await judge.assignLanes([0]);
  const ingest = new FakeIngest(() => [slo], (batch) => judge.apply(batch));
  const source = { source: 'sluice.spans.v1', partition: 0, signal: 'spans' as const };
  for (let t = start; t < start + 50 * MIN; t += 2_000) {
    nowMs = t;
    ingest.add(source, span(t, { error: t >= start + 40 * MIN && (t / 2_000) % 2 === 0 }), t);
    if ((t - start) % 10_000 === 0) {
      ingest.flush(t);
      judge.tick();
    }
  }
  await judge.stop();
}
