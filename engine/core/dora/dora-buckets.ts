/**
 * The answer buckets of DORA's survey questions, which its performance clusters are stated
 * in (docs/dora.md). sluice measures numbers; these map them onto the buckets:
 * a month is 30 days, six months 180 days.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Lead time and recovery time buckets, fastest first. */
export const DURATION_BUCKETS = [
  { id: 'LESS_THAN_ONE_HOUR', label: 'less than one hour', belowMs: HOUR_MS },
  { id: 'LESS_THAN_ONE_DAY', label: 'less than one day', belowMs: DAY_MS },
  { id: 'ONE_DAY_TO_ONE_WEEK', label: 'between one day and one week', belowMs: 7 * DAY_MS },
  { id: 'ONE_WEEK_TO_ONE_MONTH', label: 'between one week and one month', belowMs: 30 * DAY_MS },
  { id: 'ONE_MONTH_TO_SIX_MONTHS', label: 'between one month and six months', belowMs: 180 * DAY_MS },
  { id: 'MORE_THAN_SIX_MONTHS', label: 'more than six months', belowMs: Infinity },
] as const;
export type DurationBucket = (typeof DURATION_BUCKETS)[number]['id'];

/**
 * Deployment frequency buckets, most frequent first, by the average deploys per day over
 * the period. DORA's top answer is "on demand (multiple deploys per day)"; sluice reads it
 * as one deploy a day or more on average.
 */
export const FREQUENCY_BUCKETS = [
  { id: 'ON_DEMAND', label: 'on demand (multiple deploys per day)', minPerDay: 1 },
  { id: 'DAILY_TO_WEEKLY', label: 'between once per day and once per week', minPerDay: 1 / 7 },
  { id: 'WEEKLY_TO_MONTHLY', label: 'between once per week and once per month', minPerDay: 1 / 30 },
  { id: 'MONTHLY_TO_SIX_MONTHLY', label: 'between once per month and once every six months', minPerDay: 1 / 180 },
  { id: 'LESS_THAN_SIX_MONTHLY', label: 'fewer than once per six months', minPerDay: 0 },
] as const;
export type FrequencyBucket = (typeof FREQUENCY_BUCKETS)[number]['id'];

/** The bucket of a duration, ms. */
export function durationBucket(ms: number): DurationBucket {
  return DURATION_BUCKETS.find((b) => ms < b.belowMs)!.id;
}

/** The bucket of a deployment rate, deploys per day. */
export function frequencyBucket(perDay: number): FrequencyBucket {
  return FREQUENCY_BUCKETS.find((b) => perDay >= b.minPerDay)!.id;
}

/** Position of a bucket, 0 = best. */
export function durationRank(bucket: DurationBucket): number {
  return DURATION_BUCKETS.findIndex((b) => b.id === bucket);
}

export function frequencyRank(bucket: FrequencyBucket): number {
  return FREQUENCY_BUCKETS.findIndex((b) => b.id === bucket);
}

export function durationLabel(bucket: DurationBucket): string {
  return DURATION_BUCKETS.find((b) => b.id === bucket)!.label;
}

export function frequencyLabel(bucket: FrequencyBucket): string {
  return FREQUENCY_BUCKETS.find((b) => b.id === bucket)!.label;
}
