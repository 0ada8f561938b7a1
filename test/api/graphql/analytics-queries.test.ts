import { describe, expect, it } from 'vitest';
import { breachHistoryQuery, deadLettersBySignalQuery, durablePositionsQuery, releaseSlisQuery, releaseVersionsQuery, sliSeriesQuery } from '../../../api/graphql/analytics-queries.ts';
import { sourceLags } from '../../../api/graphql/ingest-health-resolver.ts';
import { IngestRateMeter, workerIngestHealth } from '../../../api/graphql/ingest-rate-meter.ts';
import { seriesPoints } from '../../../api/graphql/sli-series-resolver.ts';
import { snapshot } from './status-harness.ts';

const MIN = 60_000;
const T = 1_767_225_600_000;

/** Every `{name:Type}` placeholder of a query has its parameter, and no parameter is unused. */
function placeholdersMatch(q: { sql: string; params: Record<string, unknown> }): void {
  const names = new Set([...q.sql.matchAll(/\{(\w+):[^}]+\}/g)].map((m) => m[1]));
  expect([...names].sort()).toEqual(Object.keys(q.params).sort());
}

describe('SQL of the analytics queries, as values', () => {
  it('sliSeries: steps indexed from `from`, bounds and step in seconds', () => {
    const q = sliSeriesQuery({ slo: 'checkout-availability', fromMs: T, toMs: T + 60 * MIN, stepMs: 5 * MIN });
    expect(q.params).toEqual({ slo: 'checkout-availability', from_s: T / 1000, to_s: T / 1000 + 3_600, step_s: 300 });
    expect(q.sql).toContain('intDiv(toUInt32(minute) - {from_s:UInt32}, {step_s:UInt32}) AS step');
    placeholdersMatch(q);
  });

  it('breachHistory: only the conditions asked for, the page after a key as a tuple comparison', () => {
    const all = breachHistoryQuery({}, { limit: 11 });
    expect(all.sql).not.toContain('WHERE');
    expect(all.params).toEqual({ limit: 11 });
    const q = breachHistoryQuery({ slo: ['a'], service: ["o'brien"], environment: ['production'], status: ['BREACHED', 'WARNING'], basis: ['event-time'], fromMs: 1, toMs: 2 }, { limit: 3, after: [5, 'id|x'] });
    expect(q.params).toEqual({ limit: 3, slos: ['a'], services: ["o'brien"], environments: ['production'], statuses: ['BREACHED', 'WARNING'], bases: ['event-time'], from_ms: 1, to_ms: 2, after_ms: 5, after_id: 'id|x' });
    expect(q.sql).toContain('(at, transition_id) < (fromUnixTimestamp64Milli({after_ms:Int64}');
    expect(q.sql).toMatch(/FROM slo_transitions FINAL[\s\S]*ORDER BY at DESC, transition_id DESC/);
    expect(q.sql).not.toContain("o'brien");
    placeholdersMatch(q);
  });

  it('releases: versions newest first with a keyset, then counts and merged sketches of those versions', () => {
    const v = releaseVersionsQuery({ service: 'checkout', environment: 'production', fromMs: T, toMs: T + MIN, limit: 4, after: [T, '1.2.3'] });
    expect(v.sql).toMatch(/HAVING first_ms < \{after_ms:Int64\} OR \(first_ms = \{after_ms:Int64\} AND version > \{after_version:String\}\)/);
    expect(v.sql).toContain('ORDER BY first_ms DESC, version ASC');
    placeholdersMatch(v);
    expect(releaseVersionsQuery({ service: 'c', environment: 'p', fromMs: 0, toMs: MIN, limit: 1 }).sql).not.toMatch(/HAVING|versions/);
    const s = releaseSlisQuery({ service: 'checkout', environment: 'production', fromMs: T, toMs: T + MIN, versions: ['1', '2'] });
    expect(s.sql).toContain('sumMap(sketch_index, sketch_count) AS sketch');
    expect(s.params.versions).toEqual(['1', '2']);
    placeholdersMatch(s);
  });

  it('ingest: positions of finished segments since a time, dead letters with a recent count', () => {
    placeholdersMatch(durablePositionsQuery({ sinceMs: T }));
    expect(durablePositionsQuery({ sinceMs: T }).sql).toContain("state = 'done' AND hi >= lo");
    placeholdersMatch(deadLettersBySignalQuery({ recentSinceMs: T }));
  });
});

