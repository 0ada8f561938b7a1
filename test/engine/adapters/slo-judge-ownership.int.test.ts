import { afterAll, describe, expect } from 'vitest';
import { ClickHouseTransitionSink, InMemoryBreachPublisher } from '../../../engine/adapters/breach-publishers.ts';
import { ClickHouseRollupLoader } from '../../../engine/adapters/clickhouse-rollup-loader.ts';
import { ClickHouseSloStateStore } from '../../../engine/adapters/clickhouse-slo-state-store.ts';
import { KafkaSliDeltaSource } from '../../../engine/adapters/kafka-sli-delta-source.ts';
import { SloJudge } from '../../../engine/adapters/slo-judge.ts';
import { buildSlo, SloDefinitionSchema, type Slo } from '../../../engine/core/slo/slo-definition.ts';
import { sloPartition } from '../../../engine/core/window/sli-segment.ts';
import { fromDateTime64 } from '../../../platform/clickhouse/clickhouse-time.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { createTopics, kafkaIt, migratedDatabase, testKafka, uniqueName, waitFor } from '../../support/test-services.ts';
import { clusterIngest } from './support/cluster-ingest.ts';
import { span, type FakeSource } from './support/fake-ingest.ts';

const MIN = 60_000;
const PARTITIONS = 6;
/** The scenario runs in the past (as a backlog): 3 hours of event time ending 30 minutes before BASE. */
const BASE = Math.floor(Date.now() / MIN) * MIN;
const START = BASE - 210 * MIN;
const END = BASE - 30 * MIN;
const HALF = START + 90 * MIN;
/** Transitions are compared up to here (silence after END is seen at END + 10 m). */
const COMPARED = BASE - 10 * MIN;

const SLOS: Slo[] = Array.from({ length: 6 }, (_, k) => buildSlo(SloDefinitionSchema.parse({
  apiVersion: 'sluice/v1', kind: 'SLO', metadata: { name: `own-${k}-availability` },
  spec: { service: `own-${k}`, environment: 'production', tier: 'critical', indicator: { kind: 'availability' }, objectives: [{ target: 0.999 }], timeWindow: [{ duration: '28d', isRolling: true }], minEvents: 100 },
})));

