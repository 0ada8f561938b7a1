import { describe, expect, it } from 'vitest';
import { SliRollupParticipant } from '../../../engine/adapters/sli-rollup-participant.ts';
import { SourceActivityTracker } from '../../../engine/core/freshness/source-activity-tracker.ts';
import { buildSlo, SloDefinitionSchema } from '../../../engine/core/slo/slo-definition.ts';
import { MinuteBucketStore } from '../../../engine/core/window/minute-bucket-store.ts';
import { SpanV1Schema } from '../../../schema/events/v1/span.ts';
import { BASE_TIME_MS, spanJson } from '../../support/span-fixtures.ts';

const slo = buildSlo(SloDefinitionSchema.parse({
  apiVersion: 'sluice/v1', kind: 'SLO', metadata: { name: 'p-availability' },
  spec: { service: 'p', environment: 'production', tier: 'critical', indicator: { kind: 'availability' }, objectives: [{ target: 0.99 }], timeWindow: [{ duration: '28d', isRolling: true }] },
}));

function participant() {
  const store = new MinuteBucketStore({ allowedLatenessMs: 60_000 });
  const counted: string[] = [];
  const p = new SliRollupParticipant({ slos: () => [slo], store: () => store, activity: new SourceActivityTracker(), onCounted: (n) => counted.push(...n) });
  return { p, store, counted };
}
const span = (i: number, error = false) => ({ signal: 'spans' as const, event: SpanV1Schema.parse(spanJson(i, { service: 'p', error, startTimeMs: BASE_TIME_MS + i })) });

describe('SliRollupParticipant', () => {
  it('counts every in-scope event into the store and drains one delta row per partition, key and minute with the partition’s highest offset', () => {
    const { p, store, counted } = participant();
    p.observe(span(1), { source: 't', partition: 0, offset: 10 });
    p.observe(span(2, true), { source: 't', partition: 0, offset: 11 });
    p.observe(span(3), { source: 't', partition: 1, offset: 7 });
    p.observe({ signal: 'spans', event: SpanV1Schema.parse(spanJson(4, { service: 'other' })) }, { source: 't', partition: 1, offset: 8 });
    expect(counted).toEqual(['p-availability', 'p-availability', 'p-availability']);
    expect(store.sum({ sloName: 'p-availability' }, BASE_TIME_MS - 60_000, BASE_TIME_MS + 120_000)).toEqual({ good: 2, total: 3 });
    const [{ table, rows }] = p.drain() as unknown as [{ table: string; rows: Record<string, unknown>[] }];
    expect(table).toBe('sli_rollups');
    expect(rows.map((r) => [r.source_partition, r.source_offset, r.good, r.total])).toEqual([[0, 11, 1, 2], [1, 8, 1, 1]]);
    expect(p.drain()).toEqual([]);
  });

  it('forgets undrained counts of partitions it no longer owns (their new owner replays them)', () => {
    const { p } = participant();
    p.observe(span(1), { source: 't', partition: 0, offset: 1 });
    p.observe(span(2), { source: 't', partition: 1, offset: 1 });
    p.retainPartitions(new Set(['t#1']));
    const [{ rows }] = p.drain() as unknown as [{ rows: Record<string, unknown>[] }];
    expect(rows.map((r) => r.source_partition)).toEqual([1]);
  });
});
