import { buildBenchmarks, doraMetrics, type BenchmarkReport, type FailedDeployment } from '../../engine/core/dora/benchmark-report.ts';
import { durationLabel, frequencyLabel } from '../../engine/core/dora/dora-buckets.ts';
import { doraOptions } from '../../engine/core/dora/dora-options.ts';
import type { FailureCause, UnattributedFailure } from '../../engine/core/dora/failure-attribution.ts';
import type { FourKeys } from '../../engine/core/dora/four-keys.ts';
import type { KeyChange } from '../../engine/core/dora/period-comparison.ts';
import { checkPeriod, releaseDepsOf, type ReleaseDeps } from './release-deps.ts';

/**
 * `doraMetrics` and `benchmarks` (schema/graphql/sluice.graphql, docs/dora.md): the history
 * is read from storage for the period — plus the incident window before it (what served
 * then) and after it (failures found later still count against the period's deploys) —
 * and computed by the pure core, engine/core/dora/.
 */

export interface DoraMetricsArgs {
  environment?: string | null;
  service?: string | null;
  team?: string | null;
  from: number;
  to: number;
}

export interface BenchmarksArgs {
  environment?: string | null;
  from: number;
  to: number;
  groupBy?: 'TEAM' | 'SERVICE' | null;
  groups?: string[] | null;
  compareFrom?: number | null;
  compareTo?: number | null;
}

export function fourKeysView(k: FourKeys) {
  return {
    from: k.fromMs, to: k.toMs, periodDays: k.periodDays, deployments: k.deployments, failedAttempts: k.failedAttempts, rollbackDeploys: k.rollbackDeploys,
    deploymentFrequency: { ...k.deploymentFrequency, bucketLabel: frequencyLabel(k.deploymentFrequency.bucket) },
    leadTime: { samples: k.leadTime.samples, excluded: k.leadTime.excluded, medianMs: k.leadTime.medianMs, p90Ms: k.leadTime.p90Ms, bucket: k.leadTime.bucket, bucketLabel: k.leadTime.bucket && durationLabel(k.leadTime.bucket) },
    changeFailureRate: { failed: k.changeFailureRate.failed, deployments: k.changeFailureRate.deployments, ratio: k.changeFailureRate.ratio, ciLow: k.changeFailureRate.ci95?.[0] ?? null, ciHigh: k.changeFailureRate.ci95?.[1] ?? null },
    recoveryTime: { samples: k.recoveryTime.samples, excluded: k.recoveryTime.unrecovered, medianMs: k.recoveryTime.medianMs, p90Ms: k.recoveryTime.p90Ms, bucket: k.recoveryTime.bucket, bucketLabel: k.recoveryTime.bucket && durationLabel(k.recoveryTime.bucket) },
  };
}

function causeView(c: FailureCause) {
  switch (c.kind) {
    case 'rollback': return { kind: c.kind, at: c.atMs ?? null, by: c.by };
    case 'slo-breach': return { kind: c.kind, at: c.startMs, endedAt: c.endMs ?? null, slo: c.slo, transitionId: c.transitionId, rule: c.rule ?? null };
    case 'incident': return { kind: c.kind, at: c.openedAtMs, endedAt: c.resolvedAtMs ?? null, incidentId: c.incidentId, severity: c.severity, link: c.link };
  }
}

export function failedDeploymentView(f: FailedDeployment) {
  return {
    deployId: f.deployId, service: f.service, version: f.version, team: f.team, finishedAt: f.finishedAtMs,
    failureStart: f.failureStartMs ?? null, restoredAt: f.restoredAtMs ?? null, recoveryMs: f.recoveryMs ?? null, causes: f.causes.map(causeView),
  };
}

const unattributedView = (u: UnattributedFailure) => ({ kind: u.kind, id: u.id, service: u.service, environment: u.environment, at: u.atMs, reason: u.reason });

function changeView(c: KeyChange) {
  return { ...c, ciLow: c.ci95?.[0] ?? null, ciHigh: c.ci95?.[1] ?? null };
}

export function benchmarksView(r: BenchmarkReport) {
  return {
    from: r.fromMs, to: r.toMs, environment: r.environment, groupBy: r.groupBy === 'team' ? 'TEAM' : 'SERVICE',
    reference: r.reference, minDeployments: r.options.minDeployments, minPeers: r.options.minPeers,
    rows: r.rows.map((row) => ({
      group: row.group,
      services: row.services,
      keys: fourKeysView(row.keys),
      cluster: row.cluster,
      percentile: row.ranking.percentiles,
      percentileReason: row.ranking.reason,
      peers: row.ranking.peers,
      trend: row.trend.map((m) => ({ month: m.month, from: m.fromMs, to: m.toMs, keys: fourKeysView(m.keys) })),
      comparison: row.comparison?.changes.map(changeView) ?? null,
      failedDeployments: row.failedDeployments.map(failedDeploymentView),
    })),
    unattributed: r.unattributed.map(unattributedView),
  };
}

/** Reads the history of [fromMs, toMs) with the margins attribution needs. */
async function historyFor(deps: ReleaseDeps, fromMs: number, toMs: number, environment: string) {
  const opts = doraOptions(deps.dora);
  const margin = Math.max(opts.incidentWindowMs, opts.breachWindowMs);
  return deps.history.load({ fromMs, toMs, environments: [environment], lookbackMs: margin, lookaheadMs: margin, nowMs: (deps.now ?? Date.now)() });
}

/** The report of `benchmarks`, as the CLI export also uses it. */
export async function benchmarkReport(deps: ReleaseDeps, args: BenchmarksArgs): Promise<BenchmarkReport> {
  checkPeriod(args.from, args.to);
  const compare = args.compareFrom != null || args.compareTo != null;
  if (compare) checkPeriod(args.compareFrom ?? NaN, args.compareTo ?? NaN, { from: 'compareFrom', to: 'compareTo' });
  const environment = args.environment ?? 'production';
  const fromMs = compare ? Math.min(args.from, args.compareFrom!) : args.from;
  const toMs = compare ? Math.max(args.to, args.compareTo!) : args.to;
  const history = await historyFor(deps, fromMs, toMs, environment);
  return buildBenchmarks(history, {
    fromMs: args.from, toMs: args.to, environment,
    groupBy: args.groupBy === 'SERVICE' ? 'service' : 'team',
    groups: args.groups ?? undefined,
    compareWith: compare ? { fromMs: args.compareFrom!, toMs: args.compareTo! } : undefined,
  }, deps.dora);
}

export function deliveryMetricsResolvers(deps: ReleaseDeps | undefined) {
  return {
    doraMetrics: async (_: unknown, args: DoraMetricsArgs) => {
      const d = releaseDepsOf(deps);
      checkPeriod(args.from, args.to);
      const environment = args.environment ?? 'production';
      const history = await historyFor(d, args.from, args.to, environment);
      const m = doraMetrics(history, { environment, service: args.service ?? undefined, team: args.team ?? undefined }, args.from, args.to, d.dora);
      return {
        environment, service: args.service ?? null, team: args.team ?? null,
        keys: fourKeysView(m.keys), failedDeployments: m.failedDeployments.map(failedDeploymentView), unattributed: m.unattributed.map(unattributedView),
      };
    },
    benchmarks: async (_: unknown, args: BenchmarksArgs) => benchmarksView(await benchmarkReport(releaseDepsOf(deps), args)),
  };
}
