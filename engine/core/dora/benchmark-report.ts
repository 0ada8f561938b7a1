import type { DeliveryHistory, DeployRecord } from './delivery-records.ts';
import { doraOptions, type DoraOptions } from './dora-options.ts';
import { attributeFailures, type Attribution, type DeployOutcome, type UnattributedFailure } from './failure-attribution.ts';
import { fourKeys, type FourKeys } from './four-keys.ts';
import { rankPeers, type PeerRanking } from './peer-percentile.ts';
import { CLUSTER_REPORT, CLUSTERS_2023, placeInCluster, type ClusterDefinition, type ClusterPlacement } from './performance-clusters.ts';
import { comparePeriods, type KeyChange } from './period-comparison.ts';

/**
 * DORA metrics and team benchmarks over a delivery history (docs/dora.md): the four keys of
 * each group (team or service) in one environment and period, its 2023 DORA cluster, its
 * percentile among the other groups of the report, its monthly trend and, when asked, the
 * comparison with an earlier period. Failures are attributed once, over the whole history
 * (failure-attribution.ts), so a deploy at the end of the period still sees the incident
 * that came after it.
 */

/** A group whose deploys named no team. */
export const NO_TEAM = '(no team)';

export interface GroupFilter {
  environment: string;
  service?: string | undefined;
  team?: string | undefined;
}

/** The deploys (change deploys with their outcomes, attempts, rollback deploys) matching a filter. */
export interface DeployGroup {
  outcomes: DeployOutcome[];
  attempts: DeployRecord[];
  rollbackDeploys: DeployRecord[];
}

const teamOf = (d: DeployRecord) => (d.team === '' ? NO_TEAM : d.team);

export function selectGroup(attribution: Attribution, filter: GroupFilter): DeployGroup {
  const match = (d: DeployRecord) => d.environment === filter.environment
    && (filter.service === undefined || d.service === filter.service)
    && (filter.team === undefined || teamOf(d) === filter.team);
  return {
    outcomes: [...attribution.outcomes.values()].filter((o) => match(o.deploy)),
    attempts: attribution.attempts.filter(match),
    rollbackDeploys: attribution.rollbackDeploys.filter(match),
  };
}

/** One failed deployment, as reports list it. */
export interface FailedDeployment {
  deployId: string;
  service: string;
  version: string;
  team: string;
  finishedAtMs: number;
  causes: DeployOutcome['causes'];
  failureStartMs: number | undefined;
  restoredAtMs: number | undefined;
  recoveryMs: number | undefined;
}

function failedDeployments(group: DeployGroup, fromMs: number, toMs: number): FailedDeployment[] {
  return group.outcomes
    .filter((o) => o.failed && o.deploy.finishedAtMs >= fromMs && o.deploy.finishedAtMs < toMs)
    .sort((a, b) => a.deploy.finishedAtMs - b.deploy.finishedAtMs)
    .map((o) => ({
      deployId: o.deploy.deployId, service: o.deploy.service, version: o.deploy.version, team: teamOf(o.deploy),
      finishedAtMs: o.deploy.finishedAtMs, causes: o.causes, failureStartMs: o.failureStartMs, restoredAtMs: o.restoredAtMs, recoveryMs: o.recoveryMs,
    }));
}

/** Unattributed failures of an environment (and service) in a period. */
function unattributedIn(attribution: Attribution, filter: GroupFilter, fromMs: number, toMs: number): UnattributedFailure[] {
  return attribution.unattributed.filter((u) => u.environment === filter.environment && (filter.service === undefined || u.service === filter.service) && u.atMs >= fromMs && u.atMs < toMs);
}

/**
 * The part of a history a service or team filter needs: attribution is per service and
 * environment, so only the deploys, incidents and breaches of the filter's services count
 * (a team's services: those its deploys name). The whole history without a filter.
 */
function servicesOf(history: DeliveryHistory, filter: GroupFilter): DeliveryHistory {
  if (filter.service === undefined && filter.team === undefined) return history;
  const services = new Set(filter.service !== undefined ? [filter.service] : history.deploys.filter((d) => teamOf(d) === filter.team).map((d) => d.service));
  return {
    deploys: history.deploys.filter((d) => services.has(d.service)),
    incidents: history.incidents.filter((i) => services.has(i.service)),
    breaches: history.breaches.filter((b) => services.has(b.service)),
  };
}

/** The four keys of one service, team or environment (`doraMetrics`). */
export interface DoraMetrics {
  filter: GroupFilter;
  keys: FourKeys;
  failedDeployments: FailedDeployment[];
  /** Incidents and breaches in the period no deploy can honestly be blamed for (not filtered by team). */
  unattributed: UnattributedFailure[];
}

export function doraMetrics(history: DeliveryHistory, filter: GroupFilter, fromMs: number, toMs: number, overrides: Partial<DoraOptions> = {}): DoraMetrics {
  const attribution = attributeFailures(servicesOf(history, filter), doraOptions(overrides));
  const group = selectGroup(attribution, filter);
  return { filter, keys: fourKeys(group, fromMs, toMs), failedDeployments: failedDeployments(group, fromMs, toMs), unattributed: unattributedIn(attribution, filter, fromMs, toMs) };
}

