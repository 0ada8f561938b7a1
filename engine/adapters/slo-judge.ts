import type { Logger } from 'pino';
import { errorMessage } from '../../platform/errors/sluice-error.ts';
import { initialBreachState, type BreachState, type BreachStatus, type BreachTransition } from '../core/breach/breach-state-machine.ts';
import { errorBudget, type ErrorBudget } from '../core/budget/error-budget.ts';
import { signalOf } from '../core/sli/indicator-strategies.ts';
import type { SliSignal } from '../core/sli/indicator-strategy.ts';
import type { Slo } from '../core/slo/slo-definition.ts';
import { evaluateMinute, firstEvaluationMs, lastDataMinuteAt, type MinuteEvaluationContext } from '../core/history/minute-evaluation.ts';
import type { SloEvaluation } from '../core/slo-evaluator.ts';
import { formatDurationMs } from '../core/time/duration.ts';
import { MinuteBucketStore, type BucketSelector } from '../core/window/minute-bucket-store.ts';
import { HOUR_MS, MINUTE_MS, minuteStartOf } from '../core/window/minute-bucket.ts';
import type { SliSegmentDelta, SourceProgress } from '../core/window/sli-segment.ts';
import { transitionId, type BreachPublisher, type PublishedTransition, type TransitionBasis } from './breach-publisher.ts';
import { historyHorizonMs } from './history-horizon.ts';
import { scopeFreshness, sloSelector } from './scope-freshness.ts';
import type { SliDeltaBatch } from './sli-delta-bus.ts';
import type { SliHistory } from './sli-history.ts';
import {
  definitionView,
  evaluationView,
  SLO_STATE_SNAPSHOT_VERSION,
  type SloStateSnapshot,
  type SourceWatermarkView,
} from './slo-state-snapshot.ts';
import type { SloStateReader, SloStateStore } from './slo-state-store.ts';
import { SourceProgressTable, type ExpectedSource } from './source-progress-table.ts';

/**
 * An SLO never evaluated before (no persisted state) is first evaluated at the later of
 * the boundary after its first minute with data and one day before its watermark, ms: a
 * backlog or a replay is judged from its start, a years-long history is not re-judged.
 */
export const FIRST_EVALUATION_LOOKBACK_MS = 86_400_000;

export interface SloJudgeOptions {
  /** Every SLO defined (the judge evaluates those of its lanes). */
  slos: readonly Slo[];
  /** The lane (SLI-delta topic partition) of an SLO; embedded mode: always 0. */
  laneOf: (sloName: string) => number;
  /** How far behind its source's newest event an event may arrive and still be on time, ms. */
  allowedLatenessMs: number;
  /** A caught-up source without input for this long stops holding the watermark back, ms (Kafka Streams' max.task.idle.ms). */
  idleSourceMs: number;
  /** Durable rollups to restore from (ClickHouse `sli_rollups`). */
  history: SliHistory;
  /** Where state is persisted after every pass (ClickHouse `slo_state`). */
  states: SloStateStore;
  publishers: readonly BreachPublisher[];
  logger: Logger;
  /** Wall clock, epoch ms: only judges staleness (the overlay) and stamps publications. */
  now?: () => number;
  /** Names the judge in persisted rows (e.g. host and pid). */
  owner?: string;
  /** RECOVERED → OK after this quiet period, ms (breach-state-machine default 30 min). */
  recoveredQuietPeriodMs?: number;
  /** Backoff of retried I/O (restore, publish, persist), ms. */
  retry?: { initialMs: number; maxMs: number };
  sleep?: (ms: number) => Promise<void>;
}

/** Counts of what the judge did with its input (Vector: every dropped input is a named count). */
export interface SloJudgeMetrics {
  deltasApplied: number;
  /** Segments at or below the position already applied (a replay after a crash, or restored from ClickHouse). */
  deltasSkippedAsApplied: number;
  /** Deltas of SLOs another judge owns, or that this judge does not define. */
  deltasNotOwned: number;
  /** Buckets of minutes already evaluated: counted (a correction), never re-evaluated. */
  bucketsBehindEvaluation: number;
  evaluations: number;
  evaluationFailures: number;
  transitionsPublished: number;
}

