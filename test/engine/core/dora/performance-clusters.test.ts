import { describe, expect, it } from 'vitest';
import { durationBucket, frequencyBucket } from '../../../../engine/core/dora/dora-buckets.ts';
import type { FourKeys } from '../../../../engine/core/dora/four-keys.ts';
import { placeInCluster } from '../../../../engine/core/dora/performance-clusters.ts';
import { DAY, HOUR, MIN } from './delivery-fixtures.ts';

/** Four keys with the given headline values (30-day period). */
function keys(o: { perDay: number; leadMs: number; cfr: number; recoveryMs: number | null; deployments?: number; unrecovered?: number }): FourKeys {
  const deployments = o.deployments ?? Math.max(10, Math.round(o.perDay * 30));
  return {
    fromMs: 0, toMs: 30 * DAY, periodDays: 30, deployments, failedAttempts: 0, rollbackDeploys: 0,
    deploymentFrequency: { perDay: o.perDay, perWeek: o.perDay * 7, deployDays: 0, bucket: frequencyBucket(o.perDay) },
    leadTime: { samples: deployments, excluded: 0, medianMs: o.leadMs, p90Ms: o.leadMs, bucket: durationBucket(o.leadMs), valuesMs: [] },
    changeFailureRate: { failed: Math.round(o.cfr * deployments), deployments, ratio: o.cfr, ci95: null },
    recoveryTime: o.recoveryMs === null
      ? { samples: 0, unrecovered: o.unrecovered ?? 0, medianMs: null, p90Ms: null, bucket: null, valuesMs: [] }
      : { samples: 1, unrecovered: 0, medianMs: o.recoveryMs, p90Ms: o.recoveryMs, bucket: durationBucket(o.recoveryMs), valuesMs: [] },
  };
}

describe('placement in the 2023 DORA clusters: the weakest key decides', () => {
  it.each([
    { name: 'every Elite bar met', k: { perDay: 3, leadMs: 5 * HOUR, cfr: 0.05, recoveryMs: 30 * MIN }, level: 'ELITE', limitedBy: [] },
    { name: 'no failures at all meets every recovery bar', k: { perDay: 3, leadMs: 5 * HOUR, cfr: 0, recoveryMs: null }, level: 'ELITE', limitedBy: [] },
    { name: 'Elite but for a change failure rate of 6 %', k: { perDay: 3, leadMs: 5 * HOUR, cfr: 0.06, recoveryMs: 30 * MIN }, level: 'HIGH', limitedBy: ['changeFailureRate'] },
    { name: 'Elite but for a 1 h median recovery (the bucket is "less than one day")', k: { perDay: 3, leadMs: 5 * HOUR, cfr: 0.01, recoveryMs: HOUR }, level: 'HIGH', limitedBy: ['recoveryTime'] },
    { name: 'weekly deploys, a 10-day lead time: Medium', k: { perDay: 1 / 7, leadMs: 10 * DAY, cfr: 0.12, recoveryMs: 2 * DAY }, level: 'MEDIUM', limitedBy: ['leadTime', 'changeFailureRate', 'recoveryTime'] },
    { name: 'Medium in all but a change failure rate of 20 %: Low', k: { perDay: 1 / 7, leadMs: 10 * DAY, cfr: 0.2, recoveryMs: 2 * DAY }, level: 'LOW', limitedBy: ['changeFailureRate'] },
    { name: 'deploys every two months: Low', k: { perDay: 1 / 60, leadMs: 2 * HOUR, cfr: 0, recoveryMs: null, deployments: 10 }, level: 'LOW', limitedBy: ['deploymentFrequency'] },
    { name: 'failures none of which recovered: not shown to meet a recovery bar', k: { perDay: 3, leadMs: 5 * HOUR, cfr: 0.02, recoveryMs: null, unrecovered: 2 }, level: 'LOW', limitedBy: ['recoveryTime'] },
  ])('$name → $level', ({ k, level, limitedBy }) => {
    const placed = placeInCluster(keys(k), 10);
    expect(placed.level).toBe(level);
    expect(placed.limitedBy).toEqual(limitedBy);
  });

  it('explains a Low placement with the values that missed the Medium bar', () => {
    const placed = placeInCluster(keys({ perDay: 1 / 7, leadMs: 10 * DAY, cfr: 0.2, recoveryMs: 2 * DAY }), 10);
    expect(placed.reason).toBe('misses the Medium bar on change failure rate (change failure rate 20.0 %)');
  });
});

describe('buckets', () => {
  it.each([
    [59 * MIN, 'LESS_THAN_ONE_HOUR'], [HOUR, 'LESS_THAN_ONE_DAY'], [DAY, 'ONE_DAY_TO_ONE_WEEK'], [7 * DAY, 'ONE_WEEK_TO_ONE_MONTH'],
    [30 * DAY, 'ONE_MONTH_TO_SIX_MONTHS'], [180 * DAY, 'MORE_THAN_SIX_MONTHS'],
  ])('%d ms is %s', (ms, bucket) => expect(durationBucket(ms)).toBe(bucket));

  it.each([
    [1, 'ON_DEMAND'], [0.99, 'DAILY_TO_WEEKLY'], [1 / 7, 'DAILY_TO_WEEKLY'], [1 / 8, 'WEEKLY_TO_MONTHLY'], [1 / 30, 'WEEKLY_TO_MONTHLY'],
    [1 / 31, 'MONTHLY_TO_SIX_MONTHLY'], [1 / 180, 'MONTHLY_TO_SIX_MONTHLY'], [0, 'LESS_THAN_SIX_MONTHLY'],
  ])('%d deploys a day is %s', (perDay, bucket) => expect(frequencyBucket(perDay)).toBe(bucket));
});
