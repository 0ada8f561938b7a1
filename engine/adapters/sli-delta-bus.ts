import type { SliSegmentDelta, SourceProgress } from '../core/window/sli-segment.ts';

/** One flush's worth of what judges need: the segments' per-SLO deltas, then the sources' progress. */
export interface SliDeltaBatch {
  deltas: SliSegmentDelta[];
  progress: SourceProgress[];
}

/**
 * Ingest side of the repartition to judges. `publish` is called once the batch's segments
 * are durable in ClickHouse and before they are marked done in `ingest_progress`; it may be
 * called again with the same segments after a crash (judges skip them). Implementations:
 * InMemorySliDeltaBus (embedded mode, tests) and KafkaSliDeltaPublisher (cluster mode).
 */
export interface SliDeltaPublisher {
  publish(batch: SliDeltaBatch): Promise<void>;
}

export type SliDeltaHandler = (batch: SliDeltaBatch) => void;

/**
 * The in-process bus: delivers each published batch to every subscriber, synchronously and
 * in publish order (the one judge of an embedded process owns every SLO).
 */
export class InMemorySliDeltaBus implements SliDeltaPublisher {
  private readonly handlers = new Set<SliDeltaHandler>();

  subscribe(handler: SliDeltaHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async publish(batch: SliDeltaBatch): Promise<void> {
    for (const handler of this.handlers) handler(batch);
  }
}
