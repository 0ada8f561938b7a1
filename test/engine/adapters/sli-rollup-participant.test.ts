import { describe, expect, it } from 'vitest';
import { InMemorySliDeltaBus, type SliDeltaBatch } from '../../../engine/adapters/sli-delta-bus.ts';
import { SliRollupParticipant } from '../../../engine/adapters/sli-rollup-participant.ts';
import { buildSlo, SloDefinitionSchema } from '../../../engine/core/slo/slo-definition.ts';
import { IngestSegment } from '../../../ingest/pipeline/ingest-segment.ts';
import { SpanV1Schema } from '../../../schema/events/v1/span.ts';
import { BASE_TIME_MS, spanJson } from '../../support/span-fixtures.ts';

const slo = buildSlo(SloDefinitionSchema.parse({
  apiVersion: 'sluice/v1', kind: 'SLO', metadata: { name: 'p-availability' },
  spec: { service: 'p', environment: 'production', tier: 'critical', indicator: { kind: 'availability' }, objectives: [{ target: 0.99 }], timeWindow: [{ duration: '28d', isRolling: true }] },
}));

function participant() {
  const bus = new InMemorySliDeltaBus();
  const published: SliDeltaBatch[] = [];
  bus.subscribe((b) => published.push(b));
  const p = new SliRollupParticipant({ slos: () => [slo], publisher: bus, allowedLatenessMs: 60_000, now: () => 42 });
  return { p, published };
}
const span = (i: number, error = false, service = 'p') => ({ signal: 'spans' as const, event: SpanV1Schema.parse(spanJson(i, { service, error, startTimeMs: BASE_TIME_MS + i })) });
function segment(partition: number, lo: number, hi: number): IngestSegment {
  const s = new IngestSegment({ source: 't', partition, signal: 'spans', generation: 1 });
  s.cover(lo);
  s.cover(hi);
  s.maxEventTimeMs = BASE_TIME_MS + hi;
  return s;
}

describe('SliRollupParticipant', () => {
  it('counts every in-scope event of a segment into one rollup row per key and minute, carrying the segment\'s bounds', () => {
    const { p } = participant();
    const s0 = segment(0, 10, 11);
    const s1 = segment(1, 7, 8);
    p.observe(span(1), s0);
    p.observe(span(2, true), s0);
    p.observe(span(3), s1);
    p.observe(span(4, false, 'other'), s1); // out of the SLO's scope
    const [{ table, rows }] = p.rowsOf(s0) as [{ table: string; rows: Record<string, unknown>[] }];
    expect(table).toBe('sli_rollups');
    expect(rows.map((r) => [r.source_partition, r.segment_lo, r.source_offset, r.good, r.total])).toEqual([[0, 10, 11, 1, 2]]);
    expect(p.rowsOf(s1)[0]!.rows.map((r) => [r.good, r.total])).toEqual([[1, 1]]);
  });

  it('publishes a durable segment\'s deltas per SLO, then its source\'s progress up to the segment\'s newest event', async () => {
    const { p, published } = participant();
    const s = segment(0, 0, 2);
    p.observe(span(1), s);
    p.observe(span(2, true), s);
    await p.durable([s]);
    expect(published).toHaveLength(1);
    const [batch] = published;
    expect(batch!.deltas).toEqual([{
      sloName: 'p-availability',
      position: { source: 't', partition: 0, lo: 0, hi: 2 },
      buckets: [{ key: { sloName: 'p-availability', service: 'p', environment: 'production', version: '1.0.0' }, minuteStartMs: BASE_TIME_MS, good: 1, total: 2, lateEvents: 0 }],
    }]);
    // a span's event time is its end: span 2 starts at +2 ms and lasts 7 ms
    expect(batch!.progress).toEqual([{ source: 't', partition: 0, signal: 'spans', hi: 2, maxEventTimeMs: BASE_TIME_MS + 9, caughtUp: true, reportedAtMs: 42, lastActivityAtMs: 42 }]);
  });

  it('reports progress of an owned source with nothing new (heartbeat), and forgets sources no longer owned', async () => {
    const { p, published } = participant();
    p.track('t', 0, 'spans', { through: 99, maxEventTimeMs: BASE_TIME_MS });
    p.track('t', 1, 'spans', { through: 5, maxEventTimeMs: -1 });
    p.retain(new Set(['t#0']));
    await p.heartbeat();
    expect(published[0]!.progress.map((x) => [x.partition, x.hi, x.maxEventTimeMs])).toEqual([[0, 99, BASE_TIME_MS]]);
  });
});