/** Delays the judge adds, per published event-time transition (bench/breach-delay.bench.ts). */
export interface JudgeDelays {
  /** From the moment the input that moved the watermark past M arrived to the transition being published everywhere, ms. */
  processingMs: number[];
  /** From the boundary M (event time) to the transition being published (wall clock), ms: lateness, the minute, ingest and the judge. */
  sinceBoundaryMs: number[];
}

interface Overlay {
  stale: boolean;
  reason?: string | undefined;
  sinceMs?: number | undefined;
}

/** One SLO this judge owns. */
interface Judged {
  slo: Slo;
  lane: number;
  signal: SliSignal;
  selector: BucketSelector;
  store: MinuteBucketStore;
  /** `source#partition` → last position applied. */
  applied: Map<string, number>;
  state: BreachState;
  evaluation: SloEvaluation | undefined;
  /** Budget of the latest evaluation (restored from the snapshot before the first new one). */
  budget: ErrorBudget | undefined;
  evaluatedThroughMs: number | undefined;
  lastDataMinuteMs: number | undefined;
  watermarkMs: number | undefined;
  /** performance.now() of the input that last moved the watermark. */
  watermarkMovedAtPerfMs: number;
  sources: SourceWatermarkView[];
  publishedStatus: BreachStatus;
  effective: { status: BreachStatus; sinceMs: number; reason: string };
  overlay: Overlay;
  /** Version of the last persisted snapshot, epoch ms. */
  updatedAtMs: number;
  /** Hour index up to which buckets were evicted. */
  evictedBeforeHour: number;
  restoredEvaluation: SloStateSnapshot['evaluation'];
}

interface Pending {
  transition: PublishedTransition;
  movedAtPerfMs: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Attempts of a failing write once the judge is stopping (then it is logged and given up). */
const STOPPING_ATTEMPTS = 3;

/**
 * The only judge of its SLOs (docs/time-and-ownership.md): applies the SLI deltas ingest
 * publishes — each (SLO, source, partition) segment exactly once — into per-SLO minute
 * buckets, follows every source's event-time progress, and for every whole-minute boundary
 * M each SLO's watermark passes (in order, none skipped) evaluates the SLO at M with the
 * pure core and steps its breach state. Those event-time transitions are a function of the
 * data alone. Separately, a wall-clock overlay makes the SLO's effective status UNKNOWN
 * while its watermark is more than maxStaleness behind the wall clock (BREACHED / WARNING
 * stay, "no data since …"); its changes are published as wall-clock transitions.
 *
 * After every pass the judge publishes the new transitions (each publisher retried until it
 * takes them), then persists the state of every SLO it stepped — in that order, so a crash
 * in between re-publishes a transition under the same id rather than losing it, and a clean
 * restart or hand-over re-publishes nothing. A new owner restores state, buckets (the
 * longest window in use) and applied positions; buckets no window needs are evicted.
 *
 * Lanes: in cluster mode a lane is a partition of the SLI-delta topic, and the judge owns
 * the SLOs whose lane it is assigned; embedded mode has one lane, 0, and one judge.
 */
export class SloJudge implements SloStateReader {
  readonly metrics: SloJudgeMetrics = {
    deltasApplied: 0, deltasSkippedAsApplied: 0, deltasNotOwned: 0, bucketsBehindEvaluation: 0,
    evaluations: 0, evaluationFailures: 0, transitionsPublished: 0,
  };
  readonly delays: JudgeDelays = { processingMs: [], sinceBoundaryMs: [] };
  private readonly opts: SloJudgeOptions;
  private readonly now: () => number;
  private definitions = new Map<string, Slo>();
  private readonly lanes = new Set<number>();
  private readonly judged = new Map<string, Judged>();
  /** SLOs being restored, with the deltas that arrived meanwhile. */
  private readonly restoring = new Map<string, SliSegmentDelta[]>();
  private readonly progress: SourceProgressTable;
  private expected: ExpectedSource[] = [];
  private pending: Pending[] = [];
  private readonly dirty = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private flushQueued = false;
  private tickQueued = false;
  private lastProgressAtPerfMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private stopped = false;

