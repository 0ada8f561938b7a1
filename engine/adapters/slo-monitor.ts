import type { Logger } from 'pino';
import { errorMessage } from '../../platform/errors/sluice-error.ts';
import { initialBreachState, step, type BreachState } from '../core/breach/breach-state-machine.ts';
import { assessFreshness } from '../core/freshness/source-freshness.ts';
import type { SourceActivityTracker } from '../core/freshness/source-activity-tracker.ts';
import { signalOf } from '../core/sli/indicator-strategies.ts';
import type { Slo } from '../core/slo/slo-definition.ts';
import { evaluateSlo, type SloEvaluation } from '../core/slo-evaluator.ts';
import type { MinuteBucketStore } from '../core/window/minute-bucket-store.ts';
import type { BreachPublisher, PublishedTransition } from './breach-publisher.ts';

export interface SloMonitorOptions {
  slos: () => readonly Slo[];
  /** The current minute buckets (replaced when the engine resyncs from ClickHouse). */
  store: () => MinuteBucketStore;
  activity: SourceActivityTracker;
  publishers: BreachPublisher[];
  logger: Logger;
  /** Wall clock, epoch ms. */
  now: () => number;
  /** Consumer lag of the ingest worker, ms (undefined in embedded mode). */
  consumerLagMs?: () => number | undefined;
  /** RECOVERED → OK after this quiet period, ms. */
  recoveredQuietPeriodMs?: number;
  /**
   * Every SLO is also re-evaluated this often (ms), so a source that goes silent turns
   * UNKNOWN even though no event arrives to trigger an evaluation. Default 5 000.
   */
  idleEvaluationMs?: number;
}

export interface SloStatusView {
  slo: Slo;
  state: BreachState;
  evaluation: SloEvaluation | undefined;
}

/**
 * Runs the pure engine as data arrives: SLOs touched by counted events are re-evaluated on
 * the next turn of the event loop (not on a slow timer), their breach state machines are
 * stepped, and every transition is published to every publisher. Publishing failures are
 * retried on the next evaluation, never dropped. Also measures the engine-added delay:
 * from the last counted event before an evaluation to the transition being published.
 */
export class SloMonitor {
  private readonly opts: SloMonitorOptions;
  private readonly states = new Map<string, BreachState>();
  private readonly latest = new Map<string, SloEvaluation>();
  private readonly dirty = new Set<string>();
  private scheduled = false;
  private lastCountedAtPerfMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private unpublished: PublishedTransition[] = [];
  /** Transitions each publisher has not yet accepted. */
  private readonly owed = new Map<BreachPublisher, PublishedTransition[]>();
  private retryPending = false;
  private publishing: Promise<void> = Promise.resolve();
  /** Engine-added delays of published transitions, ms (for the benchmark). */
  readonly publishDelaysMs: number[] = [];

  constructor(opts: SloMonitorOptions) {
    this.opts = opts;
  }

  start(): void {
    this.timer = setInterval(() => this.evaluate(this.opts.slos().map((s) => s.name)), this.opts.idleEvaluationMs ?? 5_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.publishing;
  }

  /** SLOs whose counts changed: evaluated on the next turn of the event loop. */
  markDirty(sloNames: readonly string[]): void {
    this.lastCountedAtPerfMs = performance.now();
    for (const name of sloNames) this.dirty.add(name);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const names = [...this.dirty];
      this.dirty.clear();
      this.evaluate(names);
    });
  }

  /** Evaluates the named SLOs now and publishes any transitions. */
  evaluate(names: readonly string[]): void {
    const nowMs = this.opts.now();
    const wanted = new Set(names);
    const countedAt = this.lastCountedAtPerfMs;
    for (const slo of this.opts.slos()) {
      if (!wanted.has(slo.name)) continue;
      let evaluation: SloEvaluation;
      try {
        const signal = signalOf(slo.indicator);
        const freshness = [assessFreshness(
          this.opts.activity.activity(slo.service, signal, nowMs, { consumerLagMs: this.opts.consumerLagMs?.() }),
          { maxStalenessMs: slo.maxStalenessMs },
          nowMs,
        )];
        evaluation = evaluateSlo({ slo, store: this.opts.store(), freshness, nowMs });
      } catch (err) {
        this.opts.logger.error({ slo: slo.name, err: errorMessage(err) }, 'SLO evaluation failed');
        continue;
      }
      this.latest.set(slo.name, evaluation);
      const state = this.states.get(slo.name) ?? initialBreachState(slo.name, evaluation.selector, nowMs);
      const next = step(state, evaluation, nowMs, this.opts.recoveredQuietPeriodMs === undefined ? {} : { recoveredQuietPeriodMs: this.opts.recoveredQuietPeriodMs });
      this.states.set(slo.name, next.state);
      for (const t of next.transitions) {
        this.unpublished.push({ ...t, transitionId: `${t.sloName}|${t.from}|${t.to}|${t.atMs}`, publishedAtMs: nowMs });
      }
    }
    if (this.unpublished.length > 0 || this.retryPending) this.flushTransitions(countedAt);
  }

  private flushTransitions(countedAtPerfMs: number): void {
    this.publishing = this.publishing.then(async () => {
      const batch = this.unpublished;
      this.unpublished = [];
      for (const publisher of this.opts.publishers) {
        const owed = this.owed.get(publisher) ?? [];
        owed.push(...batch);
        this.owed.set(publisher, owed);
      }
      // each publisher gets what it is owed; one that fails keeps its backlog for the next
      // evaluation (at-least-once per publisher, the others are not re-sent anything)
      const results = await Promise.allSettled(this.opts.publishers.map(async (publisher) => {
        const owed = this.owed.get(publisher) ?? [];
        if (owed.length === 0) return;
        await publisher.publish(owed);
        this.owed.set(publisher, []);
      }));
      const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${this.opts.publishers[i]!.name}: ${errorMessage(r.reason)}`] : []));
      if (failed.length > 0) {
        this.opts.logger.warn({ failed, transitions: batch.length }, 'publishing breach transitions failed; will retry');
        this.retryPending = true;
        return;
      }
      this.retryPending = false;
      if (countedAtPerfMs > 0 && batch.length > 0) this.publishDelaysMs.push(performance.now() - countedAtPerfMs);
      for (const t of batch) {
        this.opts.logger.info({ slo: t.sloName, from: t.from, to: t.to, reason: t.reason }, 'SLO status changed');
      }
    });
  }

  /** Latest status of every SLO (for the API). */
  statuses(): SloStatusView[] {
    return this.opts.slos().map((slo) => ({
      slo,
      state: this.states.get(slo.name) ?? initialBreachState(slo.name, { sloName: slo.name, service: slo.service, environment: slo.environment }, this.opts.now()),
      evaluation: this.latest.get(slo.name),
    }));
  }
}
