import type { Logger } from 'pino';
import { errorMessage } from '../../platform/errors/sluice-error.ts';
import type { IngestPipeline } from './ingest-pipeline.ts';

/**
 * Drives the flushes of an embedded process (HTTP, OTLP/HTTP, simulator): group commit —
 * as soon as a caller waits and no flush is running, everything that arrived is written
 * together, and callers that arrive meanwhile form the next batch (so concurrent requests
 * share inserts instead of queueing one insert each); inputs nobody waits for are written
 * when the batch is full or old enough (`batchMaxRows` / `batchMaxDelayMs`).
 */
export class EmbeddedFlusher {
  private readonly pipeline: IngestPipeline;
  private readonly logger: Logger;
  private readonly tickMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private scheduled = false;

  constructor(pipeline: IngestPipeline, logger: Logger, tickMs = 50) {
    this.pipeline = pipeline;
    this.logger = logger;
    this.tickMs = tickMs;
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.tickMs);
    this.timer.unref();
  }

  /** A caller is waiting (or the batch may be due): flush as soon as no flush runs. */
  kick(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.running || !this.pipeline.isDue()) return;
      this.running = this.drain().finally(() => {
        this.running = undefined;
        if (this.pipeline.isDue()) this.kick();
      });
    });
  }

  private async drain(): Promise<void> {
    while (this.pipeline.isDue()) {
      try {
        await this.pipeline.flush();
      } catch (err) {
        this.logger.error({ err: errorMessage(err) }, 'flush failed');
        return;
      }
    }
  }

  /** Refuses new input, waits for the running flush, then writes what is left. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.pipeline.stopAccepting();
    await this.running;
    await this.pipeline.flush();
  }
}