  constructor(opts: SloJudgeOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.progress = new SourceProgressTable({ allowedLatenessMs: opts.allowedLatenessMs, idleSourceMs: opts.idleSourceMs });
    this.definitions = new Map(opts.slos.map((s) => [s.name, s]));
  }

  /**
   * Judges the wall-clock overlay every `tickMs`, also when no input arrives (a stalled
   * pipeline sends nothing). Event time only moves with input, so evaluations happen in the
   * passes that input triggers — in cluster mode inside the batch whose offsets are then
   * committed, so a judge that loses a lane has published and persisted what it judged
   * before the group rebalances.
   */
  start(tickMs = 1_000): void {
    this.timer = setInterval(() => this.tickOverlays(), tickMs);
    this.timer.unref();
  }

  /**
   * Stops the timer and waits until everything computed is published and persisted; I/O
   * that keeps failing is given up after a few more attempts (logged), so stopping ends.
   */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.tick();
    this.stopping = true;
    await this.settle();
    this.stopped = true;
  }

  /** Resolves once every transition computed so far is published and the state persisted. */
  settle(): Promise<void> {
    return this.chain;
  }

  /**
   * The lanes this judge owns from now on. SLOs of lanes no longer owned are dropped at once
   * (their new owner restores them); SLOs of new lanes are restored — deltas for them that
   * arrive meanwhile wait, and are applied after the restore. Resolves when restored.
   */
  assignLanes(lanes: Iterable<number>): Promise<void> {
    const next = new Set(lanes);
    for (const lane of [...this.lanes]) if (!next.has(lane)) this.revokeLane(lane);
    const added = [...next].filter((lane) => !this.lanes.has(lane));
    for (const lane of added) {
      this.lanes.add(lane);
      this.progress.expect(lane, this.expected);
    }
    const names = [...this.definitions.keys()].filter((name) => added.includes(this.opts.laneOf(name)));
    return this.restore(names);
  }

  /** Sources every lane must wait for until they report (e.g. the raw topics' partitions from Kafka metadata). */
  expectSources(sources: readonly ExpectedSource[]): void {
    this.expected = [...this.expected, ...sources];
    for (const lane of this.lanes) this.progress.expect(lane, sources);
  }

  /**
   * Takes a reloaded SLO directory: changed SLOs keep their buckets and state, removed ones
   * are dropped (and their state removed), new ones of owned lanes are restored.
   */
  setDefinitions(slos: readonly Slo[]): Promise<void> {
    const next = new Map(slos.map((s) => [s.name, s]));
    const removed = [...this.definitions.keys()].filter((name) => !next.has(name));
    const added = [...next.keys()].filter((name) => !this.definitions.has(name) && this.lanes.has(this.opts.laneOf(name)));
    this.definitions = next;
    for (const name of removed) {
      const owned = this.judged.has(name) || this.restoring.has(name);
      this.drop(name);
      if (owned) this.enqueue(() => this.retry(`removing the state of ${name}`, () => this.opts.states.remove([name], this.now())));
    }
    for (const j of this.judged.values()) j.slo = next.get(j.slo.name) ?? j.slo;
    return this.restore(added);
  }

  /** Applies one flush's deltas, then its progress records, as received on `lane`. */
  apply(batch: SliDeltaBatch, lane = 0): void {
    for (const delta of batch.deltas) this.applyDelta(delta);
    for (const p of batch.progress) this.applyProgress(p, lane);
  }

