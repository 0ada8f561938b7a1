import type { ClickHouseClient } from '@clickhouse/client';
import type { Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { SluiceConfig } from '../../platform/config/sluice-config.ts';
import { createPubSub } from '../../platform/pubsub/typed-pubsub.ts';
import { ClickHouseCanarySource } from '../../engine/adapters/clickhouse-canary-source.ts';
import { ClickHouseDeliveryHistory } from '../../engine/adapters/clickhouse-delivery-history.ts';
import { ClickHouseRollbackStore } from '../../engine/adapters/clickhouse-rollback-store.ts';
import { RollbackDispatcher, type RollbackSink } from '../../engine/adapters/rollback-dispatcher.ts';
import { KafkaRollbackSink, PubSubRollbackSink, type ReleaseTopics } from '../../engine/adapters/rollback-sinks.ts';
import { RollbackWatcher } from '../../engine/adapters/rollback-watcher.ts';
import type { SloStateReader } from '../../engine/adapters/slo-state-store.ts';
import type { ReleaseDeps } from '../graphql/release-deps.ts';

/** Backoff between webhook attempts, ms: 1 s doubling to 60 s, full jitter. */
export const WEBHOOK_RETRY = { initialMs: 1_000, maxMs: 60_000 };
/** One webhook request's timeout, ms. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** Least time between two canary comparisons of one baking canary deploy, ms. */
export const CANARY_INTERVAL_MS = 60_000;

export interface ReleaseServices {
  /** What the API's release fields read (ApiDeps.release). */
  deps: ReleaseDeps;
  watcher: RollbackWatcher;
  dispatcher: RollbackDispatcher;
  /** Continues deliveries left pending (call when this process starts deciding). */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Release management in a serving process (docs/releases.md): the rollback watcher and its
 * dispatcher (webhooks from SLUICE_ROLLBACK_WEBHOOK_URLS, the rollback topic when a Kafka
 * producer is given, the `rollbackRequests` subscription), and the readers behind
 * doraMetrics, benchmarks and canaryComparison. `isActive` says whether this process decides
 * (cluster mode: the elected one); the API fields answer in every process.
 */
export function startReleaseServices(opts: {
  config: SluiceConfig;
  clickhouse: ClickHouseClient;
  logger: Logger;
  /** SLO definitions (which SLOs of a service count availability). */
  slos: SloStateReader;
  producer?: Producer | undefined;
  isActive?: () => boolean;
}): ReleaseServices {
  const { config, clickhouse } = opts;
  const logger = opts.logger.child({ component: 'releases' });
  const pubsub = createPubSub<ReleaseTopics>();
  const store = new ClickHouseRollbackStore(clickhouse);
  const sinks: RollbackSink[] = [new PubSubRollbackSink(pubsub), ...(opts.producer ? [new KafkaRollbackSink(opts.producer, config.topicRollbacks)] : [])];
  const dispatcher = new RollbackDispatcher({
    store, sinks, dryRun: config.rollbackDryRun, maxAttempts: config.rollbackWebhookMaxAttempts, retry: WEBHOOK_RETRY, timeoutMs: WEBHOOK_TIMEOUT_MS, logger,
    webhooks: config.rollbackWebhookUrls.map((url) => ({ url, secret: config.rollbackWebhookSecret! })),
  });
  const history = new ClickHouseDeliveryHistory(clickhouse);
  const canary = new ClickHouseCanarySource(clickhouse, opts.slos);
  const watcher = new RollbackWatcher({
    reader: { deploys: (a) => history.deploys(a), transitions: (a) => history.transitions(a) },
    dispatcher,
    environments: config.rollbackEnvironments,
    bakePeriodMs: config.rollbackBakePeriodMs,
    dryRun: config.rollbackDryRun,
    canary: { source: canary, intervalMs: CANARY_INTERVAL_MS },
    ...(opts.isActive ? { isActive: opts.isActive } : {}),
    logger,
  });
  watcher.start(config.rollbackCheckIntervalMs);
  logger.info({
    bakePeriodMs: config.rollbackBakePeriodMs, environments: config.rollbackEnvironments, webhooks: config.rollbackWebhookUrls.length,
    topic: opts.producer ? config.topicRollbacks : null, dryRun: config.rollbackDryRun,
  }, 'rollback watcher started');
  return {
    deps: {
      history, canary, rollbacks: store, pubsub,
      dora: { breachWindowMs: config.doraBreachWindowMs, incidentWindowMs: config.doraIncidentWindowMs },
    },
    watcher,
    dispatcher,
    resume: async () => {
      const n = await dispatcher.resume();
      if (n > 0) logger.info({ requests: n }, 'resumed rollback request deliveries');
    },
    async stop() {
      await watcher.stop();
      await dispatcher.stop();
    },
  };
}
