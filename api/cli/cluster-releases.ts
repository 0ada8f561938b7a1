import type { ClickHouseClient } from '@clickhouse/client';
import type { Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { SluiceConfig } from '../../platform/config/sluice-config.ts';
import { ClickHouseAlertContext } from '../../engine/adapters/clickhouse-alert-context.ts';
import { ClickHouseSloStateStore } from '../../engine/adapters/clickhouse-slo-state-store.ts';
import { KafkaLeadership } from '../../engine/adapters/kafka-leadership.ts';
import { createAlertWebhookHandler } from '../../ingest/http/alert-webhook-handler.ts';
import { KafkaAlertSubmitter } from '../../ingest/http/kafka-alert-submitter.ts';
import { createKafka } from '../../ingest/kafka/kafka-client.ts';
import { ensureTopics } from '../../ingest/kafka/start-kafka-ingest.ts';
import type { ApiAccess } from '../auth/api-access.ts';
import type { ReleaseDeps } from '../graphql/release-deps.ts';
import type { RouteHandler } from '../http/http-server.ts';
import { guardAlertRoute } from './alert-webhook-routes.ts';
import { startReleaseServices } from './release-services.ts';

/** Largest alert webhook body, bytes (Alertmanager groups many alerts in one notification). */
export const ALERT_MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * Release management in `sluice api` (docs/releases.md "Cluster mode"): every API process
 * answers doraMetrics, benchmarks, canaryComparison and rollbackRequests; one of them — the
 * member of the consumer group `<KAFKA_GROUP_ID>-rollback-watch` that holds partition 0 of
 * the rollback topic — watches releases and sends rollback requests, to the rollback topic
 * too. The alert doors hand incidents to the incidents topic (the ingest workers write them).
 * Without KAFKA_BROKERS there is no topic, no election and no door: the process watches
 * releases on its own (run one `sluice api` then).
 */
export async function startClusterReleases(opts: { config: SluiceConfig; clickhouse: ClickHouseClient; logger: Logger; brokers: readonly string[]; access: ApiAccess }): Promise<{ deps: ReleaseDeps; routes: RouteHandler[]; stop(): Promise<void> }> {
  const { config, clickhouse, logger } = opts;
  const slos = new ClickHouseSloStateStore(clickhouse, logger);
  if (opts.brokers.length === 0) {
    logger.warn('no KAFKA_BROKERS: rollback requests go to webhooks only, and this process watches releases unelected (run a single sluice api)');
    const services = startReleaseServices({ config, clickhouse, logger, slos });
    void services.resume();
    return { deps: services.deps, routes: [], stop: () => services.stop() };
  }
  const kafka = createKafka({ brokers: [...opts.brokers], clientId: `${config.kafkaClientId}-releases`, logger });
  await ensureTopics(kafka, [{ topic: config.topicRollbacks, numPartitions: 1 }], logger);
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const election: { current?: KafkaLeadership } = {};
  const services = startReleaseServices({ config, clickhouse, logger, slos, producer, isActive: () => election.current?.isLeader() ?? false });
  election.current = await KafkaLeadership.start({
    kafka, groupId: `${config.kafkaGroupId}-rollback-watch`, topic: config.topicRollbacks, logger: logger.child({ component: 'rollback-election' }),
    onLead: () => void services.resume(),
  });
  const submitter = new KafkaAlertSubmitter({ producer, incidentsTopic: config.topicIncidents, deadLetterTopic: config.topicDeadLetter, clickhouse });
  const doors = createAlertWebhookHandler({
    submit: (source, items) => submitter.submit(source, items),
    context: new ClickHouseAlertContext(clickhouse),
    maxBodyBytes: ALERT_MAX_BODY_BYTES,
  });
  return {
    deps: services.deps,
    routes: [guardAlertRoute(doors, opts.access, config.alertWebhookSecret)],
    async stop() {
      await services.stop();
      await election.current?.stop();
      await producer.disconnect();
    },
  };
}
