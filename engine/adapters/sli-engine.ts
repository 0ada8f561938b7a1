import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { SluiceError } from '../../platform/errors/sluice-error.ts';
import { createPubSub, type PubSub } from '../../platform/pubsub/typed-pubsub.ts';
import { SourceActivityTracker } from '../core/freshness/source-activity-tracker.ts';
import type { Slo } from '../core/slo/slo-definition.ts';
import { MinuteBucketStore } from '../core/window/minute-bucket-store.ts';
import type { BreachPublisher, EngineTopics } from './breach-publisher.ts';
import { ClickHouseTransitionSink, PubSubBreachPublisher } from './breach-publishers.ts';
import { loadRollups } from './clickhouse-rollup-loader.ts';
import { loadSloDirectory, watchSloDirectory, type SloDirectoryWatch } from './slo-directory-loader.ts';
import { SliRollupParticipant } from './sli-rollup-participant.ts';
import { SloMonitor } from './slo-monitor.ts';

export interface SliEngineOptions {
  clickhouse: ClickHouseClient;
  logger: Logger;
  /** Directory of SLO definition files (YAML), reloaded on change. */
  sloDir: string;
  /** Events this far (ms) behind their source's watermark are counted as late corrections. */
  allowedLatenessMs: number;
  /** Extra breach publishers (e.g. the Kafka breach topic). */
  publishers?: BreachPublisher[];
  consumerLagMs?: () => number | undefined;
  now?: () => number;
  recoveredQuietPeriodMs?: number;
  idleEvaluationMs?: number;
}

/** How far back the in-memory buckets are restored: the longest compliance window (a calendar month) plus a margin, ms. */
const RESTORE_HORIZON_MS = 35 * 86_400_000;

/**
 * The running SLI engine of one process: SLO definitions (from files, reloaded on
 * change), the exact minute buckets (restored from ClickHouse at start), the ingest
 * participant that counts events into them, and the monitor that evaluates SLOs as data
 * arrives and publishes breach transitions (ClickHouse, in-process pub/sub, and any extra
 * publisher such as the Kafka breach topic).
 */
export class SliEngine {
  private currentStore: MinuteBucketStore;
  readonly activity = new SourceActivityTracker();
  readonly pubsub: PubSub<EngineTopics> = createPubSub<EngineTopics>();
  readonly participant: SliRollupParticipant;
  readonly monitor: SloMonitor;
  private slos: readonly Slo[] = [];
  private resyncGeneration = 0;
  private watch: SloDirectoryWatch | undefined;
  private readonly opts: SliEngineOptions;

  private constructor(opts: SliEngineOptions) {
    this.opts = opts;
    this.currentStore = new MinuteBucketStore({ allowedLatenessMs: opts.allowedLatenessMs });
    const now = opts.now ?? Date.now;
    this.monitor = new SloMonitor({
      slos: () => this.slos,
      store: () => this.currentStore,
      activity: this.activity,
      publishers: [new ClickHouseTransitionSink(opts.clickhouse), new PubSubBreachPublisher(this.pubsub), ...(opts.publishers ?? [])],
      logger: opts.logger.child({ component: 'slo-monitor' }),
      now,
      ...(opts.consumerLagMs ? { consumerLagMs: opts.consumerLagMs } : {}),
      ...(opts.recoveredQuietPeriodMs !== undefined ? { recoveredQuietPeriodMs: opts.recoveredQuietPeriodMs } : {}),
      ...(opts.idleEvaluationMs !== undefined ? { idleEvaluationMs: opts.idleEvaluationMs } : {}),
    });
    this.participant = new SliRollupParticipant({
      slos: () => this.slos,
      store: () => this.currentStore,
      activity: this.activity,
      onCounted: (names) => this.monitor.markDirty(names),
    });
  }

  /**
   * Loads the SLO directory (any invalid file stops start-up with its path and reason),
   * restores the minute buckets from ClickHouse, and starts watching and evaluating.
   */
  static async start(opts: SliEngineOptions): Promise<SliEngine> {
    const engine = new SliEngine(opts);
    const set = await loadSloDirectory(opts.sloDir);
    if (set.errors.length > 0) {
      const lines = set.errors.map((e) => `  ${e.file}${e.documentIndex !== undefined ? ` (document ${e.documentIndex + 1})` : ''}: ${e.message}`);
      throw new SluiceError('SLO_DEFINITIONS_INVALID', `invalid SLO definitions in ${opts.sloDir} (SLUICE_SLO_DIR):\n${lines.join('\n')}`);
    }
    engine.slos = set.slos.map((p) => p.slo);
    const now = (opts.now ?? Date.now)();
    const buckets = await loadRollups(opts.clickhouse, engine.currentStore, now - RESTORE_HORIZON_MS);
    opts.logger.info({ slos: engine.slos.map((s) => s.name), restoredBuckets: buckets }, 'SLI engine started');
    engine.watch = watchSloDirectory(opts.sloDir, (reloaded) => {
      if (reloaded.errors.length > 0) {
        opts.logger.error({ errors: reloaded.errors }, 'SLO definitions changed but some are invalid; keeping the previous set');
        return;
      }
      engine.slos = reloaded.slos.map((p) => p.slo);
      opts.logger.info({ slos: engine.slos.map((s) => s.name) }, 'SLO definitions reloaded');
    }, { onError: (err) => opts.logger.warn({ err }, 'watching the SLO directory stopped') });
    engine.monitor.start();
    return engine;
  }

  /** The minute buckets the evaluator reads now. */
  get store(): MinuteBucketStore {
    return this.currentStore;
  }

  /**
   * Rebuilds the minute buckets from ClickHouse (every worker's durable rollups) plus what
   * this process counted but has not written yet, then swaps them in. Called when Kafka
   * moves partitions between workers, so counts another worker made durable for a
   * partition this one now owns are seen. ClickHouse stays the source of truth. The Kafka
   * worker calls it once its own writes are durable and before counting resumes, so no
   * drain is in flight; overlapping calls keep only the latest.
   */
  async resync(): Promise<void> {
    const generation = ++this.resyncGeneration;
    const now = (this.opts.now ?? Date.now)();
    const fresh = new MinuteBucketStore({ allowedLatenessMs: this.opts.allowedLatenessMs });
    const buckets = await loadRollups(this.opts.clickhouse, fresh, now - RESTORE_HORIZON_MS);
    if (generation !== this.resyncGeneration) return; // a later resync supersedes this one
    this.participant.replayPendingInto(fresh);
    this.currentStore = fresh;
    this.opts.logger.info({ restoredBuckets: buckets }, 'SLI buckets resynced from ClickHouse');
  }

  definitions(): readonly Slo[] {
    return this.slos;
  }

  async stop(): Promise<void> {
    this.watch?.close();
    await this.monitor.stop();
  }
}
