import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { EngineTopics } from '../../engine/adapters/breach-publisher.ts';
import { KafkaDeployReportSink, UnavailableDeployReportSink } from '../../engine/adapters/deploy-report-sink.ts';
import { KafkaBreachFeed } from '../../engine/adapters/kafka-breach-feed.ts';
import { createKafka } from '../../ingest/kafka/kafka-client.ts';
import { ensureTopics } from '../../ingest/kafka/start-kafka-ingest.ts';
import type { SluiceConfig } from '../../platform/config/sluice-config.ts';
import type { PubSub } from '../../platform/pubsub/typed-pubsub.ts';
import { statusDepsOf, type StatusDeps } from './status-deps.ts';

/** Why deploy reports and subscriptions do not work in a `sluice api` without Kafka. */
export const NO_KAFKA_DEPLOYS = 'this `sluice api` has no KAFKA_BROKERS: deploy reports are produced to the deploys topic (SLUICE_TOPIC_DEPLOYS) for the ingest workers to store; set KAFKA_BROKERS, or report to `sluice start`';

/**
 * The status side of `sluice api` (cluster mode), which judges and ingests nothing itself:
 * with KAFKA_BROKERS, the breach topic read for subscriptions by a consumer group of this
 * process's own (`<KAFKA_GROUP_ID>-api-<host>-<pid>-<random>`, from the latest offset) and a
 * producer that hands deploy reports to the deploys topic; without, neither — subscriptions
 * answer UNAVAILABLE and deploy reports UNAVAILABLE with NO_KAFKA_DEPLOYS. Queries read
 * ClickHouse either way.
 */
export async function startClusterStatus(o: { config: SluiceConfig; clickhouse: ClickHouseClient; logger: Logger; brokers: readonly string[] }): Promise<{ status: StatusDeps; pubsub: PubSub<EngineTopics> | undefined; stop(): Promise<void> }> {
  const logger = o.logger.child({ component: 'api-status' });
  if (o.brokers.length === 0) {
    logger.warn('no KAFKA_BROKERS: subscriptions (sloTransitions, breaches, sloStateChanges) answer UNAVAILABLE and deploy reports are refused; queries work');
    return { status: statusDepsOf({ ...o, deploys: new UnavailableDeployReportSink(NO_KAFKA_DEPLOYS) }), pubsub: undefined, stop: async () => undefined };
  }
  const kafka = createKafka({ brokers: [...o.brokers], clientId: `${o.config.kafkaClientId}-api`, logger });
  await ensureTopics(kafka, [o.config.topicBreaches, o.config.topicDeploys], logger);
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const feed = await KafkaBreachFeed.start({
    kafka, topic: o.config.topicBreaches, logger,
    groupId: `${o.config.kafkaGroupId}-api-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
  });
  return {
    status: statusDepsOf({ ...o, deploys: new KafkaDeployReportSink(producer, o.config.topicDeploys) }),
    pubsub: feed.pubsub,
    async stop() {
      await feed.stop();
      await producer.disconnect();
    },
  };
}
