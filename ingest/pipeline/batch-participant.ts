import type { SluiceEvent } from '../../schema/events/v1/signal.ts';
import type { Row } from '../sink/signal-rows.ts';
import type { SourcePosition } from './source-position.ts';

/**
 * A stage that rides along with the ingest batch: it sees every valid event exactly once
 * (before sampling, and never a replayed position already durable in its tables), and at
 * flush time hands over rows to be written in the same batch — e.g. the exact minute
 * rollups of the SLI engine. Its rows carry `source`, `source_partition` and
 * `source_offset` (the highest offset of that partition they cover) so replays skip them.
 */
export interface BatchParticipant {
  /** Tables this participant writes; their max offsets gate `observe`. */
  readonly tables: readonly string[];
  observe(event: SluiceEvent, position: SourcePosition): void;
  /** Rows to write for everything observed since the last drain, per table. */
  drain(): { table: string; rows: Row[] }[];
  /** Called after the batch's rows are durable (before offsets are committed). */
  onDurable?(): void;
  /**
   * Partitions were reassigned: forget what was observed for partitions no longer owned
   * (`source#partition` keys) — their new owner replays them from the committed offset.
   */
  retainPartitions?(owned: ReadonlySet<string>): void;
}