  /** Applies one segment's counts for one SLO, unless that segment was applied already. */
  applyDelta(delta: SliSegmentDelta): void {
    const buffered = this.restoring.get(delta.sloName);
    if (buffered !== undefined) {
      buffered.push(delta);
      return;
    }
    const j = this.judged.get(delta.sloName);
    if (j === undefined) {
      this.metrics.deltasNotOwned++;
      return;
    }
    const at = `${delta.position.source}#${delta.position.partition}`;
    if (delta.position.hi <= (j.applied.get(at) ?? -Infinity)) {
      this.metrics.deltasSkippedAsApplied++;
      return;
    }
    for (const bucket of delta.buckets) {
      if (bucket.key.sloName !== j.slo.name) continue;
      j.store.mergeDelta(bucket);
      if (j.evaluatedThroughMs !== undefined && bucket.minuteStartMs < j.evaluatedThroughMs) {
        // a correction behind the evaluated boundary: counted, never re-evaluated
        this.metrics.bucketsBehindEvaluation++;
        if (bucket.total > 0 && (j.lastDataMinuteMs === undefined || bucket.minuteStartMs > j.lastDataMinuteMs)) j.lastDataMinuteMs = bucket.minuteStartMs;
      }
    }
    j.applied.set(at, delta.position.hi);
    this.metrics.deltasApplied++;
    this.queueTick();
  }

  /** Takes a source's progress as received on `lane`. */
  applyProgress(p: SourceProgress, lane = 0): void {
    if (!this.lanes.has(lane)) return;
    this.progress.report(lane, p);
    this.lastProgressAtPerfMs = performance.now();
    this.queueTick();
  }

  /**
   * One pass: every owned SLO is evaluated at each boundary its watermark passed since the
   * last pass, its overlay is judged at the wall clock, and what changed is handed to the
   * publish-then-persist chain.
   */
  tick(): void {
    if (this.stopped) return;
    const nowMs = this.now();
    for (const j of this.judged.values()) {
      this.advance(j, nowMs);
      this.judgeOverlay(j, nowMs);
    }
    if (this.pending.length > 0 || this.dirty.size > 0) this.queueFlush();
  }

  /** A pass of the wall-clock overlay only. */
  private tickOverlays(): void {
    if (this.stopped) return;
    const nowMs = this.now();
    for (const j of this.judged.values()) this.judgeOverlay(j, nowMs);
    if (this.pending.length > 0 || this.dirty.size > 0) this.queueFlush();
  }

