import { z } from 'zod';
import { BREACH_STATUSES, BreachStateSchema } from '../core/breach/breach-state-machine.ts';
import { SLI_SIGNALS } from '../core/sli/indicator-strategy.ts';
import type { Slo } from '../core/slo/slo-definition.ts';
import { SLO_STATUSES, type SloEvaluation } from '../core/slo-evaluator.ts';

/**
 * What a judge knows about one SLO, as plain JSON: persisted in `slo_state` after every
 * evaluation pass (so a new owner restores it and `sluice api` serves it) and served by
 * the in-process judge in embedded mode. Both read paths return exactly this shape.
 * `schemaVersion` says which shape it is; a row of another version is not restored.
 */

/** Version of the snapshot shape; bump it (and read the old one) when the shape changes. */
export const SLO_STATE_SNAPSHOT_VERSION = 1;

/** One upstream source feeding an SLO's watermark, as the judge saw it. */
export const SourceWatermarkViewSchema = z.strictObject({
  /** Kafka topic, or an embedded source (`http`, `otlp-http`, `simulator`). */
  source: z.string(),
  partition: z.number().int(),
  signal: z.enum(SLI_SIGNALS),
  /** False while the source is only known (topic metadata, restored progress): it holds the watermark back until it reports. */
  reported: z.boolean(),
  /** Highest event time the source reported, epoch ms. */
  maxEventTimeMs: z.number().optional(),
  /** Event time the source vouches for, epoch ms (before allowed lateness); absent when it holds the watermark back. */
  eventTimeMs: z.number().optional(),
  /** No backlog at its last report. */
  caughtUp: z.boolean(),
  /** Caught up and without input for idleSourceMs: vouches for its reporter's wall clock instead of its last event. */
  idle: z.boolean(),
  /** Reporter's wall clock at the last report, epoch ms. */
  reportedAtMs: z.number().optional(),
  /** Judge's wall clock − eventTimeMs when the snapshot was taken, ms: how far behind this source is. */
  lagMs: z.number().optional(),
});
export type SourceWatermarkView = z.infer<typeof SourceWatermarkViewSchema>;

const BudgetViewSchema = z.strictObject({
  target: z.number(),
  good: z.number(),
  total: z.number(),
  bad: z.number(),
  attainment: z.number().nullable(),
  periodMs: z.number(),
  expectedTotal: z.number(),
  volumeBasis: z.string(),
  allowedBadEvents: z.number(),
  consumedEvents: z.number(),
  remainingEvents: z.number(),
  consumedRatio: z.number(),
  remainingRatio: z.number(),
  minEvents: z.number(),
  exhausted: z.boolean(),
});

/** The latest evaluation of an SLO, reduced to what readers show. */
export const EvaluationViewSchema = z.strictObject({
  /** The minute boundary M of event time the evaluation is for, epoch ms. */
  atMs: z.number(),
  /** good / total over the compliance window, ratio 0–1; null without events. */
  attainment: z.number().nullable(),
  good: z.number(),
  total: z.number(),
  /** Error budget for the whole compliance period (docs/verdict-semantics.md §3). */
  budget: BudgetViewSchema,
  burnRates: z.array(z.strictObject({
    window: z.string(),
    durationMs: z.number(),
    good: z.number(),
    total: z.number(),
    badRatio: z.number(),
    burnRate: z.number(),
  })),
  /** Names of the alert rules that fire at atMs. */
  firing: z.array(z.string()),
  /** The evaluator's instantaneous status at atMs (the breach state adds hold and silence). */
  status: z.enum(SLO_STATUSES),
  reason: z.string(),
  /** Event-time freshness of the SLO's scope at atMs. */
  fresh: z.boolean(),
  freshnessReason: z.string().optional(),
  /** End of the last minute with data for the SLO before atMs, epoch ms. */
  lastDataAtMs: z.number().optional(),
  latency: z.strictObject({ p50Ms: z.number(), p95Ms: z.number(), p99Ms: z.number() }).optional(),
});
export type EvaluationView = z.infer<typeof EvaluationViewSchema>;

