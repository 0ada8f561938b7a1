import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { errorMessage } from '../../platform/errors/sluice-error.ts';
import { compareCanary, type CanaryComparison, type CanaryInput, type CanaryOptions } from '../core/canary/canary-comparison.ts';
import { reachedEnvironment, type DeployRecord } from '../core/dora/delivery-records.ts';
import { ServingTimeline, type ReachedDeploy } from '../core/dora/serving-timeline.ts';
import { decideBake, type BakeDecision, type BreachTransitionView } from '../core/release/bake-decision.ts';
import { ROLLBACK_REQUEST_SCHEMA_VERSION, type RollbackRequest } from '../core/release/rollback-request.ts';
import type { CanaryRequest } from './clickhouse-canary-source.ts';
import type { RollbackDispatcher } from './rollback-dispatcher.ts';

/** What the watcher reads (ClickHouseDeliveryHistory in production, a fake in tests). */
export interface ReleaseEventReader {
  /** Deploys finished in [fromMs, toMs) of these environments, plus the last few before (what served then). */
  deploys(args: { fromMs: number; toMs: number; environments: readonly string[] }): Promise<DeployRecord[]>;
  /** Transitions of a service's SLOs in an environment from `fromMs` on. */
  transitions(args: { fromMs: number; service: string; environment: string }): Promise<BreachTransitionView[]>;
}

/** Where canary comparisons get their data (ClickHouseCanarySource). */
export interface CanaryInputSource {
  load(request: CanaryRequest): Promise<CanaryInput>;
}

export interface RollbackWatcherOptions {
  reader: ReleaseEventReader;
  dispatcher: RollbackDispatcher;
  /** Environments whose deploys bake (default: production). */
  environments: readonly string[];
  /** Length of the bake period after a deploy finishes, ms. */
  bakePeriodMs: number;
  /** How long after a bake ends a quiet release waits before it passes, ms (default 5 min): the judges' lateness and minute close. */
  settleAfterMs?: number;
  dryRun: boolean;
  /** Canary comparisons for deploys with strategy `canary`; absent: none. */
  canary?: { source: CanaryInputSource; options?: Partial<CanaryOptions>; /** Least time between two comparisons of one deploy, ms. */ intervalMs: number } | undefined;
  /** Whether this process is the one that decides (cluster mode: the elected watcher). Default: always. */
  isActive?: () => boolean;
  logger: Logger;
  now?: () => number;
}

/** Counts of what the watcher decided. */
export interface RollbackWatcherMetrics {
  checks: number;
  checkFailures: number;
  baking: number;
  passed: number;
  rollbacks: number;
  canaryComparisons: number;
}

/**
 * Default wait after a bake ends before a quiet release passes, ms (5 min): a minute is judged
 * after it closes and its sources pass it plus the allowed lateness (30 s by default), then
 * published — a burn in the bake's last minute reaches storage a minute or two later.
 */
export const DEFAULT_SETTLE_AFTER_MS = 300_000;

/** The deterministic id of the rollback request of a deploy (also its idempotency key). */
export function rollbackRequestId(deploy: Pick<DeployRecord, 'service' | 'environment' | 'deployId'>): string {
  return `rb_${createHash('sha256').update(`${deploy.service}\u0000${deploy.environment}\u0000${deploy.deployId}`).digest('hex').slice(0, 32)}`;
}

/**
 * Watches fresh production releases through their bake period and asks for one rollback
 * when one burns at page severity or fails its canary comparison (engine/core/release/
 * bake-decision.ts; docs/releases.md). Every `check()` (run by `start(intervalMs)`) reads
 * the deploys of the last bake period from storage — so it works the same whether events
 * came over HTTP or Kafka, and after a restart — decides each release not yet settled, and
 * hands rollbacks to the dispatcher, which records each request once (request id derived
 * from the deploy) before sending it.
 */
export class RollbackWatcher {
  readonly metrics: RollbackWatcherMetrics = { checks: 0, checkFailures: 0, baking: 0, passed: 0, rollbacks: 0, canaryComparisons: 0 };
  private readonly opts: RollbackWatcherOptions;
  private readonly now: () => number;
  /** Deploy id → when it was settled (passed, or rolled back). */
  private readonly settled = new Map<string, number>();
  private readonly canaryResults = new Map<string, { comparison: CanaryComparison; atMs: number }>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** The latest decision per deploy id (for the API and tests). */
  readonly decisions = new Map<string, BakeDecision>();

