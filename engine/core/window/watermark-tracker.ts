
/**
 * Event-time watermarks per source (a Kafka partition, a replay file, the simulator):
 * watermark = highest event time seen from that source − allowed lateness.
 * An event older than its source's watermark is *late*: it still counts (into the bucket
 * of its own event time), and the caller is told so it can count and re-emit the
 * correction. Nothing is dropped for being late.
 */
export class WatermarkTracker {
  private readonly maxEventTimeMs = new Map<string, number>();
  /** How far behind the newest event, in ms, an event may arrive without being late. */
  readonly allowedLatenessMs: number;

  constructor(options: { allowedLatenessMs: number }) {
    if (!Number.isFinite(options.allowedLatenessMs) || options.allowedLatenessMs < 0) {
      throw new RangeError(`allowedLatenessMs must be >= 0, got ${options.allowedLatenessMs}`);
    }
    this.allowedLatenessMs = options.allowedLatenessMs;
  }

  /**
   * Notes an event of `sourceId` at `eventTimeMs` (epoch ms). Returns whether it was late,
   * judged against the watermark *before* this event moved it.
   */
  observe(sourceId: string, eventTimeMs: number): { late: boolean; watermarkMs: number | undefined } {
    const before = this.watermarkMs(sourceId);
    const max = this.maxEventTimeMs.get(sourceId);
    if (max === undefined || eventTimeMs > max) this.maxEventTimeMs.set(sourceId, eventTimeMs);
    return { late: before !== undefined && eventTimeMs < before, watermarkMs: this.watermarkMs(sourceId) };
  }

  /** Watermark of a source in epoch ms; undefined before its first event. */
  watermarkMs(sourceId: string): number | undefined {
    const max = this.maxEventTimeMs.get(sourceId);
    return max === undefined ? undefined : max - this.allowedLatenessMs;
  }

  /** Highest event time seen from a source, epoch ms. */
  maxEventTimeMsOf(sourceId: string): number | undefined {
    return this.maxEventTimeMs.get(sourceId);
  }

  /** Lowest watermark over the given sources (the pipeline is only as far as its slowest). */
  minWatermarkMs(sourceIds: Iterable<string>): number | undefined {
    let min: number | undefined;
    for (const id of sourceIds) {
      const w = this.watermarkMs(id);
      if (w === undefined) return undefined;
      min = min === undefined ? w : Math.min(min, w);
    }
    return min;
  }

  /** Every source seen so far. */
  sources(): string[] {
    return [...this.maxEventTimeMs.keys()];
  }
}
