import type { Logger } from 'pino';
import { connectClickHouse } from '../../platform/clickhouse/clickhouse-connection.ts';
import { migrate } from '../../platform/clickhouse/migrations.ts';
import { ConfigError, topicRoutes, type SluiceConfig } from '../../platform/config/sluice-config.ts';
import { ensureTopics, startKafkaIngest } from '../../ingest/kafka/start-kafka-ingest.ts';
import { KafkaSliDeltaPublisher } from '../../ingest/kafka/kafka-sli-delta-publisher.ts';
import { DEFAULT_TIME_BOUNDS } from '../../ingest/pipeline/ingest-pipeline.ts';
import { SliRollupParticipant } from '../../engine/adapters/sli-rollup-participant.ts';
import { ingestHealthRoutes } from '../http/ingest-health-routes.ts';
import type { RunningCommand } from './sluice-cli.ts';
import { createKafka } from '../../ingest/kafka/kafka-client.ts';
import { buildRowSampler } from '../../ingest/sampling/row-sampler.ts';
import { KafkaBreachPublisher } from '../../engine/adapters/breach-publishers.ts';
import { ClickHouseSloStateStore } from '../../engine/adapters/clickhouse-slo-state-store.ts';
import { SliEngine } from '../../engine/adapters/sli-engine.ts';
import { SignalRollupParticipant } from '../../engine/adapters/signal-rollup-participant.ts';
import { SloDefinitionRecorder } from '../../engine/adapters/slo-definition-recorder.ts';
import type { ApiDeps } from '../graphql/graphql-server.ts';
import { queryLimitsOf } from '../graphql/query-limits.ts';
import { openApiAccess } from '../auth/api-access.ts';
import { createApiRoutes } from '../http/api-routes.ts';
import { startHttpServer } from '../http/http-server.ts';
import { indexPageRoute } from '../http/index-page.ts';
import { SLUICE_VERSION } from './package-version.ts';
import { startClusterReleases } from './cluster-releases.ts';
import { startClusterStatus } from '../graphql/cluster-status.ts';
import { IngestRateMeter, workerIngestHealth } from '../graphql/ingest-rate-meter.ts';
import { ClickHouseRuleSource } from '../../engine/adapters/slo-rule-source.ts';
import { openGatePolicies, startGates } from '../graphql/gate-wiring.ts';

/** The judges' consumer group: SLUICE_KAFKA_JUDGE_GROUP_ID, or `<KAFKA_GROUP_ID>-judges`. */
function judgeGroupId(config: SluiceConfig): string {
  return config.kafkaJudgeGroupId ?? `${config.kafkaGroupId}-judges`;
}

function requireCluster(config: SluiceConfig, needKafka: boolean): { clickhouseUrl: string; brokers: string[] } {
  if (!config.clickhouseUrl) throw new ConfigError('invalid configuration:\n  CLICKHOUSE_URL (--clickhouse-url): required in cluster mode');
  if (needKafka && !config.kafkaBrokers) throw new ConfigError('invalid configuration:\n  KAFKA_BROKERS (--kafka-brokers): required by `sluice ingest`');
  return { clickhouseUrl: config.clickhouseUrl, brokers: config.kafkaBrokers ?? [] };
}

