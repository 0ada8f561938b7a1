import type { Producer } from 'kafkajs';
import type { DeployV1 } from '../../schema/events/v1/deploy.ts';
import type { IngestPipeline } from '../../ingest/pipeline/ingest-pipeline.ts';
import { SluiceError, errorMessage, isRetriable } from '../../platform/errors/sluice-error.ts';

/** The embedded source deploy reports enter the pipeline as (its progress is in `ingest_progress`). */
export const API_DEPLOYS_SOURCE = 'api/deploys';

/**
 * Where deploys reported through the API (`reportDeployStarted` / `reportDeployFinished`)
 * go: the same path as any other deploy event of the mode, so they are stored, counted and
 * read exactly like deploys from the topic or NDJSON ingest.
 */
export interface DeployReportSink {
  /** Where a report goes, as the mutation answers it: `clickhouse` or `kafka:<topic>`. */
  readonly destination: string;
  /**
   * Hands over one validated deploy event; resolves once it is durable (embedded: written;
   * cluster: acknowledged by the broker). Throws a SluiceError: retriable when trying again
   * later may work.
   */
  submit(event: DeployV1): Promise<void>;
}

/** Embedded mode: the event enters the ingest pipeline as source `api/deploys` and is awaited until written. */
export class PipelineDeployReportSink implements DeployReportSink {
  readonly destination = 'clickhouse';
  private readonly pipeline: Pick<IngestPipeline, 'accept'>;

  constructor(pipeline: Pick<IngestPipeline, 'accept'>) {
    this.pipeline = pipeline;
  }

  async submit(event: DeployV1): Promise<void> {
    try {
      await this.pipeline.accept(API_DEPLOYS_SOURCE, 'deploys', [{ ok: true, value: { signal: 'deploys', event } }], { wait: true });
    } catch (err) {
      throw new SluiceError('DEPLOY_REPORT_NOT_STORED', `the deploy report was not stored: ${errorMessage(err)}`, { retriable: isRetriable(err), cause: err });
    }
  }
}

/**
 * Cluster mode (`sluice api` with KAFKA_BROKERS): the event is produced to the deploys
 * topic as contract JSON, keyed by deploy id (a deploy's started and finished reports stay
 * in order on one partition), for the ingest workers to write like any deploy.
 */
export class KafkaDeployReportSink implements DeployReportSink {
  readonly destination: string;
  private readonly producer: Producer;
  private readonly topic: string;

  constructor(producer: Producer, topic: string) {
    this.producer = producer;
    this.topic = topic;
    this.destination = `kafka:${topic}`;
  }

  async submit(event: DeployV1): Promise<void> {
    try {
      await this.producer.send({ topic: this.topic, messages: [{ key: event.deployId, value: JSON.stringify(event) }] });
    } catch (err) {
      throw new SluiceError('DEPLOY_REPORT_NOT_PRODUCED', `the deploy report could not be produced to ${this.topic}: ${errorMessage(err)}`, { retriable: true, cause: err });
    }
  }
}

/** A process that cannot store deploys (cluster `sluice api` without KAFKA_BROKERS): every report is refused with the reason. */
export class UnavailableDeployReportSink implements DeployReportSink {
  readonly destination = 'none';
  private readonly reason: string;

  constructor(reason: string) {
    this.reason = reason;
  }

  async submit(): Promise<void> {
    throw new SluiceError('DEPLOY_REPORTS_UNAVAILABLE', this.reason);
  }
}