  constructor(opts: RollbackWatcherOptions) {
    if (!(opts.bakePeriodMs > 0)) throw new RangeError(`bakePeriodMs must be > 0, got ${opts.bakePeriodMs}`);
    this.opts = opts;
    this.now = opts.now ?? Date.now;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass over the releases in their bake period; never throws (failures are logged and counted). */
  check(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.pass()
      .catch((err: unknown) => {
        this.metrics.checkFailures++;
        this.opts.logger.error({ err: errorMessage(err) }, 'rollback watcher: check failed; retrying at the next one');
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    if (this.opts.isActive && !this.opts.isActive()) return;
    this.metrics.checks++;
    const nowMs = this.now();
    const { bakePeriodMs } = this.opts;
    // twice the bake period (and the settling wait): a release is settled from storage even when the watcher was down through its end
    const fromMs = nowMs - 2 * bakePeriodMs - (this.opts.settleAfterMs ?? DEFAULT_SETTLE_AFTER_MS);
    const deploys = await this.opts.reader.deploys({ fromMs, toMs: nowMs + 1, environments: this.opts.environments });
    const timeline = new ServingTimeline(deploys);
    for (const [id, at] of this.settled) {
      if (at >= fromMs - bakePeriodMs) continue;
      this.settled.delete(id);
      this.decisions.delete(id);
      this.canaryResults.delete(id);
    }
    for (const d of deploys) {
      if (!reachedEnvironment(d) || d.finishedAtMs < fromMs || this.settled.has(d.deployId)) continue;
      if (!this.opts.environments.includes(d.environment) || timeline.isRollbackDeploy(d.deployId)) continue;
      if (timeline.rolledBack.has(d.deployId)) {
        // already rolled back by someone: nothing to ask for
        this.settled.set(d.deployId, nowMs);
        continue;
      }
      const decision = await this.decide(d, timeline, nowMs);
      this.decisions.set(d.deployId, decision);
      if (decision.kind === 'baking') {
        this.metrics.baking++;
        continue;
      }
      this.settled.set(d.deployId, nowMs);
      if (decision.kind === 'passed') {
        this.metrics.passed++;
        continue;
      }
      this.metrics.rollbacks++;
      const previous = timeline.previous.get(d.deployId);
      await this.opts.dispatcher.dispatch(this.request(d, decision, previous, nowMs));
    }
  }

  private async decide(d: ReachedDeploy, timeline: ServingTimeline, nowMs: number): Promise<BakeDecision> {
    const first = timeline.intervals(d.service, d.environment).find((i) => i.change.deployId === d.deployId);
    const replacedAtMs = first === undefined || first.toMs === Infinity ? undefined : first.toMs;
    const transitions = await this.opts.reader.transitions({ fromMs: d.finishedAtMs, service: d.service, environment: d.environment });
    const canary = await this.canaryFor(d, timeline.previous.get(d.deployId), replacedAtMs, nowMs);
    return decideBake({ deploy: d, bakePeriodMs: this.opts.bakePeriodMs, replacedAtMs, transitions, canary, nowMs, settleAfterMs: this.opts.settleAfterMs ?? DEFAULT_SETTLE_AFTER_MS });
  }

  /** The latest canary comparison of a canary deploy against its predecessor, refreshed at most every intervalMs. */
  private async canaryFor(d: ReachedDeploy, previous: ReachedDeploy | undefined, replacedAtMs: number | undefined, nowMs: number) {
    const canary = this.opts.canary;
    if (canary === undefined || d.strategy !== 'canary' || previous === undefined || previous.version === d.version) return undefined;
    const seen = this.canaryResults.get(d.deployId);
    if (seen !== undefined && nowMs - seen.atMs < canary.intervalMs) return seen;
    const bakeEnd = Math.min(d.finishedAtMs + this.opts.bakePeriodMs, replacedAtMs ?? Infinity);
    const toMs = Math.min(nowMs, bakeEnd);
    if (!(toMs > d.startedAtMs)) return seen;
    const input = await canary.source.load({ service: d.service, environment: d.environment, baselineVersion: previous.version, canaryVersion: d.version, fromMs: d.startedAtMs, toMs });
    const result = { comparison: compareCanary(input, canary.options), atMs: nowMs };
    this.metrics.canaryComparisons++;
    this.canaryResults.set(d.deployId, result);
    return result;
  }

  private request(d: ReachedDeploy, decision: Extract<BakeDecision, { kind: 'rollback' }>, previous: ReachedDeploy | undefined, nowMs: number): RollbackRequest {
    return {
      schemaVersion: ROLLBACK_REQUEST_SCHEMA_VERSION,
      requestId: rollbackRequestId(d),
      service: d.service,
      environment: d.environment,
      version: d.version,
      deployId: d.deployId,
      rollbackToVersion: previous?.version ?? null,
      rollbackToDeployId: previous?.deployId ?? null,
      reason: decision.reason,
      trigger: decision.trigger,
      deployFinishedAtMs: d.finishedAtMs,
      bakeEndsAtMs: decision.bakeEndsAtMs,
      requestedAtMs: nowMs,
      dryRun: this.opts.dryRun,
    };
  }
}