/** `sluice ingest`: a member of the ingest consumer group (scale out with more of them). */
export async function runClusterIngest(config: SluiceConfig, logger: Logger): Promise<RunningCommand> {
  const { clickhouseUrl, brokers } = requireCluster(config, true);
  const clickhouse = await connectClickHouse({ url: clickhouseUrl, database: config.clickhouseDatabase, username: config.clickhouseUser, password: config.clickhousePassword });
  await migrate(clickhouse);
  const breachKafka = createKafka({ brokers, clientId: `${config.kafkaClientId}-breaches`, logger });
  const breachProducer = breachKafka.producer({ allowAutoTopicCreation: true });
  await breachProducer.connect();
  const kafka = createKafka({ brokers, clientId: config.kafkaClientId, logger });
  await ensureTopics(kafka, [
    ...topicRoutes(config).map((r) => r.topic),
    config.topicDeadLetter,
    config.topicBreaches,
    // deltas of one segment and SLO are one message: allow large ones (16 MiB)
    { topic: config.topicSliDeltas, numPartitions: config.sliDeltaPartitions, configEntries: [{ name: 'max.message.bytes', value: String(16 * 1024 * 1024) }] },
  ], logger);
  const deltaPublisher = await KafkaSliDeltaPublisher.connect(kafka, config.topicSliDeltas);
  let sourceStatus: (source: string, partition: number) => { caughtUp: boolean; lastActivityAtMs?: number | undefined } = () => ({ caughtUp: false });
  const participant = new SliRollupParticipant({
    slos: () => engine.definitions(),
    publisher: deltaPublisher,
    allowedLatenessMs: config.allowedLatenessMs,
    sourceStatus: (source, partition) => sourceStatus(source, partition),
  });
  let fatal: ((err: Error) => void) | undefined;
  // this process is also a member of the judges' group: it judges the SLOs of the SLI-delta
  // partitions assigned to it, from every worker's deltas (docs/time-and-ownership.md)
  const engine = await SliEngine.start({
    clickhouse,
    logger,
    sloDir: config.sloDir,
    allowedLatenessMs: config.allowedLatenessMs,
    idleSourceMs: config.idleSourceMs,
    publishers: [new KafkaBreachPublisher(breachProducer, config.topicBreaches)],
    cluster: {
      kafka,
      groupId: judgeGroupId(config),
      topic: config.topicSliDeltas,
      upstream: topicRoutes(config).flatMap((r) => r.signals.flatMap((signal) => (signal === 'spans' || signal === 'logs' || signal === 'checks' ? [{ topic: r.topic, signal }] : []))),
      onFatal: (err) => fatal?.(err),
    },
  });
  // SLO definition versions as they load: review reports' config changes, `sluice api` backtests by name (docs/history.md)
  const definitions = await SloDefinitionRecorder.start({ clickhouse, sloDir: config.sloDir, catalog: engine.catalog, logger: logger.child({ component: 'slo-definitions' }) });
  const ingest = await startKafkaIngest({
    kafka,
    brokers,
    clientId: config.kafkaClientId,
    groupId: config.kafkaGroupId,
    routes: topicRoutes(config),
    deadLetterTopic: config.topicDeadLetter,
    clickhouse,
    logger,
    batchMaxRows: config.batchMaxRows,
    batchMaxDelayMs: config.batchMaxDelayMs,
    maxMessageBytes: config.maxMessageBytes,
    sampler: buildRowSampler(config),
    // SLI deltas for the judges, and signal rollups any SLO's history is rebuilt from (docs/history.md)
    participants: [participant, new SignalRollupParticipant()],
    timeBounds: { maxAgeMs: DEFAULT_TIME_BOUNDS.maxAgeMs, maxFutureMs: config.maxClockSkewMs, maxDurationMs: config.maxDurationMs },
    onClaimed: (claims, owned) => {
      participant.retain(owned);
      for (const c of claims) {
        const route = topicRoutes(config).find((r) => r.topic === c.source);
        for (const signal of route?.signals ?? []) {
          if (signal === 'spans' || signal === 'logs' || signal === 'checks') participant.track(c.source, c.partition, signal, c);
        }
      }
    },
    onHeartbeat: (owned) => participant.heartbeat(owned),
    sessionTimeoutMs: config.kafkaSessionTimeoutMs,
    onFatal: (err) => fatal?.(err),
  });
  sourceStatus = (source, partition) => ingest.worker.sourceStatus(source, partition);
  const exited = new Promise<number>((resolve) => {
    // kafkajs does not restart after this kind of crash and restarting in-process would read
    // the same batch again: exit non-zero so a supervisor restarts the worker
    fatal = () => resolve(1);
  });
  const rates = new IngestRateMeter(ingest.metrics);
  const stopRates = rates.start();
  const http = await startHttpServer({
    host: config.host,
    port: config.httpPort,
    logger,
    routes: [
      // events/s over the last minute and each owned partition as this worker sees it
      async (req, res, url) => {
        if (req.method !== 'GET' || url.pathname !== '/health/ingest') return false;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(workerIngestHealth(ingest.worker, rates)));
        return true;
      },
      ...ingestHealthRoutes({ worker: ingest.worker, metrics: ingest.metrics, clickhouse }),
    ],
  });
  logger.info({ brokers, group: config.kafkaGroupId, topics: topicRoutes(config), health: `${http.url}/healthz` }, 'ingest worker running');
  const progress = setInterval(() => logger.info({ consumed: ingest.worker.consumed, ...ingest.metrics.snapshot() }, 'ingest progress'), 30_000);
  return {
    exited,
    async stop() {
      clearInterval(progress);
      stopRates();
      await ingest.stop();
      await deltaPublisher.close();
      await definitions.stop();
      await engine.stop();
      await breachProducer.disconnect();
      await http.close();
      logger.info(ingest.metrics.snapshot(), 'ingest stopped');
      await clickhouse.close();
    },
  };
}

