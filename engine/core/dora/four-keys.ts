import { quantileOfSorted, sortedCopy } from '../canary/sample-quantile.ts';
import { wilsonInterval } from '../canary/two-proportion-comparison.ts';
import type { DeployRecord } from './delivery-records.ts';
import { durationBucket, frequencyBucket, type DurationBucket, type FrequencyBucket } from './dora-buckets.ts';
import type { DeployOutcome } from './failure-attribution.ts';

/**
 * DORA's four keys over a group of deploys (a service, a team, an environment) and a
 * period [fromMs, toMs) — definitions after dora.dev "DORA's software delivery metrics: the
 * four keys" (2023 names) and Forsgren, Humble, Kim, "Accelerate" (2018), ch. 2; the
 * choices sluice makes are in docs/dora.md:
 *
 *  - **Deployment frequency**: change deploys that reached the environment and finished in
 *    the period, per day (and per week) of the period. Rollback deploys carry no change and
 *    failed attempts never served: both are counted apart, not as deployments.
 *  - **Lead time for changes**: per deployment, finished − the commit time of its newest
 *    change; median and 90th percentile (type 7). A commit time after the finish is bad
 *    data, left out and counted.
 *  - **Change failure rate**: failed deployments / deployments, with a 95 % Wilson interval.
 *  - **Failed deployment recovery time** (the 2023 name of "time to restore service"): per
 *    failed deployment of the period, restored − failure start (failure-attribution.ts);
 *    median and 90th percentile. Failures not yet recovered are counted, not timed.
 */
export interface FourKeys {
  fromMs: number;
  toMs: number;
  /** Length of the period, days (fractional). */
  periodDays: number;
  deployments: number;
  /** Attempts that never reached the environment (status failed). */
  failedAttempts: number;
  rollbackDeploys: number;
  deploymentFrequency: {
    /** Deployments per day, average over the period. */
    perDay: number;
    perWeek: number;
    /** UTC days with at least one deployment. */
    deployDays: number;
    bucket: FrequencyBucket;
  };
  leadTime: {
    samples: number;
    /** Left out: commit time after the deploy finished. */
    excluded: number;
    medianMs: number | null;
    p90Ms: number | null;
    bucket: DurationBucket | null;
    /** Every sample, ms (for comparisons; not exported to GraphQL). */
    valuesMs: number[];
  };
  changeFailureRate: {
    failed: number;
    deployments: number;
    /** failed / deployments, ratio 0–1; null without deployments. */
    ratio: number | null;
    /** 95 % Wilson interval of the ratio; null without deployments. */
    ci95: [number, number] | null;
  };
  recoveryTime: {
    samples: number;
    /** Failed deployments of the period not recovered yet. */
    unrecovered: number;
    medianMs: number | null;
    p90Ms: number | null;
    bucket: DurationBucket | null;
    valuesMs: number[];
  };
}

const DAY_MS = 86_400_000;

const inPeriod = (atMs: number | undefined, fromMs: number, toMs: number) => atMs !== undefined && atMs >= fromMs && atMs < toMs;

/**
 * The four keys of `outcomes` (change deploys with their failures) plus the `attempts` and
 * `rollbackDeploys` of the same group, over [fromMs, toMs).
 */
export function fourKeys(group: { outcomes: readonly DeployOutcome[]; attempts: readonly DeployRecord[]; rollbackDeploys: readonly DeployRecord[] }, fromMs: number, toMs: number): FourKeys {
  if (!(toMs > fromMs)) throw new RangeError(`the period must not be empty: from ${fromMs}, to ${toMs}`);
  const periodDays = (toMs - fromMs) / DAY_MS;
  const deployed = group.outcomes.filter((o) => inPeriod(o.deploy.finishedAtMs, fromMs, toMs));
  const failedAttempts = group.attempts.filter((d) => d.status === 'failed' && inPeriod(d.finishedAtMs ?? d.startedAtMs, fromMs, toMs)).length;
  const rollbackDeploys = group.rollbackDeploys.filter((d) => inPeriod(d.finishedAtMs, fromMs, toMs)).length;

  const leadTimes: number[] = [];
  let excluded = 0;
  const deployDays = new Set<number>();
  for (const o of deployed) {
    const lead = o.deploy.finishedAtMs - o.deploy.commitTimeMs;
    if (lead >= 0) leadTimes.push(lead);
    else excluded++;
    deployDays.add(Math.floor(o.deploy.finishedAtMs / DAY_MS));
  }
  const failures = deployed.filter((o) => o.failed);
  const recoveries = failures.flatMap((o) => (o.recoveryMs === undefined ? [] : [o.recoveryMs]));
  const perDay = deployed.length / periodDays;
  const summary = (values: number[]) => {
    if (values.length === 0) return { medianMs: null, p90Ms: null, bucket: null };
    const sorted = sortedCopy(values);
    const medianMs = quantileOfSorted(sorted, 0.5);
    return { medianMs, p90Ms: quantileOfSorted(sorted, 0.9), bucket: durationBucket(medianMs) };
  };
  return {
    fromMs, toMs, periodDays,
    deployments: deployed.length,
    failedAttempts,
    rollbackDeploys,
    deploymentFrequency: { perDay, perWeek: perDay * 7, deployDays: deployDays.size, bucket: frequencyBucket(perDay) },
    leadTime: { samples: leadTimes.length, excluded, ...summary(leadTimes), valuesMs: leadTimes },
    changeFailureRate: {
      failed: failures.length,
      deployments: deployed.length,
      ratio: deployed.length === 0 ? null : failures.length / deployed.length,
      ci95: deployed.length === 0 ? null : wilsonInterval(failures.length, deployed.length),
    },
    recoveryTime: { samples: recoveries.length, unrecovered: failures.length - recoveries.length, ...summary(recoveries), valuesMs: recoveries },
  };
}