describe('seriesPoints', () => {
  it('fills every step of [from, to), the last one ending at `to`, with burn rate against the target', () => {
    const points = seriesPoints([{ step: 0, good: 990, total: 1_000 }, { step: 2, good: 5, total: 5 }], { fromMs: T, toMs: T + 7 * MIN, stepMs: 3 * MIN, target: 0.99 });
    expect(points).toEqual([
      { from: T, to: T + 3 * MIN, good: 990, total: 1_000, bad: 10, attainment: 0.99, burnRate: expect.closeTo(1, 9) },
      { from: T + 3 * MIN, to: T + 6 * MIN, good: 0, total: 0, bad: 0, attainment: null, burnRate: null },
      { from: T + 6 * MIN, to: T + 7 * MIN, good: 5, total: 5, bad: 0, attainment: 1, burnRate: 0 },
    ]);
  });
});

describe('sourceLags', () => {
  it('joins durable progress with the freshest judge snapshot naming each source', () => {
    const older = { ...snapshot('a'), takenAtMs: 10 };
    const newer = { ...snapshot('b'), takenAtMs: 20, sources: [{ ...snapshot('b').sources[0]!, eventTimeMs: 900, caughtUp: false }] };
    const onlyJudged = { ...snapshot('c'), sources: [{ source: 'sluice.spans.v1', partition: 3, signal: 'spans' as const, reported: false, caughtUp: false, idle: false }] };
    const lags = sourceLags([
      { source: 'sluice.spans.v1', partition: 0, signal: 'spans', state: 'done', through: 41, maxEventTimeMs: 950, writtenAtMs: 960, writer: 'w1' },
      { source: 'http/deploys', partition: 0, signal: 'deploys', state: 'done', through: 2, maxEventTimeMs: -1, writtenAtMs: 5, writer: 'w2' },
    ], [older, newer, onlyJudged], 1_000);
    expect(lags).toEqual([
      { source: 'http/deploys', partition: 0, signal: 'deploys', durableThrough: 2, maxEventTime: null, eventTimeLagMs: null, lastWriteAt: 5, writer: 'w2', judgedEventTime: null, judgedLagMs: null, caughtUp: null, idle: null, reportedAt: null, judgedAsOf: null },
      { source: 'sluice.spans.v1', partition: 0, signal: 'spans', durableThrough: 41, maxEventTime: 950, eventTimeLagMs: 50, lastWriteAt: 960, writer: 'w1', judgedEventTime: 900, judgedLagMs: 100, caughtUp: false, idle: false, reportedAt: 1_000_500, judgedAsOf: 20 },
      { source: 'sluice.spans.v1', partition: 3, signal: 'spans', durableThrough: null, maxEventTime: null, eventTimeLagMs: null, lastWriteAt: null, writer: null, judgedEventTime: null, judgedLagMs: null, caughtUp: false, idle: false, reportedAt: null, judgedAsOf: 1_001_000 },
    ]);
  });
});

describe('IngestRateMeter', () => {
  const counters = () => ({ accepted: { spans: 0, logs: 0, checks: 0, deploys: 0, incidents: 0 }, written: { spans: 0, logs: 0, checks: 0, deploys: 0, incidents: 0 } });

  it('gives events per second over the last minute, from samples a second apart', () => {
    let now = 0;
    const m = counters();
    const meter = new IngestRateMeter(m, { now: () => now });
    for (let s = 1; s <= 120; s++) {
      now = s * 1_000;
      m.accepted.spans += s <= 60 ? 10 : 100; // 10/s for a minute, then 100/s
      m.written.spans += s <= 60 ? 5 : 50;
      meter.sample();
    }
    expect(meter.rates()).toMatchObject({ windowMs: 60_000, accepted: { spans: 100, logs: 0 }, written: { spans: 50 } });
  });

  it('in its first minute, over the time since it started', () => {
    let now = 0;
    const m = counters();
    const meter = new IngestRateMeter(m, { now: () => now });
    now = 10_000;
    m.accepted.logs = 30;
    expect(meter.rates()).toMatchObject({ windowMs: 10_000, accepted: { logs: 3 } });
  });

  it('sluice ingest: its rates, consumer lag and each owned partition as the worker sees it', () => {
    const meter = new IngestRateMeter(counters(), { now: () => 0 });
    const worker = {
      health: () => ({ owned: ['sluice.spans.v1#0', 'my#topic#2'] }),
      sourceStatus: (source: string, partition: number) => (partition === 0 ? { caughtUp: true, lastActivityAtMs: 7 } : { caughtUp: false }),
      consumerLagMs: () => 1_500,
    };
    expect(workerIngestHealth(worker, meter, 0)).toMatchObject({
      consumerLagMs: 1_500,
      partitions: [{ source: 'sluice.spans.v1', partition: 0, caughtUp: true, lastActivityAt: 7 }, { source: 'my#topic', partition: 2, caughtUp: false, lastActivityAt: null }],
    });
  });
});
