import {
  durationLabel,
  durationRank,
  frequencyLabel,
  frequencyRank,
  type DurationBucket,
  type FrequencyBucket,
} from './dora-buckets.ts';
import type { FourKeys } from './four-keys.ts';

/**
 * DORA's software delivery performance clusters of the **2023** Accelerate State of DevOps
 * Report (DORA / Google Cloud, "Accelerate State of DevOps Report 2023", chapter "How do
 * you compare?"), the first report to name the fourth key "failed deployment recovery
 * time". The clusters come from a cluster analysis of the survey answers; each is
 * described by its members' typical answer per key, and by its change failure rate:
 *
 * | cluster | deployment frequency                     | change lead time               | change failure rate | failed deployment recovery time  | share of respondents |
 * | ---     | ---                                      | ---                            | ---                 | ---                              | ---                  |
 * | Elite   | on demand                                | less than one day              | 5 %                 | less than one hour               | 18 %                 |
 * | High    | between once per day and once per week   | between one day and one week   | 10 %                | less than one day                | 31 %                 |
 * | Medium  | between once per week and once per month | between one week and one month | 15 %                | between one day and one week     | 33 %                 |
 * | Low     | between once per week and once per month | between one week and one month | 64 %                | between one month and six months | 17 %                 |
 *
 * Placement (an interpretation, docs/dora.md "Clusters"): DORA publishes typical values,
 * not thresholds, so sluice reads each cluster's row as the bar a team must meet on
 * **every** key — frequency at least as often, lead time and recovery time in the same
 * bucket or a faster one, change failure rate at most the cluster's — and places a team
 * in the best cluster whose bar it meets (Elite, then High, then Medium; otherwise Low).
 * The weakest key decides, and the answer names the keys that held the team back. A team
 * without failed deployments in the period meets every recovery bar.
 */
export const CLUSTER_REPORT = 'Accelerate State of DevOps Report 2023 (DORA, Google Cloud), "How do you compare?"';

export const CLUSTER_LEVELS = ['ELITE', 'HIGH', 'MEDIUM', 'LOW'] as const;
export type ClusterLevel = (typeof CLUSTER_LEVELS)[number];

export interface ClusterDefinition {
  level: ClusterLevel;
  deploymentFrequency: FrequencyBucket;
  leadTime: DurationBucket;
  /** Ratio 0–1. */
  changeFailureRate: number;
  recoveryTime: DurationBucket;
  /** Share of the report's respondents in the cluster, ratio 0–1. */
  share: number;
}

export const CLUSTERS_2023: readonly ClusterDefinition[] = [
  { level: 'ELITE', deploymentFrequency: 'ON_DEMAND', leadTime: 'LESS_THAN_ONE_DAY', changeFailureRate: 0.05, recoveryTime: 'LESS_THAN_ONE_HOUR', share: 0.18 },
  { level: 'HIGH', deploymentFrequency: 'DAILY_TO_WEEKLY', leadTime: 'ONE_DAY_TO_ONE_WEEK', changeFailureRate: 0.10, recoveryTime: 'LESS_THAN_ONE_DAY', share: 0.31 },
  { level: 'MEDIUM', deploymentFrequency: 'WEEKLY_TO_MONTHLY', leadTime: 'ONE_WEEK_TO_ONE_MONTH', changeFailureRate: 0.15, recoveryTime: 'ONE_DAY_TO_ONE_WEEK', share: 0.33 },
  { level: 'LOW', deploymentFrequency: 'WEEKLY_TO_MONTHLY', leadTime: 'ONE_WEEK_TO_ONE_MONTH', changeFailureRate: 0.64, recoveryTime: 'ONE_MONTH_TO_SIX_MONTHS', share: 0.17 },
];

export type DoraKey = 'deploymentFrequency' | 'leadTime' | 'changeFailureRate' | 'recoveryTime';

export interface ClusterPlacement {
  /** null when the team cannot be placed (too few deployments, no lead time). */
  level: ClusterLevel | null;
  /** Keys that missed the next better cluster's bar (empty for Elite). */
  limitedBy: DoraKey[];
  /** In words: why this cluster, or why none. */
  reason: string;
}

/** Whether the keys meet a cluster's bar; the keys that miss it. */
function misses(keys: FourKeys, c: ClusterDefinition): DoraKey[] {
  const missed: DoraKey[] = [];
  if (frequencyRank(keys.deploymentFrequency.bucket) > frequencyRank(c.deploymentFrequency)) missed.push('deploymentFrequency');
  if (keys.leadTime.bucket === null || durationRank(keys.leadTime.bucket) > durationRank(c.leadTime)) missed.push('leadTime');
  if ((keys.changeFailureRate.ratio ?? 1) > c.changeFailureRate) missed.push('changeFailureRate');
  if (keys.recoveryTime.bucket !== null && durationRank(keys.recoveryTime.bucket) > durationRank(c.recoveryTime)) missed.push('recoveryTime');
  // failures none of which has recovered yet: not shown to meet any recovery bar
  if (keys.recoveryTime.bucket === null && keys.recoveryTime.unrecovered > 0) missed.push('recoveryTime');
  return missed;
}

const KEY_NAMES: Record<DoraKey, string> = {
  deploymentFrequency: 'deployment frequency',
  leadTime: 'lead time',
  changeFailureRate: 'change failure rate',
  recoveryTime: 'recovery time',
};

function describeKey(keys: FourKeys, key: DoraKey): string {
  switch (key) {
    case 'deploymentFrequency': return `deploys ${frequencyLabel(keys.deploymentFrequency.bucket)} (${keys.deploymentFrequency.perDay.toPrecision(3)} a day)`;
    case 'leadTime': return keys.leadTime.bucket === null ? 'no lead time' : `median lead time ${durationLabel(keys.leadTime.bucket)}`;
    case 'changeFailureRate': return `change failure rate ${((keys.changeFailureRate.ratio ?? 0) * 100).toFixed(1)} %`;
    case 'recoveryTime': return keys.recoveryTime.bucket === null ? `${keys.recoveryTime.unrecovered} failures not recovered yet` : `median recovery ${durationLabel(keys.recoveryTime.bucket)}`;
  }
}

/** The 2023 cluster of a team's four keys (see the file comment), or none with the reason. */
export function placeInCluster(keys: FourKeys, minDeployments: number): ClusterPlacement {
  if (keys.deployments < minDeployments) {
    return { level: null, limitedBy: [], reason: `${keys.deployments} deployments in the period; placing a team in a DORA cluster needs at least ${minDeployments}` };
  }
  if (keys.leadTime.samples === 0) return { level: null, limitedBy: [], reason: 'no deployment with a usable lead time (commit time after the deploy finished)' };
  let previousMisses: DoraKey[] = [];
  for (const c of CLUSTERS_2023) {
    if (c.level === 'LOW') break;
    const missed = misses(keys, c);
    if (missed.length === 0) {
      const why = previousMisses.length === 0 ? 'meets every Elite bar' : `meets every ${c.level} bar; held back from the next cluster by ${previousMisses.map((k) => describeKey(keys, k)).join(', ')}`;
      return { level: c.level, limitedBy: previousMisses, reason: why };
    }
    previousMisses = missed;
  }
  return { level: 'LOW', limitedBy: previousMisses, reason: `misses the Medium bar on ${previousMisses.map((k) => `${KEY_NAMES[k]} (${describeKey(keys, k)})`).join(', ')}` };
}
