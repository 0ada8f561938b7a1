import type { Logger } from 'pino';
import { errorMessage } from '../../platform/errors/sluice-error.ts';
import type { IngestPipeline } from './ingest-pipeline.ts';

/**
 * Drives the flushes of an embedded process (HTTP, OTLP/HTTP, simulator): group commit —
 * as soon as a caller waits, what arrived is written together, and callers that arrive
 * while their source's segment is being written form the next one (so concurrent requests
 * share inserts instead of queueing one insert each); sources with nothing in flight are
 * written at the same time (IngestPipeline.flushConcurrently). Inputs nobody waits for are
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

  constructor(pipeline: IngestPipeline, logger: Logger, tickMs = 50) {
    this.pipeline = pipeline;
    this.logger = logger;
    this.tickMs = tickMs;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.kick();
      this.pipeline.recordProgressWhenDue();
    }, this.tickMs);
    this.timer.unref();
  }

  /** A caller is waiting (or the batch may be due): start what can be written, as soon as this turn of the event loop ends. */
  kick(): void {
    if (this.scheduled || this.stopping) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.startDue();
    });
  }

  private startDue(): void {
    while (!this.stopping && this.pipeline.isDue()) {
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
