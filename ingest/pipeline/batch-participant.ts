import type { SluiceEvent } from '../../schema/events/v1/signal.ts';
import type { Row } from '../sink/signal-rows.ts';
import type { IngestSegment } from './ingest-segment.ts';

/**
 * A stage that rides along with the ingest batch: it sees every valid event exactly once,
 * before sampling and never one at a position already durable, and hands over rows that
 * are written with the event's segment (same insert token scheme, so a replayed segment
 * writes them once) — e.g. the exact minute rollups of the SLI engine. After the
 * segments' rows are durable, and before they are marked done, it may publish what
 * depends on them (the SLI deltas judges read).
 */
export interface BatchParticipant {
  /** Tables this participant writes. */
  readonly tables: readonly string[];
  /** A valid event at `position` of `segment`. Per-segment state goes in `segment.scratch`. */
  observe(event: SluiceEvent, segment: IngestSegment, position: number): void;
  /** Rows to write with the segment, per table (called once, when the segment is flushed). */
  rowsOf(segment: IngestSegment): { table: string; rows: Row[] }[];
  /** The segments' rows are durable; called before they are marked done. A failure is retried. */
  durable?(segments: readonly IngestSegment[]): Promise<void>;
}
