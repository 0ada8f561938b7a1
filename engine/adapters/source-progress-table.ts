import type { SliSignal } from '../core/sli/indicator-strategy.ts';
import type { SourceProgress } from '../core/window/sli-segment.ts';
import type { SourceWatermarkView } from './slo-state-snapshot.ts';

/** A source a judge should wait for before it has reported (topic metadata, restored progress). */
export interface ExpectedSource {
  source: string;
  partition: number;
  signal: SliSignal;
  /** Last durable position, when known; -1 otherwise. */
  hi?: number;
  /** Highest durable event time, epoch ms, when known (shown; the source still holds the watermark until it reports). */
  maxEventTimeMs?: number | undefined;
}

interface Entry {
  source: string;
  partition: number;
  signal: SliSignal;
  reported: boolean;
  hi: number;
  maxEventTimeMs: number | undefined;
  caughtUp: boolean;
  reportedAtMs: number | undefined;
  lastActivityAtMs: number | undefined;
}

/** One signal's watermark on one lane, with the sources it came from. */
export interface SignalWatermark {
  /** min over the sources of the event time each vouches for, minus allowed lateness, epoch ms; undefined while any source holds it back (or none is known). */
  watermarkMs: number | undefined;
  sources: SourceWatermarkView[];
}

export interface WatermarkPolicy {
  /** How far behind the newest event an event may arrive and still be on time, ms. */
  allowedLatenessMs: number;
  /** A caught-up source without input for this long (reporter's wall clock) stops holding the watermark back, ms. */
  idleSourceMs: number;
}

/**
 * The event-time progress of every upstream source, per lane (a partition of the SLI-delta
 * topic: every progress record is sent to every lane, after that lane's deltas of the same
 * flush, so a lane's progress never runs ahead of its deltas), and the watermark it gives
 * each signal. Kafka Streams' stream time (KIP-353) taken per signal:
 *
 *   watermark(signal) = min over the lane's sources of that signal of vouched(source) − allowed lateness
 *
 * where a source vouches for
 *  - nothing while it is only expected (known from topic metadata or restored, never
 *    reported on this lane), or has a backlog and has never seen an event: it holds the
 *    watermark back, as a partition with no buffered data does in Kafka Streams until
 *    `max.task.idle.ms` passes (KIP-353) — except that a source with a backlog never idles;
 *  - its reporter's wall clock when it is caught up and idle (no input for idleSourceMs):
 *    nothing older can still be on its way, so silence does not stop event time;
 *  - its highest event time otherwise;
 * in every case at most its reporter's wall clock at the report: one span dated a day
 * ahead must not move event time a day ahead.
 */
export class SourceProgressTable {
  private readonly lanes = new Map<number, Map<string, Entry>>();
  private readonly policy: WatermarkPolicy;

  constructor(policy: WatermarkPolicy) {
    this.policy = policy;
  }

  /** Adds sources the lane must wait for (no-op for sources it already knows). */
  expect(lane: number, sources: readonly ExpectedSource[]): void {
    const entries = this.laneEntries(lane);
    for (const s of sources) {
      const id = entryId(s.source, s.partition, s.signal);
      if (entries.has(id)) continue;
      entries.set(id, {
        source: s.source, partition: s.partition, signal: s.signal, reported: false, hi: s.hi ?? -1,
        maxEventTimeMs: s.maxEventTimeMs, caughtUp: false, reportedAtMs: undefined, lastActivityAtMs: undefined,
      });
    }
  }

  /**
   * Takes a progress record. Records replayed from the topic after a restart are older than
   * what is known: a record only replaces one with a lower position, or the same position
   * reported earlier. The highest event time never goes back.
   */
  report(lane: number, p: SourceProgress): void {
    const entries = this.laneEntries(lane);
    const id = entryId(p.source, p.partition, p.signal);
    const e = entries.get(id);
    if (e !== undefined && e.reported && (p.hi < e.hi || (p.hi === e.hi && p.reportedAtMs < (e.reportedAtMs ?? -Infinity)))) return;
    const maxEventTimeMs = maxDefined(e?.maxEventTimeMs, p.maxEventTimeMs);
    entries.set(id, {
      source: p.source, partition: p.partition, signal: p.signal, reported: true, hi: Math.max(p.hi, e?.hi ?? -1),
      maxEventTimeMs, caughtUp: p.caughtUp, reportedAtMs: p.reportedAtMs, lastActivityAtMs: p.lastActivityAtMs,
    });
  }

  /** Forgets a lane (its SLOs moved to another judge). */
  dropLane(lane: number): void {
    this.lanes.delete(lane);
  }

  /** The watermark of one signal on one lane; `nowMs` (the judge's wall clock) only fills in each source's lag. */
  watermark(lane: number, signal: SliSignal, nowMs: number): SignalWatermark {
    const sources: SourceWatermarkView[] = [];
    let min: number | undefined;
    let holding = false;
    for (const e of this.lanes.get(lane)?.values() ?? []) {
      if (e.signal !== signal) continue;
      const idle = e.reported && e.caughtUp && e.reportedAtMs !== undefined && e.reportedAtMs - (e.lastActivityAtMs ?? -Infinity) >= this.policy.idleSourceMs;
      let vouched: number | undefined;
      if (e.reported && e.reportedAtMs !== undefined) {
        vouched = idle ? Math.max(e.maxEventTimeMs ?? -Infinity, e.reportedAtMs) : e.maxEventTimeMs;
        if (vouched !== undefined) vouched = Math.min(vouched, e.reportedAtMs);
      }
      if (vouched === undefined) holding = true;
      else min = min === undefined ? vouched : Math.min(min, vouched);
      sources.push({
        source: e.source,
        partition: e.partition,
        signal: e.signal,
        reported: e.reported,
        ...(e.maxEventTimeMs !== undefined ? { maxEventTimeMs: e.maxEventTimeMs } : {}),
        ...(vouched !== undefined ? { eventTimeMs: vouched, lagMs: nowMs - vouched } : {}),
        caughtUp: e.caughtUp,
        idle,
        ...(e.reportedAtMs !== undefined ? { reportedAtMs: e.reportedAtMs } : {}),
      });
    }
    sources.sort((a, b) => a.source.localeCompare(b.source) || a.partition - b.partition);
    return { watermarkMs: holding || min === undefined ? undefined : min - this.policy.allowedLatenessMs, sources };
  }

  private laneEntries(lane: number): Map<string, Entry> {
    let entries = this.lanes.get(lane);
    if (entries === undefined) this.lanes.set(lane, (entries = new Map()));
    return entries;
  }
}

function entryId(source: string, partition: number, signal: SliSignal): string {
  return `${source}\u001f${partition}\u001f${signal}`;
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}
