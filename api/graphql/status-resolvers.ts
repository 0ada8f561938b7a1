import type { TransitionHub } from '../subscriptions/transition-hub.ts';
import { storageRead } from './clickhouse-read.ts';
import { resolveBreachHistory, type BreachHistoryArgs } from './breach-history-resolver.ts';
import { resolveIngestHealth } from './ingest-health-resolver.ts';
import { releaseReportResolvers } from './release-report-resolvers.ts';
import { resolveReleaseSlis, type ReleaseSlisArgs } from './release-sli-resolver.ts';
import { resolveSliSeries, type SliSeriesArgs } from './sli-series-resolver.ts';
import { sloStatusesPage, type SloFilter } from './slo-filter.ts';
import { sloStatusView, type SloDeps } from './slo-resolvers.ts';
import type { StatusDeps } from './status-deps.ts';

/**
 * The status and analytics fields (sloStatuses, sliSeries, breachHistory, releaseSlis,
 * buildMetrics, SloStatus.team, Health.ingest, Health.subscriptions) and the release-report
 * mutations, as resolver maps for graphql-server.ts. Subscriptions are in
 * api/subscriptions/status-subscriptions.ts.
 */
export function statusResolvers(slo: SloDeps, status: StatusDeps, hub: TransitionHub) {
  const now = status.now ?? Date.now;
  const reports = releaseReportResolvers(status);
  const reads = { clickhouse: slo.clickhouse, states: slo.states, directory: status.directory };
  return {
    Query: {
      sloStatuses: (_: unknown, args: { filter?: SloFilter | null; first?: number | null; after?: string | null }) =>
        sloStatusesPage({ states: slo.states, directory: status.directory, view: sloStatusView }, args),
      sliSeries: (_: unknown, args: SliSeriesArgs) => resolveSliSeries(reads, args),
      breachHistory: (_: unknown, args: BreachHistoryArgs) => resolveBreachHistory(reads, args),
      releaseSlis: (_: unknown, args: ReleaseSlisArgs) => resolveReleaseSlis(reads, args),
      ...reports.Query,
    },
    Mutation: reports.Mutation,
    SloStatus: {
      team: async (parent: { name: string }) => (await storageRead('the SLO directory', () => status.directory.get(parent.name)))?.team ?? null,
    },
    Health: {
      ingest: () => resolveIngestHealth({ clickhouse: slo.clickhouse, states: slo.states, rates: status.rates, now }),
      subscriptions: () => ({ available: hub.available, queueCapacity: status.subscriptionQueue, ...hub.stats() }),
    },
  };
}