/** `sluice api`: the GraphQL API over ClickHouse (SLO state as the judges persist it), no ingest. */
export async function runClusterApi(config: SluiceConfig, logger: Logger): Promise<{ url: string; stop(): Promise<void> }> {
  const { clickhouseUrl, brokers } = requireCluster(config, false);
  const clickhouse = await connectClickHouse({ url: clickhouseUrl, database: config.clickhouseDatabase, username: config.clickhouseUser, password: config.clickhousePassword });
  await migrate(clickhouse);
  // tokens are required unless SLUICE_AUTH=off on a loopback host (docs/api-security.md)
  const access = await openApiAccess({ setting: config.auth, host: config.host, port: config.httpPort, process: 'cluster-api', clickhouse, logger })
    .catch(async (err: unknown) => {
      await clickhouse.close();
      throw err;
    });
  // gate policies (SLUICE_POLICY_DIR): an invalid file stops start-up here, naming its path and field
  const policies = await openGatePolicies({ dir: config.policyDir, clickhouse, logger, audit: access.audit })
    .catch(async (err: unknown) => {
      await clickhouse.close();
      throw err;
    });
  // releases: DORA, canary and rollback reads; one elected API process watches bakes and sends rollback requests (docs/releases.md)
  const releases = await startClusterReleases({ config, clickhouse, logger, brokers, access });
  // subscriptions read the breach topic, deploy reports go to the deploys topic (with KAFKA_BROKERS)
  const status = await startClusterStatus({ config, clickhouse, logger, brokers });
  // release gates over slo_state and the SLO definitions recorded in slo_definitions (docs/gates.md)
  const gates = startGates({ policies, clickhouse, logger, states: new ClickHouseSloStateStore(clickhouse, logger), rules: new ClickHouseRuleSource(clickhouse), canary: releases.deps.canary });
  const apiDeps = {
    logger,
    access,
    gate: gates.resolver,
    gateRecords: gates.records,
    release: releases.deps,
    status: status.status,
    // SLO state as the judges persist it (slo_state): this process judges nothing itself
    slo: { states: new ClickHouseSloStateStore(clickhouse, logger), clickhouse, ...(status.pubsub ? { pubsub: status.pubsub } : {}) },
    health: {
      version: SLUICE_VERSION, mode: 'cluster-api', clickhouse, clickhouseMode: 'external', clickhouseUrl,
      database: config.clickhouseDatabase, kafkaBrokers: brokers, simulator: false, startedAtMs: Date.now(),
    },
  } satisfies ApiDeps;
  const api = await createApiRoutes({ deps: apiDeps, limits: queryLimitsOf(config), maxBodyBytes: config.graphqlMaxBodyBytes });
  const http = await startHttpServer({
    host: config.host,
    port: config.httpPort,
    logger,
    routes: [...api.routes, ...releases.routes, indexPageRoute()],
  });
  const closeSubscriptions = api.attachSubscriptions(http.server);
  process.stdout.write(`sluice ${SLUICE_VERSION} API: GraphQL at ${http.url}/graphql (ClickHouse ${clickhouseUrl}); auth ${access.authenticator.mode} (${access.modeReason})\n`);
  return {
    url: http.url,
    async stop() {
      await closeSubscriptions();
      await http.close();
      await api.stop();
      gates.stop();
      await status.stop();
      await releases.stop();
      await clickhouse.close();
    },
  };
}