  /** Latest snapshot of every SLO this judge owns (the in-process read path). */
  async list(): Promise<SloStateSnapshot[]> {
    const nowMs = this.now();
    const out: SloStateSnapshot[] = [];
    for (const slo of [...this.definitions.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      if (!this.lanes.has(this.opts.laneOf(slo.name))) continue;
      const j = this.judged.get(slo.name);
      out.push(j === undefined ? this.placeholder(slo, nowMs) : this.snapshot(j, nowMs));
    }
    return out;
  }

  async get(sloName: string): Promise<SloStateSnapshot | undefined> {
    return (await this.list()).find((s) => s.sloName === sloName);
  }

  /** How many minute buckets an SLO holds in memory (bounded by its history horizon). */
  bucketCount(sloName: string): number {
    const j = this.judged.get(sloName);
    return j === undefined ? 0 : j.store.buckets({ sloName }, -Infinity, Infinity).length;
  }

  /** Names of the SLOs this judge owns and has restored. */
  ownedSlos(): string[] {
    return [...this.judged.keys()].sort();
  }

  // ---------------------------------------------------------------- evaluation

  private advance(j: Judged, nowMs: number): void {
    const wm = this.progress.watermark(j.lane, j.signal, nowMs);
    j.sources = wm.sources;
    if (wm.watermarkMs !== undefined && (j.watermarkMs === undefined || wm.watermarkMs > j.watermarkMs)) {
      j.watermarkMs = wm.watermarkMs;
      j.watermarkMovedAtPerfMs = this.lastProgressAtPerfMs;
    }
    if (j.watermarkMs === undefined) return;
    const throughMs = minuteStartOf(j.watermarkMs);
    let atMs: number;
    if (j.evaluatedThroughMs === undefined) {
      atMs = firstEvaluationMs(j.store.firstMinuteMs(j.selector), throughMs, FIRST_EVALUATION_LOOKBACK_MS);
      for (const b of j.store.buckets(j.selector, -Infinity, atMs)) {
        if (b.total > 0 && (j.lastDataMinuteMs === undefined || b.minuteStartMs > j.lastDataMinuteMs)) j.lastDataMinuteMs = b.minuteStartMs;
      }
    } else {
      atMs = j.evaluatedThroughMs + MINUTE_MS;
    }
    // the same loop a backtest runs over stored history (engine/core/history/minute-evaluation.ts)
    const ctx: MinuteEvaluationContext = {
      slo: j.slo,
      store: j.store,
      freshnessAt: (at, lastDataMinuteMs) => [scopeFreshness(j.slo, j.store, at, lastDataMinuteMs)],
      stepOptions: this.opts.recoveredQuietPeriodMs === undefined ? {} : { recoveredQuietPeriodMs: this.opts.recoveredQuietPeriodMs },
    };
    for (; atMs <= throughMs; atMs += MINUTE_MS) {
      const lastDataMinuteMs = j.evaluatedThroughMs === undefined ? j.lastDataMinuteMs : lastDataMinuteAt(j.store, j.selector, atMs, j.lastDataMinuteMs);
      let outcome: ReturnType<typeof evaluateMinute>;
      try {
        outcome = evaluateMinute(ctx, j.state, lastDataMinuteMs, atMs);
      } catch (err) {
        this.metrics.evaluationFailures++;
        this.opts.logger.error({ slo: j.slo.name, atMs, err: errorMessage(err) }, 'SLO evaluation failed; retried on the next pass');
        return;
      }
      this.metrics.evaluations++;
      j.lastDataMinuteMs = lastDataMinuteMs;
      j.state = outcome.state;
      j.evaluation = outcome.evaluation;
      j.budget = outcome.evaluation.budget;
      j.evaluatedThroughMs = atMs;
      for (const t of outcome.transitions) this.publishLater(j, t, 'event-time', nowMs);
      this.dirty.add(j.slo.name);
    }
    this.evict(j);
  }

  /** Forgets buckets older than the SLO's history horizon (whole hours, once an hour of event time). */
  private evict(j: Judged): void {
    if (j.evaluatedThroughMs === undefined) return;
    const cutoffMs = j.evaluatedThroughMs - historyHorizonMs(j.slo);
    const hour = Math.floor(cutoffMs / HOUR_MS);
    if (hour <= j.evictedBeforeHour) return;
    j.store.evictBefore(cutoffMs);
    j.evictedBeforeHour = hour;
  }

  /**
   * The wall-clock overlay: stale while the event time the SLO's sources vouch for is more
   * than maxStaleness behind the wall clock (a stalled pipeline, or consumer lag on the
   * SLO's own sources), or while no event-time progress is known. It makes the effective
   * status UNKNOWN, except BREACHED / WARNING, which stay ("no data since …"): silence is
   * never recovery. When the effective status differs from what subscribers last heard, a
   * wall-clock transition says so.
   */
  private judgeOverlay(j: Judged, nowMs: number): void {
    const limit = formatDurationMs(j.slo.maxStalenessMs);
    let overlay: Overlay;
    if (j.watermarkMs === undefined) {
      const waiting = j.sources.filter((s) => s.eventTimeMs === undefined).map((s) => `${s.source}/${s.partition}`);
      overlay = {
        stale: true,
        reason: `data not fresh: no event-time progress for ${j.slo.name} yet (${waiting.length > 0 ? `waiting for ${waiting.join(', ')}` : `no ${j.signal} source has reported`})`,
      };
    } else {
      const vouchedMs = j.watermarkMs + this.opts.allowedLatenessMs;
      const lagMs = nowMs - vouchedMs;
      if (lagMs > j.slo.maxStalenessMs) {
        const behind = j.sources.filter((s) => s.eventTimeMs === undefined || nowMs - s.eventTimeMs > j.slo.maxStalenessMs)
          .map((s) => `${s.source}/${s.partition}${s.caughtUp ? '' : ' (backlog)'}`);
        overlay = {
          stale: true,
          reason: `data not fresh: the event time of ${j.slo.name}'s ${j.signal} sources is ${Math.round(lagMs / 1000)} s behind the wall clock, more than ${limit}` +
            `${behind.length > 0 ? ` (behind: ${behind.join(', ')})` : ''}`,
        };
      } else {
        overlay = { stale: false };
      }
    }
    if (overlay.stale !== j.overlay.stale || overlay.reason !== j.overlay.reason) {
      j.overlay = { ...overlay, sinceMs: overlay.stale !== j.overlay.stale ? nowMs : j.overlay.sinceMs };
      this.dirty.add(j.slo.name);
    }

    const held = j.state.status === 'BREACHED' || j.state.status === 'WARNING';
    const masked = j.overlay.stale && !held;
    const status: BreachStatus = masked ? 'UNKNOWN' : j.state.status;
    let reason = j.state.reason;
    if (masked) reason = j.overlay.reason!;
    else if (j.overlay.stale) {
      const since = j.lastDataMinuteMs === undefined ? 'no data received' : `no data since ${iso(j.lastDataMinuteMs + MINUTE_MS)}`;
      reason = `${since}: ${status} holds until data shows recovery (${j.overlay.reason})`;
    }
    if (status !== j.effective.status) {
      const wasMasked = j.effective.status === 'UNKNOWN' && j.state.status !== 'UNKNOWN';
      j.effective = { status, sinceMs: masked || wasMasked ? nowMs : j.state.sinceMs, reason };
      this.dirty.add(j.slo.name);
    } else if (reason !== j.effective.reason) {
      j.effective = { ...j.effective, reason };
      this.dirty.add(j.slo.name);
    }
    if (j.effective.status !== j.publishedStatus) {
      const budget = j.budget ?? errorBudget({ good: 0, total: 0 }, j.slo.target);
      this.publishLater(j, {
        sloName: j.slo.name,
        key: j.state.key,
        from: j.publishedStatus,
        to: j.effective.status,
        atMs: nowMs,
        reason: j.effective.status === 'UNKNOWN' ? reason : `data fresh again: ${reason}`,
        windows: [],
        budget,
        freshness: { fresh: !j.overlay.stale, reason: j.overlay.reason },
      }, 'wall-clock', nowMs);
    }
  }

  private publishLater(j: Judged, t: BreachTransition, basis: TransitionBasis, nowMs: number): void {
    this.pending.push({ transition: { ...t, basis, transitionId: transitionId(t, basis), publishedAtMs: nowMs }, movedAtPerfMs: j.watermarkMovedAtPerfMs });
    j.publishedStatus = t.to;
    this.dirty.add(j.slo.name);
  }

  // ---------------------------------------------------------------- publish, persist

  private queueTick(): void {
    if (this.tickQueued) return;
    this.tickQueued = true;
    setImmediate(() => {
      this.tickQueued = false;
      this.tick();
    });
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    this.enqueue(async () => {
      this.flushQueued = false;
      await this.flush();
    });
  }

  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((err) => {
      this.opts.logger.error({ err: errorMessage(err) }, 'SLO judge: giving up on publishing / persisting (stopping)');
    });
  }

