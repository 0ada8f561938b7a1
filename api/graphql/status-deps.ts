import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import type { SluiceConfig } from '../../platform/config/sluice-config.ts';
import { ClickHouseBuildMetricsStore } from '../../engine/adapters/clickhouse-build-metrics-store.ts';
import type { BuildMetricsStore } from '../../engine/adapters/build-metrics-store.ts';
import { UnavailableDeployReportSink, type DeployReportSink } from '../../engine/adapters/deploy-report-sink.ts';
import { ClickHouseSloDirectory, type SloDirectoryReader } from '../../engine/adapters/slo-definition-directory.ts';
import { DEFAULT_TIME_BOUNDS } from '../../ingest/pipeline/ingest-pipeline.ts';
import { DEFAULT_SUBSCRIBER_QUEUE } from '../subscriptions/subscriber-queue.ts';
import type { IngestRateMeter } from './ingest-rate-meter.ts';

/**
 * What the status and analytics fields, the live subscriptions and the release-report
 * mutations need beyond the SLO state (ApiDeps.status). `sluice start` and `sluice api` wire
 * it (api/cli/embedded-mode.ts, cluster-modes.ts); without it the defaults below apply.
 */
export interface StatusDeps {
  /** SLO definitions as recorded (`slo_definitions`): team, tier, target, rule severities. */
  directory: SloDirectoryReader;
  /** This process's ingest rates; absent where the process ingests nothing (cluster `sluice api`). */
  rates?: IngestRateMeter | undefined;
  /** Where reported deploys go (embedded: the pipeline; cluster: the deploys topic; or refused). */
  deploys: DeployReportSink;
  buildMetrics: BuildMetricsStore;
  /**
   * Bounds a reported deploy's start must be within, as the ingest pipeline would otherwise
   * dead-letter it: at most maxFutureMs after now (SLUICE_MAX_CLOCK_SKEW_MS), at most
   * maxAgeMs before (400 days), ms.
   */
  deployTimeBounds: { maxFutureMs: number; maxAgeMs: number };
  /** Events one subscription may have waiting before its connection is closed (SLUICE_SUBSCRIPTION_QUEUE). */
  subscriptionQueue: number;
  now?: (() => number) | undefined;
}

/** The defaults: ClickHouse for definitions and build metrics, deploy reports refused, no ingest rates. */
export function defaultStatusDeps(clickhouse: ClickHouseClient, logger: Logger): StatusDeps {
  return {
    directory: new ClickHouseSloDirectory(clickhouse, { logger }),
    deploys: new UnavailableDeployReportSink('this process stores no deploys (no ingest pipeline and no deploys topic)'),
    buildMetrics: new ClickHouseBuildMetricsStore(clickhouse),
    deployTimeBounds: { maxFutureMs: DEFAULT_TIME_BOUNDS.maxFutureMs, maxAgeMs: DEFAULT_TIME_BOUNDS.maxAgeMs },
    subscriptionQueue: DEFAULT_SUBSCRIBER_QUEUE,
  };
}

/** The status deps of a serving process from its configuration: ClickHouse reads, the given deploy sink and ingest rates. */
export function statusDepsOf(o: { config: SluiceConfig; clickhouse: ClickHouseClient; logger: Logger; deploys: DeployReportSink; rates?: IngestRateMeter | undefined }): StatusDeps {
  return {
    directory: new ClickHouseSloDirectory(o.clickhouse, { logger: o.logger }),
    rates: o.rates,
    deploys: o.deploys,
    buildMetrics: new ClickHouseBuildMetricsStore(o.clickhouse),
    deployTimeBounds: { maxFutureMs: o.config.maxClockSkewMs, maxAgeMs: DEFAULT_TIME_BOUNDS.maxAgeMs },
    subscriptionQueue: o.config.subscriptionQueue,
  };
}