/** Service k: a request every 4 s on upstream partition k % 2; a 10-minute outage (every other request a 503) at START + 40 + 15k minutes. */
function eventsBetween(upstream: string, fromMs: number, toMs: number) {
  const out: { source: FakeSource; atMs: number; error: boolean; service: string }[] = [];
  for (let k = 0; k < SLOS.length; k++) {
    const outage = START + (40 + 15 * k) * MIN;
    for (let t = START + k * 500, i = 0; t < END; t += 4_000, i++) {
      if (t < fromMs || t >= toMs) continue;
      out.push({ source: { source: upstream, partition: k % 2, signal: 'spans' }, atMs: t, error: t >= outage && t < outage + 10 * MIN && i % 2 === 0, service: `own-${k}` });
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

interface Judge {
  id: string;
  judge: SloJudge;
  source: KafkaSliDeltaSource;
  published: InMemoryBreachPublisher;
  stop(): Promise<void>;
}

/** One cluster: its own database, SLI-delta topic, upstream topic and judges' group. */
async function cluster(brokers: string[]) {
  const kafka = testKafka(brokers);
  const { client } = await migratedDatabase('owners');
  const topic = uniqueName('sli_deltas');
  const upstream = uniqueName('upstream_spans');
  const group = uniqueName('judges');
  await createTopics(kafka, [{ topic, numPartitions: PARTITIONS }, { topic: upstream, numPartitions: 2 }]);
  const feed = await clusterIngest({ kafka, topic, clickhouse: client, slos: () => SLOS });
  const judges: Judge[] = [];
  let heartbeat: NodeJS.Timeout | undefined;

  async function startJudge(id: string): Promise<Judge> {
    const published = new InMemoryBreachPublisher();
    const history = new ClickHouseRollupLoader(client);
    const judge = new SloJudge({
      slos: SLOS, laneOf: (name) => sloPartition(name, PARTITIONS), allowedLatenessMs: 30_000, idleSourceMs: 10_000,
      history, states: new ClickHouseSloStateStore(client), publishers: [new ClickHouseTransitionSink(client), published], logger: silentLogger(), owner: id,
    });
    const source = new KafkaSliDeltaSource({ kafka, groupId: group, topic, judge, history, logger: silentLogger(), upstream: [{ topic: upstream, signal: 'spans' }] });
    await source.start();
    judge.start(200);
    const j: Judge = { id, judge, source, published, stop: async () => { await source.stop(); await judge.stop(); } };
    judges.push(j);
    return j;
  }

  /** Waits until the running judges share every lane between them. */
  async function balanced(running: Judge[]): Promise<void> {
    await waitFor(() => running.every((j) => j.source.assignedLanes().length > 0) && running.reduce((n, j) => n + j.source.assignedLanes().length, 0) === PARTITIONS, 60_000, 'every lane assigned');
    await Promise.all(running.map((j) => j.source.ready()));
  }

  /** Ingests event time [fromMs, toMs) as a backlog: 2-minute segments, made durable then published. */
  async function ingest(fromMs: number, toMs: number): Promise<void> {
    const events = eventsBetween(upstream, fromMs, toMs);
    for (let chunk = fromMs; chunk < toMs; chunk += 2 * MIN) {
      for (const e of events) if (e.atMs >= chunk && e.atMs < chunk + 2 * MIN) feed.ingest.add(e.source, span(e.atMs, { service: e.service, error: e.error }), Date.now());
      feed.ingest.flush(Date.now(), () => true);
    }
    await feed.drained();
  }

  /** From now on the upstream partitions are caught up: progress heartbeats every second, as workers send them. */
  function caughtUp(): void {
    heartbeat = setInterval(() => feed.ingest.flush(Date.now()), 1_000);
  }

  /** Waits until every SLO's persisted state is evaluated through `atMs`. */
  async function evaluatedThrough(atMs: number): Promise<void> {
    const store = new ClickHouseSloStateStore(client);
    await waitFor(async () => {
      const states = await store.list();
      return states.length === SLOS.length && states.every((s) => (s.evaluatedThroughMs ?? 0) >= atMs);
    }, 90_000, `every SLO evaluated through ${new Date(atMs).toISOString()}`);
  }

  /** The event-time transitions in ClickHouse, in order. */
  async function transitions() {
    const rs = await client.query({
      query: `SELECT transition_id, slo, from_status, to_status, at, rule, reason FROM slo_transitions FINAL
              WHERE basis = 'event-time' AND at <= fromUnixTimestamp64Milli({until:Int64}, 'UTC') ORDER BY slo, at`,
      query_params: { until: COMPARED },
      format: 'JSONEachRow',
    });
    return (await rs.json<{ transition_id: string; slo: string; from_status: string; to_status: string; at: string; rule: string; reason: string }>())
      .map((r) => ({ id: r.transition_id, slo: r.slo, from: r.from_status, to: r.to_status, at: fromDateTime64(r.at), rule: r.rule, reason: r.reason }));
  }

  /** Every event-time transition any judge published up to COMPARED (duplicates included). */
  function publishedByJudges(): string[] {
    return judges.flatMap((j) => j.published.transitions).filter((t) => t.basis === 'event-time' && t.atMs <= COMPARED).map((t) => t.transitionId);
  }

  async function owners(): Promise<Map<string, string>> {
    return new Map((await new ClickHouseSloStateStore(client).list()).map((s) => [s.sloName, s.owner]));
  }

  async function close(): Promise<void> {
    if (heartbeat) clearInterval(heartbeat);
    for (const j of judges) await j.stop().catch(() => undefined);
    await feed.close();
    await client.close();
  }
  return { startJudge, balanced, ingest, caughtUp, evaluatedThrough, transitions, publishedByJudges, owners, close };
}

describe('one judge per SLO on the real broker (item 3)', () => {
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closers) await close();
  });
  let oneJudge: Awaited<ReturnType<Awaited<ReturnType<typeof cluster>>['transitions']>> | undefined;

  kafkaIt('one judge evaluates every SLO over the whole group’s data', async (brokers) => {
    const c = await cluster(brokers);
    closers.push(c.close);
    const j = await c.startJudge('judge-1');
    await c.balanced([j]);
    await c.ingest(START, END);
    c.caughtUp();
    await c.evaluatedThrough(COMPARED);
    oneJudge = await c.transitions();
    // each SLO: judged from 100 events on, and BREACHED once in its outage
    for (const slo of SLOS) {
      const own = oneJudge.filter((t) => t.slo === slo.name);
      expect(own[0]).toMatchObject({ from: 'UNKNOWN', to: 'OK' });
      expect(own.filter((t) => t.to === 'BREACHED')).toHaveLength(1);
    }
    expect(new Set(c.publishedByJudges()).size).toBe(c.publishedByJudges().length);
  }, 180_000);

  kafkaIt('three judges split the SLOs and, with one stopped mid-stream, publish the same transitions, each once', async (brokers) => {
    expect(oneJudge).toBeDefined();
    const c = await cluster(brokers);
    closers.push(c.close);
    const judges = [await c.startJudge('judge-a'), await c.startJudge('judge-b'), await c.startJudge('judge-c')];
    await c.balanced(judges);
    await c.ingest(START, HALF);
    await c.evaluatedThrough(HALF - 10 * MIN);
    expect(new Set((await c.owners()).values()).size).toBeGreaterThan(1); // the SLOs are split
    // hand-over: the judge with the most lanes leaves; the others restore its SLOs from ClickHouse
    const leaving = judges.reduce((a, b) => (b.source.assignedLanes().length > a.source.assignedLanes().length ? b : a));
    await leaving.stop();
    const staying = judges.filter((j) => j !== leaving);
    await c.balanced(staying);
    await c.ingest(HALF, END);
    c.caughtUp();
    await c.evaluatedThrough(COMPARED);
    expect(await c.transitions()).toEqual(oneJudge);
    const published = c.publishedByJudges();
    expect(new Set(published).size).toBe(published.length); // nothing published twice, across the hand-over
    expect(new Set(published)).toEqual(new Set(oneJudge!.map((t) => t.id)));
    expect([...(await c.owners()).values()].every((owner) => owner !== leaving.id)).toBe(true);
  }, 240_000);

  kafkaIt('two judges, then a third joining mid-stream (a rebalance), publish the same transitions', async (brokers) => {
    expect(oneJudge).toBeDefined();
    const c = await cluster(brokers);
    closers.push(c.close);
    const first = [await c.startJudge('judge-x'), await c.startJudge('judge-y')];
    await c.balanced(first);
    await c.ingest(START, HALF);
    await c.evaluatedThrough(HALF - 10 * MIN);
    const third = await c.startJudge('judge-z');
    await c.balanced([...first, third]);
    await c.ingest(HALF, END);
    c.caughtUp();
    await c.evaluatedThrough(COMPARED);
    expect(await c.transitions()).toEqual(oneJudge);
    const published = c.publishedByJudges();
    expect(new Set(published).size).toBe(published.length);
  }, 240_000);
});