  /**
   * Publishes the pending transitions to every publisher (each retried until it takes
   * them), then persists the snapshots taken together with them — never a state whose
   * transitions are not yet published.
   */
  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const nowMs = this.now();
    const snapshots: SloStateSnapshot[] = [];
    for (const name of this.dirty) {
      const j = this.judged.get(name);
      if (j === undefined) continue;
      j.updatedAtMs = Math.max(nowMs, j.updatedAtMs + 1);
      snapshots.push(this.snapshot(j, nowMs));
    }
    this.dirty.clear();
    if (batch.length > 0) {
      const transitions = batch.map((p) => p.transition);
      await Promise.all(this.opts.publishers.map((publisher) =>
        this.retry(`publishing ${transitions.length} transitions to ${publisher.name}`, () => publisher.publish(transitions))));
      this.metrics.transitionsPublished += transitions.length;
      const publishedPerfMs = performance.now();
      const publishedAtMs = this.now();
      for (const p of batch) {
        const t = p.transition;
        if (t.basis === 'event-time') {
          if (p.movedAtPerfMs > 0) this.delays.processingMs.push(publishedPerfMs - p.movedAtPerfMs);
          this.delays.sinceBoundaryMs.push(publishedAtMs - t.atMs);
        }
        this.opts.logger.info({ slo: t.sloName, from: t.from, to: t.to, atMs: t.atMs, basis: t.basis, reason: t.reason }, 'SLO status changed');
      }
    }
    if (snapshots.length > 0) await this.retry(`persisting the state of ${snapshots.length} SLOs`, () => this.opts.states.save(snapshots));
  }

  /** Runs `work` until it succeeds, with exponential backoff; gives up only when the judge stops. */
  private async retry<T>(what: string, work: () => Promise<T>): Promise<T> {
    const { initialMs, maxMs } = this.opts.retry ?? { initialMs: 100, maxMs: 5_000 };
    const sleep = this.opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    for (let attempt = 0; ; attempt++) {
      try {
        return await work();
      } catch (err) {
        if (this.stopped || (this.stopping && attempt >= STOPPING_ATTEMPTS - 1)) throw err;
        const delayMs = Math.min(maxMs, initialMs * 2 ** attempt);
        this.opts.logger.warn({ err: errorMessage(err), attempt: attempt + 1, delayMs }, `${what} failed; retrying`);
        await sleep(delayMs);
      }
    }
  }

  // ---------------------------------------------------------------- ownership, restore

  private revokeLane(lane: number): void {
    this.lanes.delete(lane);
    this.progress.dropLane(lane);
    for (const name of [...this.judged.keys(), ...this.restoring.keys()]) if (this.opts.laneOf(name) === lane) this.drop(name);
  }

  /** Forgets an SLO: its new owner restores it and re-evaluates what this judge had not persisted. */
  private drop(name: string): void {
    this.judged.delete(name);
    this.restoring.delete(name);
    this.dirty.delete(name);
    this.pending = this.pending.filter((p) => p.transition.sloName !== name);
  }

  /**
   * Restores SLOs: persisted state, then the buckets of their history horizon and the
   * positions applied, from the durable rollups. Deltas arriving meanwhile are buffered and
   * applied afterwards (the applied positions skip those already restored). Never rejects:
   * I/O is retried until the judge stops.
   */
  private async restore(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    for (const name of names) this.restoring.set(name, []);
    const stillMine = (name: string) => this.restoring.has(name) && this.definitions.has(name) && this.lanes.has(this.opts.laneOf(name));
    try {
      const saved = await this.retry(`loading the state of ${names.length} SLOs`, () => this.opts.states.load(names));
      const nowMs = this.now();
      const requests = names.flatMap((name) => {
        const slo = this.definitions.get(name);
        if (slo === undefined) return [];
        const fromMs = saved.get(name)?.evaluatedThroughMs ?? nowMs - FIRST_EVALUATION_LOOKBACK_MS;
        return [{ sloName: name, sinceMs: Math.floor((fromMs - historyHorizonMs(slo)) / HOUR_MS) * HOUR_MS }];
      });
      const rollups = await this.retry(`restoring the rollups of ${names.length} SLOs`, () => this.opts.history.loadRollups(requests));
      const restored = new Map<string, Judged>();
      for (const name of names) {
        const slo = this.definitions.get(name);
        if (slo !== undefined) restored.set(name, this.build(slo, saved.get(name), nowMs));
      }
      for (const b of rollups.buckets) restored.get(b.key.sloName)?.store.mergeDelta(b);
      for (const a of rollups.applied) restored.get(a.sloName)?.applied.set(`${a.source}#${a.partition}`, a.hi);
      for (const [name, j] of restored) {
        if (!stillMine(name)) continue;
        const buffered = this.restoring.get(name)!;
        this.restoring.delete(name);
        this.judged.set(name, j);
        for (const delta of buffered) this.applyDelta(delta);
      }
      this.opts.logger.info({ slos: names, restoredState: [...saved.keys()], restoredBuckets: rollups.buckets.length }, 'SLOs restored');
    } catch (err) {
      // only when stopping (I/O is retried until then): the SLOs stay unowned here
      this.opts.logger.warn({ slos: names, err: errorMessage(err) }, 'restoring SLOs given up (stopping)');
    } finally {
      for (const name of names) this.restoring.delete(name);
    }
    this.tick();
  }

  private build(slo: Slo, saved: SloStateSnapshot | undefined, nowMs: number): Judged {
    const selector = sloSelector(slo);
    const state = saved?.state ?? initialBreachState(slo.name, selector, nowMs);
    return {
      slo,
      lane: this.opts.laneOf(slo.name),
      signal: signalOf(slo.indicator),
      selector,
      store: new MinuteBucketStore({ allowedLatenessMs: this.opts.allowedLatenessMs }),
      applied: new Map(),
      state,
      evaluation: undefined,
      budget: saved?.evaluation?.budget,
      evaluatedThroughMs: saved?.evaluatedThroughMs,
      lastDataMinuteMs: saved?.lastDataMinuteMs,
      watermarkMs: saved?.watermarkMs,
      watermarkMovedAtPerfMs: 0,
      sources: saved?.sources ?? [],
      publishedStatus: saved?.publishedStatus ?? state.status,
      effective: saved === undefined ? { status: state.status, sinceMs: state.sinceMs, reason: state.reason } : { status: saved.status, sinceMs: saved.sinceMs, reason: saved.reason },
      overlay: saved?.overlay ?? { stale: false },
      updatedAtMs: saved?.updatedAtMs ?? 0,
      evictedBeforeHour: -Infinity,
      restoredEvaluation: saved?.evaluation,
    };
  }

  private snapshot(j: Judged, nowMs: number): SloStateSnapshot {
    const evaluation = j.evaluation === undefined ? j.restoredEvaluation : evaluationView(j.evaluation);
    return {
      schemaVersion: SLO_STATE_SNAPSHOT_VERSION,
      sloName: j.slo.name,
      definition: definitionView(j.slo),
      status: j.effective.status,
      sinceMs: j.effective.sinceMs,
      reason: j.effective.reason,
      state: j.state,
      ...(j.evaluatedThroughMs !== undefined ? { evaluatedThroughMs: j.evaluatedThroughMs } : {}),
      ...(j.lastDataMinuteMs !== undefined ? { lastDataMinuteMs: j.lastDataMinuteMs } : {}),
      ...(j.watermarkMs !== undefined ? { watermarkMs: j.watermarkMs, watermarkLagMs: nowMs - j.watermarkMs - this.opts.allowedLatenessMs } : {}),
      publishedStatus: j.publishedStatus,
      overlay: { stale: j.overlay.stale, ...(j.overlay.reason !== undefined ? { reason: j.overlay.reason } : {}), ...(j.overlay.sinceMs !== undefined ? { sinceMs: j.overlay.sinceMs } : {}) },
      ...(evaluation !== undefined ? { evaluation } : {}),
      sources: j.sources.map((s) => (s.eventTimeMs === undefined ? s : { ...s, lagMs: nowMs - s.eventTimeMs })),
      owner: this.opts.owner ?? 'judge',
      takenAtMs: nowMs,
      updatedAtMs: Math.max(j.updatedAtMs, 0),
    };
  }

  /** The snapshot of an owned SLO not restored yet. */
  private placeholder(slo: Slo, nowMs: number): SloStateSnapshot {
    const state = initialBreachState(slo.name, sloSelector(slo), nowMs);
    return {
      schemaVersion: SLO_STATE_SNAPSHOT_VERSION,
      sloName: slo.name,
      definition: definitionView(slo),
      status: 'UNKNOWN',
      sinceMs: nowMs,
      reason: 'not evaluated yet (restoring)',
      state,
      publishedStatus: 'UNKNOWN',
      overlay: { stale: false },
      sources: [],
      owner: this.opts.owner ?? 'judge',
      takenAtMs: nowMs,
      updatedAtMs: 0,
    };
  }
}