export const SloStateSnapshotSchema = z.strictObject({
  schemaVersion: z.literal(SLO_STATE_SNAPSHOT_VERSION),
  sloName: z.string(),
  /** The SLO as loaded by the judge (so a reader needs no SLO directory). */
  definition: z.strictObject({
    displayName: z.string(),
    service: z.string(),
    environment: z.string(),
    tier: z.string(),
    indicator: z.string(),
    /** Ratio 0–1 exclusive. */
    target: z.number(),
    maxStalenessMs: z.number(),
  }),
  /** Effective status: the event-time breach status, or UNKNOWN while the overlay finds the data stale (never for BREACHED / WARNING). */
  status: z.enum(BREACH_STATUSES),
  /** When the effective status was entered, epoch ms (event time M for event-time changes, wall clock for overlay changes). */
  sinceMs: z.number(),
  reason: z.string(),
  /** The event-time breach state (a pure function of the data). */
  state: BreachStateSchema,
  /** Last minute boundary M evaluated, epoch ms. */
  evaluatedThroughMs: z.number().optional(),
  /** Start of the last minute with data before evaluatedThroughMs, epoch ms. */
  lastDataMinuteMs: z.number().optional(),
  /** The SLO's event-time watermark, epoch ms (monotonic). */
  watermarkMs: z.number().optional(),
  /** takenAtMs − (watermark + allowed lateness), ms: how far the event time its sources vouch for was behind the wall clock. */
  watermarkLagMs: z.number().optional(),
  /** The status subscribers last heard (the `to` of the last published transition). */
  publishedStatus: z.enum(BREACH_STATUSES),
  /** The wall-clock staleness overlay. */
  overlay: z.strictObject({
    stale: z.boolean(),
    reason: z.string().optional(),
    /** Wall clock when it last changed, epoch ms. */
    sinceMs: z.number().optional(),
  }),
  evaluation: EvaluationViewSchema.optional(),
  sources: z.array(SourceWatermarkViewSchema),
  /** Which judge wrote it. */
  owner: z.string(),
  /** Wall clock when the snapshot was taken, epoch ms. */
  takenAtMs: z.number(),
  /** Wall clock of the write, epoch ms; strictly increasing per SLO across owners (the row version). */
  updatedAtMs: z.number(),
});
export type SloStateSnapshot = z.infer<typeof SloStateSnapshotSchema>;

/** The definition part of a snapshot. */
export function definitionView(slo: Slo): SloStateSnapshot['definition'] {
  return {
    displayName: slo.displayName,
    service: slo.service,
    environment: slo.environment,
    tier: slo.tier,
    indicator: slo.indicator.kind,
    target: slo.target,
    maxStalenessMs: slo.maxStalenessMs,
  };
}

/** An evaluation reduced to its view. */
export function evaluationView(e: SloEvaluation): EvaluationView {
  const { budget } = e;
  return {
    atMs: e.atMs,
    attainment: e.attainment,
    good: budget.good,
    total: budget.total,
    budget: {
      target: budget.target,
      good: budget.good,
      total: budget.total,
      bad: budget.bad,
      attainment: budget.attainment,
      periodMs: budget.periodMs,
      expectedTotal: budget.expectedTotal,
      volumeBasis: budget.volumeBasis,
      allowedBadEvents: budget.allowedBadEvents,
      consumedEvents: budget.consumedEvents,
      remainingEvents: budget.remainingEvents,
      consumedRatio: budget.consumedRatio,
      remainingRatio: budget.remainingRatio,
      minEvents: budget.minEvents,
      exhausted: budget.exhausted,
    },
    burnRates: e.burnRates.map((b) => ({ window: b.window, durationMs: b.durationMs, good: b.good, total: b.total, badRatio: b.badRatio, burnRate: b.burnRate })),
    firing: e.firing.map((r) => r.rule.name),
    status: e.status,
    reason: e.reason,
    fresh: e.freshness.fresh,
    ...(e.freshness.reason !== undefined ? { freshnessReason: e.freshness.reason } : {}),
    ...(e.freshness.lastEventTimeMs !== undefined ? { lastDataAtMs: e.freshness.lastEventTimeMs } : {}),
    ...(e.latency !== undefined ? { latency: { ...e.latency } } : {}),
  };
}
