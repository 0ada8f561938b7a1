import type { Signal } from '../../schema/events/v1/signal.ts';
import type { Row } from '../sink/signal-rows.ts';
import { partitionKey } from './source-position.ts';

/** A dead-lettered input, handed to publishers (e.g. the Kafka dead-letter topic). */
export interface DeadLetter {
  signal: Signal;
  reason: string;
  detail: string;
  raw: Uint8Array;
  position: { source: string; partition: number; offset: number };
  /** Original Kafka key and headers, kept on the dead-letter topic. */
  key?: Buffer | null | undefined;
  headers?: Record<string, string | Buffer | undefined> | undefined;
}

/**
 * One contiguous range of one upstream source's positions (Kafka offsets, or the sequence
 * numbers of an embedded source's inputs) and everything it produced: rows per table,
 * dead letters, and participants' per-segment state. The unit of durability: a segment's
 * rows are inserted per table with the token `table:source:partition:lo-hi`, so replaying
 * the same segment writes nothing twice (partition-progress.ts).
 */
export class IngestSegment {
  readonly source: string;
  readonly partition: number;
  readonly signal: Signal;
  /** Owner generation for claimed (Kafka) partitions; undefined for embedded sources. */
  readonly generation: number | undefined;
  /** First and last position covered, inclusive. */
  lo = Number.NaN;
  hi = Number.NaN;
  /** A replayed segment must end exactly here (the bounds of the segment it replays). */
  readonly sealAt: number | undefined;
  readonly rows = new Map<string, Row[]>();
  readonly deadLetters: DeadLetter[] = [];
  /** Rows in `rows` (raw + dead letters), for batch sizing. */
  rowCount = 0;
  /** Highest event time among the segment's valid events, epoch ms; -1 before any. */
  maxEventTimeMs = -1;
  /** Per-participant state (each participant keys it by itself). */
  readonly scratch = new Map<object, unknown>();
  /**
   * The write group of an embedded segment, fixed at its first write: embedded segments of
   * one flush share one insert per table, with a token naming the group, so a retry must
   * write the same group (ingest-pipeline.ts, writeSegments).
   */
  group: { id: string; size: number } | undefined;
  private readonly waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];

  constructor(opts: { source: string; partition: number; signal: Signal; generation?: number | undefined; sealAt?: number | undefined }) {
    this.source = opts.source;
    this.partition = opts.partition;
    this.signal = opts.signal;
    this.generation = opts.generation;
    this.sealAt = opts.sealAt;
  }

  get key(): string {
    return partitionKey(this.source, this.partition);
  }

  /** True once the segment reached its forced end: the next position starts a new segment. */
  get sealed(): boolean {
    return this.sealAt !== undefined && this.hi >= this.sealAt;
  }

  /**
   * True while a replayed segment has not reached its end: it must not be written yet, or
   * it would be written with other bounds — other insert tokens — than the dead owner's
   * segment it replays, and whatever of that one landed would count twice.
   */
  get replayIncomplete(): boolean {
    return this.sealAt !== undefined && !(this.hi >= this.sealAt);
  }

  /**
   * Ends a replayed segment at its bound when the next position is past it (the log has no
   * message at the bound any more: the positions in between do not exist), so its bounds
   * are still exactly the replayed segment's.
   */
  closeAtSeal(): void {
    if (this.sealAt !== undefined && !Number.isNaN(this.lo)) this.hi = Math.max(this.hi, this.sealAt);
  }

  /** Takes one position (in order). */
  cover(position: number): void {
    if (Number.isNaN(this.lo)) this.lo = position;
    this.hi = position;
  }

  push(table: string, row: Row): void {
    const list = this.rows.get(table);
    if (list) list.push(row);
    else this.rows.set(table, [row]);
    this.rowCount++;
  }

  /** Resolves when the segment is durable (or rejects if it never can be, e.g. on stop). */
  durable(): Promise<void> {
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  get hasWaiters(): boolean {
    return this.waiters.length > 0;
  }

  settle(err?: unknown): void {
    for (const w of this.waiters.splice(0)) {
      if (err === undefined) w.resolve();
      else w.reject(err);
    }
  }

  /** The insert deduplication token of one table's rows of this segment. */
  token(table: string): string {
    return `${table}:${this.source}:${this.partition}:${this.lo}-${this.hi}`;
  }
}
