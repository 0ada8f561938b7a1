import { SIGNALS, type Signal } from '../../schema/events/v1/signal.ts';

/**
 * Counters of the ingest pipeline: every input is accounted for, every drop has a named
 * reason. Read by the GraphQL `health` query and logged at shutdown.
 */
export class IngestMetrics {
  /** Valid events accepted, per signal (counted before sampling: exact). */
  readonly accepted: Record<Signal, number> = zero();
  /** Rows durably written to raw tables, per signal. */
  readonly written: Record<Signal, number> = zero();
  /** Dead-lettered inputs, per reason. */
  readonly deadLettered = new Map<string, number>();
  /** Events not stored as raw rows, per reason (e.g. `sampled_out`); they still counted toward SLIs. */
  readonly notStored = new Map<string, number>();
  /** Whole requests (or simulator ticks) refused before any item was taken, per `<door>:<reason>`. */
  readonly rejectedRequests = new Map<string, number>();
  /** Fields of accepted events cut to their storage limit, per field (the events still counted). */
  readonly truncated = new Map<string, number>();
  /** Rows skipped because a replay found them already durable (not a loss). */
  replaySkipped = 0;
  /** Partitions whose progress was reset because their log is shorter than what was durable (topic recreated). */
  progressResets = 0;
  /** Segments not written because a newer owner had claimed their partition (a rebalance). */
  fencedSegments = 0;
  /** Dead letters the dead-letter topic refused for good (kept in the dead_letters table). */
  deadLetterTopicFailures = 0;
  flushes = 0;
  flushRetries = 0;
  /** Wall time of each successful flush, from taking its segments to their settling, ms. */
  readonly flushLatency = new LatencyHistogram();
  /** Epoch ms of the last successful flush, 0 if none. */
  lastFlushAtMs = 0;

  observeFlush(ms: number): void {
    this.flushLatency.observe(ms);
  }

  countDeadLetter(reason: string): void {
    this.deadLettered.set(reason, (this.deadLettered.get(reason) ?? 0) + 1);
  }

  countRejectedRequest(reason: string): void {
    this.rejectedRequests.set(reason, (this.rejectedRequests.get(reason) ?? 0) + 1);
  }

  countTruncated(field: string): void {
    this.truncated.set(field, (this.truncated.get(field) ?? 0) + 1);
  }

  countNotStored(reason: string): void {
    this.notStored.set(reason, (this.notStored.get(reason) ?? 0) + 1);
  }

  snapshot() {
    return {
      accepted: { ...this.accepted },
      written: { ...this.written },
      deadLettered: Object.fromEntries(this.deadLettered),
      notStored: Object.fromEntries(this.notStored),
      truncated: Object.fromEntries(this.truncated),
      rejectedRequests: Object.fromEntries(this.rejectedRequests),
      replaySkipped: this.replaySkipped,
      progressResets: this.progressResets,
      fencedSegments: this.fencedSegments,
      deadLetterTopicFailures: this.deadLetterTopicFailures,
      flushes: this.flushes,
      flushRetries: this.flushRetries,
      lastFlushAtMs: this.lastFlushAtMs,
    };
  }
}

function zero(): Record<Signal, number> {
  return Object.fromEntries(SIGNALS.map((s) => [s, 0])) as Record<Signal, number>;
}

/**
 * Counts of durations in logarithmic buckets 2 % wide (below 1 ms: 0.1 ms wide), so a
 * percentile is read to within 2 % in constant memory, however many are observed.
 */
export class LatencyHistogram {
  private static readonly GROWTH = Math.log(1.02);
  /** 10 sub-millisecond buckets, then 2 % buckets up to ~10 minutes. */
  private readonly counts = new Uint32Array(10 + 700);
  count = 0;

  observe(ms: number): void {
    const bucket = ms < 1 ? Math.max(0, Math.floor(ms * 10)) : 10 + Math.floor(Math.log(ms) / LatencyHistogram.GROWTH);
    this.counts[Math.min(bucket, this.counts.length - 1)]!++;
    this.count++;
  }

  /** The p-th percentile (0–100), ms: the upper bound of its bucket; NaN before any observation. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return i < 10 ? (i + 1) / 10 : Math.exp((i - 9) * LatencyHistogram.GROWTH);
    }
    return Number.NaN;
  }
}
