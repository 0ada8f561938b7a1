import { describe, expect, it } from 'vitest';
import { SourceProgressTable } from '../../../engine/adapters/source-progress-table.ts';
import type { SourceProgress } from '../../../engine/core/window/sli-segment.ts';

const NOW = Date.UTC(2025, 2, 10, 12, 0);
const policy = { allowedLatenessMs: 30_000, idleSourceMs: 10_000 };
const p = (partition: number, o: Partial<SourceProgress>): SourceProgress => ({
  source: 'spans', partition, signal: 'spans', hi: 10, caughtUp: true, reportedAtMs: NOW, lastActivityAtMs: NOW, ...o,
});

describe('SourceProgressTable', () => {
  const cases: { name: string; reports: SourceProgress[]; expected?: { source: string; partition: number }[]; watermarkMs: number | undefined }[] = [
    { name: 'is the slowest active source’s newest event minus allowed lateness', reports: [p(0, { maxEventTimeMs: NOW - 5_000 }), p(1, { maxEventTimeMs: NOW - 60_000 })], watermarkMs: NOW - 90_000 },
    { name: 'leaves out a caught-up source idle for idleSourceMs (it vouches for its reporter’s clock)', reports: [p(0, { maxEventTimeMs: NOW - 5_000 }), p(1, { maxEventTimeMs: NOW - 3_600_000, lastActivityAtMs: NOW - 10_000 })], watermarkMs: NOW - 35_000 },
    { name: 'never leaves out a source with a backlog, however idle', reports: [p(0, { maxEventTimeMs: NOW - 5_000 }), p(1, { maxEventTimeMs: NOW - 900_000, caughtUp: false, lastActivityAtMs: NOW - 60_000 })], watermarkMs: NOW - 930_000 },
    { name: 'moves with the wall clock when every source is caught up and idle', reports: [p(0, { lastActivityAtMs: undefined }), p(1, { maxEventTimeMs: NOW - 3_600_000, lastActivityAtMs: NOW - 20_000 })], watermarkMs: NOW - 30_000 },
    { name: 'never runs ahead of the reporter’s clock for an event dated a day ahead', reports: [p(0, { maxEventTimeMs: NOW + 86_400_000 })], watermarkMs: NOW - 30_000 },
    { name: 'is held back by a source known from topic metadata until it reports', reports: [p(0, { maxEventTimeMs: NOW - 5_000 })], expected: [{ source: 'spans', partition: 1 }], watermarkMs: undefined },
    { name: 'is held back by an active source that has not seen an event yet', reports: [p(0, { maxEventTimeMs: NOW - 5_000 }), p(1, { caughtUp: false })], watermarkMs: undefined },
    { name: 'ignores other signals', reports: [p(0, { maxEventTimeMs: NOW - 5_000 }), { ...p(0, { maxEventTimeMs: NOW - 3_600_000, caughtUp: false }), source: 'logs', signal: 'logs' }], watermarkMs: NOW - 35_000 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const table = new SourceProgressTable(policy);
      table.expect(0, (c.expected ?? []).map((e) => ({ ...e, signal: 'spans' as const })));
      for (const r of c.reports) table.report(0, r);
      expect(table.watermark(0, 'spans', NOW).watermarkMs).toBe(c.watermarkMs);
    });
  }

  it('keeps the newest record: a replayed older one is ignored, and the highest event time never goes back', () => {
    const table = new SourceProgressTable(policy);
    table.report(0, p(0, { hi: 20, maxEventTimeMs: NOW - 1_000 }));
    table.report(0, p(0, { hi: 10, maxEventTimeMs: NOW - 600_000, reportedAtMs: NOW - 600_000 }));
    expect(table.watermark(0, 'spans', NOW).sources[0]!.maxEventTimeMs).toBe(NOW - 1_000);
    table.report(0, p(0, { hi: 30, maxEventTimeMs: undefined }));
    expect(table.watermark(0, 'spans', NOW).sources[0]!.maxEventTimeMs).toBe(NOW - 1_000);
  });

  it('keeps lanes apart: progress seen on one lane does not move another', () => {
    const table = new SourceProgressTable(policy);
    table.report(0, p(0, { maxEventTimeMs: NOW }));
    expect(table.watermark(1, 'spans', NOW).watermarkMs).toBeUndefined();
  });
});
