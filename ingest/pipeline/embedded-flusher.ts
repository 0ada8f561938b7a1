import type { Logger } from 'pino';
import { errorMessage } from '../../platform/errors/sluice-error.ts';
import type { IngestPipeline } from './ingest-pipeline.ts';

/**
 * How long the flush of a first waiting caller waits for others, ms: group commit's delay
 * (PostgreSQL's commit_delay, Kafka's linger.ms). Measured with bench/gate.bench.ts (docs/storage.md).
 */
export const EMBEDDED_LINGER_MS = 20;

/**
 * Drives the flushes of an embedded process (HTTP, OTLP/HTTP, simulator): group commit —
 * as soon as a caller waits, what arrived is written together, and whatever arrives while
 * a flush is being written, from any source, forms the next one (one flush at a time),
 * written with one insert per table for all its sources
 * (IngestPipeline.writeSegments). So concurrent requests share inserts instead of paying
 * one each: an insert costs the embedded ClickHouse a new part (~5 ms of CPU whatever its
 * size, and merges later), measured in docs/storage.md. Inputs nobody waits for are
 * written when the batch is full or old enough (`batchMaxRows` / `batchMaxDelayMs`). The
 * timer also has the sources' progress recorded now and then (recordProgressWhenDue).
 */
export class EmbeddedFlusher {
  private readonly pipeline: IngestPipeline;
  private readonly logger: Logger;
  private readonly tickMs: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Set<Promise<void>>();
  private scheduled = false;
  private stopping = false;

  private readonly lingerMs: number;

  /**
   * @param tickMs how often the timer looks for a due batch, ms
   * @param opts.lingerMs how long a first waiting caller's flush waits for company, ms
   *   (default EMBEDDED_LINGER_MS)
   */
  constructor(pipeline: IngestPipeline, logger: Logger, tickMs = 50, opts: { lingerMs?: number } = {}) {
    this.pipeline = pipeline;
    this.logger = logger;
    this.tickMs = tickMs;
    this.lingerMs = opts.lingerMs ?? EMBEDDED_LINGER_MS;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.kick();
      this.pipeline.recordProgressWhenDue();
    }, this.tickMs);
    this.timer.unref();
  }

  /**
   * A caller is waiting (or the batch may be due): start what can be written — after
   * `lingerMs` when nothing is being written and the batch is not full (so requests sent
   * together, e.g. an exporter's spans and logs, share a flush), else as soon as this turn
   * of the event loop ends (what arrived during a flush has waited for it already).
   */
  kick(): void {
    if (this.scheduled || this.stopping) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      this.startDue();
    };
    if (this.lingerMs > 0 && this.running.size === 0 && !this.pipeline.isFull()) setTimeout(run, this.lingerMs);
    else setImmediate(run);
  }

  private startDue(): void {
    // one flush at a time: what arrives meanwhile waits for it and is written together next
    if (!this.stopping && this.running.size === 0 && this.pipeline.isDue()) {
      const flushing = this.pipeline.flushConcurrently();
      if (!flushing) return; // the due segments' sources are being written: their end kicks again
      const run: Promise<void> = flushing.then(
        () => {
          this.running.delete(run);
          this.kick();
        },
        (err: unknown) => {
          // the segments are back in the batch; the timer tries again
          this.running.delete(run);
          this.logger.error({ err: errorMessage(err) }, 'flush failed');
        },
      );
      this.running.add(run);
    }
  }

  /** Refuses new input, waits for the flushes running, then writes what is left. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.stopping = true;
    this.pipeline.stopAccepting();
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    await this.pipeline.flush();
  }
}