export interface MonthlyKeys {
  /** `YYYY-MM` (UTC). */
  month: string;
  fromMs: number;
  toMs: number;
  keys: FourKeys;
}

/** The UTC calendar months overlapping [fromMs, toMs), each clipped to it. */
export function monthsOf(fromMs: number, toMs: number): { month: string; fromMs: number; toMs: number }[] {
  const out: { month: string; fromMs: number; toMs: number }[] = [];
  const start = new Date(fromMs);
  let year = start.getUTCFullYear();
  let month = start.getUTCMonth();
  for (;;) {
    const begin = Date.UTC(year, month, 1);
    if (begin >= toMs) break;
    const end = Date.UTC(year, month + 1, 1);
    out.push({ month: `${year}-${String(month + 1).padStart(2, '0')}`, fromMs: Math.max(begin, fromMs), toMs: Math.min(end, toMs) });
    month++;
    if (month === 12) {
      month = 0;
      year++;
    }
  }
  return out;
}

export interface BenchmarkQuery {
  fromMs: number;
  toMs: number;
  environment: string;
  groupBy: 'team' | 'service';
  /** Rows to return (all when absent); peers are always every group of the environment. */
  groups?: readonly string[] | undefined;
  /** An earlier period to compare each group with. */
  compareWith?: { fromMs: number; toMs: number } | undefined;
}

export interface BenchmarkRow {
  group: string;
  services: string[];
  keys: FourKeys;
  cluster: ClusterPlacement;
  ranking: PeerRanking;
  trend: MonthlyKeys[];
  comparison: { before: FourKeys; changes: KeyChange[] } | null;
  failedDeployments: FailedDeployment[];
}

export interface BenchmarkReport {
  fromMs: number;
  toMs: number;
  environment: string;
  groupBy: 'team' | 'service';
  reference: { report: string; clusters: readonly ClusterDefinition[] };
  options: DoraOptions;
  rows: BenchmarkRow[];
  unattributed: UnattributedFailure[];
}

export function buildBenchmarks(history: DeliveryHistory, query: BenchmarkQuery, overrides: Partial<DoraOptions> = {}): BenchmarkReport {
  const options = doraOptions(overrides);
  if (!(query.toMs > query.fromMs)) throw new RangeError(`the period must not be empty: from ${query.fromMs}, to ${query.toMs}`);
  const attribution = attributeFailures(history, options);
  const env = selectGroup(attribution, { environment: query.environment });
  const groupOf = (d: DeployRecord) => (query.groupBy === 'team' ? teamOf(d) : d.service);
  const groups = new Map<string, DeployGroup>();
  const add = (d: DeployRecord) => {
    let g = groups.get(groupOf(d));
    if (!g) groups.set(groupOf(d), (g = { outcomes: [], attempts: [], rollbackDeploys: [] }));
    return g;
  };
  for (const o of env.outcomes) add(o.deploy).outcomes.push(o);
  for (const d of env.attempts) add(d).attempts.push(d);
  for (const d of env.rollbackDeploys) add(d).rollbackDeploys.push(d);

  const keysOf = new Map([...groups].map(([name, g]) => [name, fourKeys(g, query.fromMs, query.toMs)]));
  // peers: groups that deployed in the period
  const peers = [...keysOf].filter(([, k]) => k.deployments + k.failedAttempts + k.rollbackDeploys > 0).map(([id, keys]) => ({ id, keys }));
  const rankings = rankPeers(peers, options);
  const wanted = query.groups === undefined ? peers.map((p) => p.id) : [...query.groups];
  const months = monthsOf(query.fromMs, query.toMs);
  const rows: BenchmarkRow[] = wanted.sort().map((name) => {
    const g = groups.get(name) ?? { outcomes: [], attempts: [], rollbackDeploys: [] };
    const keys = keysOf.get(name) ?? fourKeys(g, query.fromMs, query.toMs);
    const before = query.compareWith === undefined ? undefined : fourKeys(g, query.compareWith.fromMs, query.compareWith.toMs);
    return {
      group: name,
      services: [...new Set(g.outcomes.filter((o) => o.deploy.finishedAtMs >= query.fromMs && o.deploy.finishedAtMs < query.toMs).map((o) => o.deploy.service))].sort(),
      keys,
      cluster: placeInCluster(keys, options.minDeployments),
      ranking: rankings.get(name) ?? { percentiles: null, peers: peers.length, reason: `${name} did not deploy to ${query.environment} in the period` },
      trend: months.map((m) => ({ ...m, keys: fourKeys(g, m.fromMs, m.toMs) })),
      comparison: before === undefined ? null : { before, changes: comparePeriods(before, keys, options) },
      failedDeployments: failedDeployments(g, query.fromMs, query.toMs),
    };
  });
  return {
    fromMs: query.fromMs,
    toMs: query.toMs,
    environment: query.environment,
    groupBy: query.groupBy,
    reference: { report: CLUSTER_REPORT, clusters: CLUSTERS_2023 },
    options,
    rows,
    unattributed: unattributedIn(attribution, { environment: query.environment }, query.fromMs, query.toMs),
  };
}
