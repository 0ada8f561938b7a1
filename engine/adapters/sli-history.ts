import type { SliSignal } from '../core/sli/indicator-strategy.ts';
import { bucketKeyId, type MinuteBucketDelta } from '../core/window/minute-bucket.ts';
import type { SliSegmentDelta } from '../core/window/sli-segment.ts';
import type { SliDeltaBatch } from './sli-delta-bus.ts';

/** Which SLO's buckets to restore, from which minute on (epoch ms). */
export interface RollupRequest {
  sloName: string;
  sinceMs: number;
}

/** The highest segment end applied for one (SLO, upstream source, partition). */
export interface AppliedPosition {
  sloName: string;
  source: string;
  partition: number;
  /** Last position of the last durable segment (`sli_rollups.source_offset`). */
  hi: number;
}

/** Durable SLI history of some SLOs: their buckets summed over segments, and how far each source's segments reach. */
export interface RestoredRollups {
  buckets: MinuteBucketDelta[];
  applied: AppliedPosition[];
}

/** Durable progress of one upstream source (`ingest_progress`): what a new judge knows before the source reports. */
export interface DurableSourceProgress {
  source: string;
  partition: number;
  signal: SliSignal;
  /** Last position made durable; -1 before any. */
  hi: number;
  /** Highest event time durable from the source, epoch ms (only from a finished segment). */
  maxEventTimeMs?: number | undefined;
}

/**
 * What a judge restores from when it takes over SLOs: the exact rollups ingest made durable
 * before publishing them (ClickHouse `sli_rollups`), and the sources' durable progress
 * (`ingest_progress`). Implementations: ClickHouseRollupLoader, InMemorySliHistory.
 */
export interface SliHistory {
  /** Buckets of each requested SLO from its `sinceMs` on, and per (SLO, source, partition) the highest durable segment end in that range. */
  loadRollups(requests: readonly RollupRequest[]): Promise<RestoredRollups>;
  loadProgress(): Promise<DurableSourceProgress[]>;
}

/**
 * In-memory SLI history (the standard fake): `record` what ingest made durable — a batch's
 * deltas and progress, as the ClickHouse writes before publishing — and a judge restores
 * from it exactly as from ClickHouse.
 */
export class InMemorySliHistory implements SliHistory {
  private readonly segments: SliSegmentDelta[] = [];
  private readonly progress = new Map<string, DurableSourceProgress>();

  /** Notes a batch as durable (call before publishing it, as ingest does). */
  record(batch: SliDeltaBatch): void {
    this.segments.push(...batch.deltas.map((d) => structuredClone(d)));
    for (const p of batch.progress) {
      this.progress.set(`${p.source}#${p.partition}#${p.signal}`, { source: p.source, partition: p.partition, signal: p.signal, hi: p.hi, maxEventTimeMs: p.maxEventTimeMs });
    }
  }

  async loadRollups(requests: readonly RollupRequest[]): Promise<RestoredRollups> {
    const since = new Map(requests.map((r) => [r.sloName, r.sinceMs]));
    const sums = new Map<string, MinuteBucketDelta>();
    const applied = new Map<string, AppliedPosition>();
    for (const segment of this.segments) {
      const from = since.get(segment.sloName);
      if (from === undefined) continue;
      for (const b of segment.buckets) {
        if (b.minuteStartMs < from) continue;
        const id = `${bucketKeyId(b.key)}\u001f${b.minuteStartMs}`;
        const sum = sums.get(id) ?? { key: { ...b.key }, minuteStartMs: b.minuteStartMs, good: 0, total: 0, lateEvents: 0 };
        sum.good += b.good;
        sum.total += b.total;
        sum.lateEvents += b.lateEvents;
        if (b.sketch !== undefined) {
          const counts = new Map((sum.sketch ?? []).map((s) => [s.index, s.count]));
          for (const s of b.sketch) counts.set(s.index, (counts.get(s.index) ?? 0) + s.count);
          sum.sketch = [...counts].map(([index, count]) => ({ index, count })).sort((x, y) => x.index - y.index);
        }
        sums.set(id, sum);
        const { source, partition, hi } = segment.position;
        const key = `${segment.sloName}\u001f${source}\u001f${partition}`;
        if ((applied.get(key)?.hi ?? -Infinity) < hi) applied.set(key, { sloName: segment.sloName, source, partition, hi });
      }
    }
    return { buckets: [...sums.values()], applied: [...applied.values()] };
  }

  async loadProgress(): Promise<DurableSourceProgress[]> {
    return [...this.progress.values()].map((p) => ({ ...p }));
  }
}
