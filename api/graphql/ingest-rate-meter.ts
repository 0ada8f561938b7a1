import { SIGNALS, type Signal } from '../../schema/events/v1/signal.ts';
import type { IngestMetrics } from '../../ingest/pipeline/ingest-metrics.ts';

/** The window rates are taken over, ms (the last minute). */
export const RATE_WINDOW_MS = 60_000;
/** How often the counters are sampled, ms. */
export const RATE_SAMPLE_MS = 1_000;

interface Sample {
  atMs: number;
  accepted: Record<Signal, number>;
  written: Record<Signal, number>;
}

/** Events per second per signal over `windowMs`. */
export interface IngestRates {
  /** The time the rates are taken over, ms: RATE_WINDOW_MS, or less in the first minute after start. */
  windowMs: number;
  /** Valid events accepted per second (counted before sampling: every event). */
  accepted: Record<Signal, number>;
  /** Raw rows durably written per second (after sampling). */
  written: Record<Signal, number>;
}

/**
 * Rates of this process's ingest over the last minute, from its cumulative counters
 * (IngestMetrics `accepted`, `written`): the counters are sampled every RATE_SAMPLE_MS and a
 * rate is (now − the sample a minute ago) / the time between them. Memory is bounded by the
 * window (61 samples).
 */
export class IngestRateMeter {
  private readonly metrics: Pick<IngestMetrics, 'accepted' | 'written'>;
  private readonly now: () => number;
  private readonly windowMs: number;
  private readonly samples: Sample[] = [];

  constructor(metrics: Pick<IngestMetrics, 'accepted' | 'written'>, opts: { now?: () => number; windowMs?: number } = {}) {
    this.metrics = metrics;
    this.now = opts.now ?? Date.now;
    this.windowMs = opts.windowMs ?? RATE_WINDOW_MS;
    this.sample();
  }

  /** Takes a sample now and forgets those no longer needed (the newest one at or before the window's start is kept as its baseline). */
  sample(): void {
    const s = this.read();
    this.samples.push(s);
    while (this.samples.length > 1 && this.samples[1]!.atMs <= s.atMs - this.windowMs) this.samples.shift();
  }

  /** Samples every RATE_SAMPLE_MS until the returned function is called. */
  start(intervalMs = RATE_SAMPLE_MS): () => void {
    const timer = setInterval(() => this.sample(), intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** The rates over the last window (or since start, when younger). */
  rates(): IngestRates {
    const current = this.read();
    // the newest sample at or before the window's start; in the first minute, the first sample
    const baseline = this.samples.filter((s) => s.atMs <= current.atMs - this.windowMs).at(-1) ?? this.samples[0]!;
    const elapsedMs = current.atMs - baseline.atMs;
    const per = (key: 'accepted' | 'written') =>
      Object.fromEntries(SIGNALS.map((sig) => [sig, elapsedMs > 0 ? ((current[key][sig] - baseline[key][sig]) * 1000) / elapsedMs : 0])) as Record<Signal, number>;
    return { windowMs: elapsedMs, accepted: per('accepted'), written: per('written') };
  }

  private read(): Sample {
    return { atMs: this.now(), accepted: { ...this.metrics.accepted }, written: { ...this.metrics.written } };
  }
}

/** What `workerIngestHealth` reads of a Kafka ingest worker. */
export interface IngestWorkerView {
  health(): { owned: string[] };
  sourceStatus(source: string, partition: number): { caughtUp: boolean; lastActivityAtMs?: number | undefined };
  consumerLagMs(nowMs?: number): number;
}

/**
 * `sluice ingest`'s `GET /health/ingest`: this worker's rates over the last minute, its
 * consumer lag in time (how old the last message read is on partitions with unread
 * messages, ms) and each partition it owns (`topic#partition`) with whether it is caught up.
 */
export function workerIngestHealth(worker: IngestWorkerView, rates: IngestRateMeter, nowMs = Date.now()) {
  return {
    rates: rates.rates(),
    consumerLagMs: worker.consumerLagMs(nowMs),
    partitions: worker.health().owned.map((key) => {
      const source = key.slice(0, key.lastIndexOf('#'));
      const partition = Number(key.slice(key.lastIndexOf('#') + 1));
      const s = worker.sourceStatus(source, partition);
      return { source, partition, caughtUp: s.caughtUp, lastActivityAt: s.lastActivityAtMs ?? null };
    }),
  };
}
