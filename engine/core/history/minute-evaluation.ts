import { step, type BreachOptions, type BreachState, type BreachTransition } from '../breach/breach-state-machine.ts';
import type { SourceFreshness } from '../freshness/source-freshness.ts';
import type { Slo } from '../slo/slo-definition.ts';
import { evaluateSlo, type BucketReader, type SloEvaluation } from '../slo-evaluator.ts';
import type { BucketSelector } from '../window/minute-bucket-store.ts';
import { MINUTE_MS } from '../window/minute-bucket.ts';

/**
 * The SLO judge's evaluation loop, one minute boundary at a time — the code both clocks run
 * (docs/history.md §"One evaluator, two clocks"): the live judge calls it for every boundary
 * its event-time watermark passes, a backtest for every boundary of stored history. At a
 * whole-minute boundary M:
 *  1. note whether the minute before M held data (the scope's "last data" for freshness);
 *  2. judge the scope's freshness at M in event time (the adapter's scopeFreshness);
 *  3. evaluate the SLO at M (evaluateSlo: windows of whole minutes ending at M);
 *  4. step the breach state machine with that evaluation.
 * Pure: storage, freshness judgement and options come in as arguments.
 */

/** Judges the freshness of an SLO's scope at a boundary M, given its last minute with data before M. */
export type FreshnessAt = (atMs: number, lastDataMinuteMs: number | undefined) => SourceFreshness[];

/** What a minute is evaluated with. */
export interface MinuteEvaluationContext {
  slo: Slo;
  store: BucketReader;
  freshnessAt: FreshnessAt;
  stepOptions?: BreachOptions | undefined;
}

/** The outcome of one boundary. */
export interface MinuteOutcome {
  state: BreachState;
  evaluation: SloEvaluation;
  /** Zero or one transition, stamped M. */
  transitions: BreachTransition[];
}

/**
 * Step 1: the start of the last minute with data before M — M − 1 min when that minute
 * holds events, else what was known. (The first boundary an SLO is ever evaluated at takes
 * it from a scan of its history instead; see MinuteSeries.lastDataMinuteBefore.)
 */
export function lastDataMinuteAt(store: BucketReader, selector: BucketSelector, atMs: number, known: number | undefined): number | undefined {
  return store.sum(selector, atMs - MINUTE_MS, atMs).total > 0 ? atMs - MINUTE_MS : known;
}

/** Steps 2–4 at the boundary `atMs` (epoch ms, a whole minute). Throws what evaluateSlo throws; nothing is changed then. */
export function evaluateMinute(ctx: MinuteEvaluationContext, state: BreachState, lastDataMinuteMs: number | undefined, atMs: number): MinuteOutcome {
  const freshness = ctx.freshnessAt(atMs, lastDataMinuteMs);
  const evaluation = evaluateSlo({ slo: ctx.slo, store: ctx.store, freshness, nowMs: atMs });
  const next = step(state, evaluation, atMs, ctx.stepOptions ?? {});
  return { state: next.state, evaluation, transitions: next.transitions };
}

/**
 * First boundary an SLO without a past state is evaluated at, epoch ms: the boundary after
 * its first minute with data, but no earlier than `lookbackMs` before `throughMs` (a judge's
 * watermark boundary, or a backtest's start): a backlog or replay is judged from its start,
 * years of history are not re-judged. `throughMs` itself when there is no data.
 */
export function firstEvaluationMs(firstDataMinuteMs: number | undefined, throughMs: number, lookbackMs: number): number {
  return Math.max(firstDataMinuteMs === undefined ? throughMs : firstDataMinuteMs + MINUTE_MS, throughMs - lookbackMs);
}
