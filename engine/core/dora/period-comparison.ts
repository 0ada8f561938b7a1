import { poissonRatesTest } from '../canary/binomial-test.ts';
import { mannWhitneyUTest } from '../canary/mann-whitney-u-test.ts';
import { compareProportions } from '../canary/two-proportion-comparison.ts';
import { bootstrapMedianDifference, medianDifferenceInterval } from './bootstrap-interval.ts';
import type { DoraOptions } from './dora-options.ts';
import type { FourKeys } from './four-keys.ts';
import { humanDuration } from './human-duration.ts';
import type { DoraKey } from './performance-clusters.ts';

/**
 * Two periods of the same group compared, key by key, with the change and whether it is
 * more than noise (docs/dora.md "Comparing periods"):
 *
 *  - deployment frequency: deploys per day; the exact conditional test of two Poisson rates
 *    (binomial split of the total by the periods' lengths), two-sided p < alpha;
 *  - change failure rate: Fisher's exact test of failed/deployments, two-sided p < alpha,
 *    with the Newcombe 95 % interval of the difference;
 *  - lead time and recovery time: the difference of the medians with its 95 % interval —
 *    a percentile bootstrap while both periods have at most maxBootstrapSamples values, above
 *    that the McKean–Schrader standard errors of the two medians (asymptotically equivalent,
 *    and far faster) — more than noise when it excludes 0; the Mann–Whitney
 *    two-sided p-value is reported alongside. Fewer than minBootstrapSamples values in a
 *    period: too few data to tell.
 *
 * `change` is after − before in the key's unit; IMPROVED / WORSENED say which way is better
 * (more deploys; shorter lead and recovery times; fewer failures).
 */
export type ChangeAssessment = 'IMPROVED' | 'WORSENED' | 'NO_SIGNIFICANT_CHANGE' | 'TOO_FEW_DATA';

export interface KeyChange {
  key: DoraKey;
  /** deploys per day, ms, or ratio 0–1. */
  unit: 'deploysPerDay' | 'ms' | 'ratio';
  before: number | null;
  after: number | null;
  /** after − before. */
  change: number | null;
  /** (after − before) / before; null when before is 0 or unknown. */
  relativeChange: number | null;
  /** 95 % interval of the change, when the method gives one. */
  ci95: [number, number] | null;
  /** Two-sided p-value of "no change". */
  pValue: number | null;
  method: string;
  assessment: ChangeAssessment;
  explanation: string;
}

const METHODS = {
  deploymentFrequency: 'exact conditional test of two Poisson rates (Przyborowski & Wileński 1940)',
  changeFailureRate: 'Fisher\'s exact test; Newcombe hybrid score interval',
  median: 'percentile bootstrap of the median difference (Efron & Tibshirani 1993); Mann–Whitney U p-value',
  largeMedian: 'McKean–Schrader standard errors of the medians (1984), normal interval of the difference; Mann–Whitney U p-value',
};

function assess(significant: boolean, change: number, higherIsBetter: boolean): ChangeAssessment {
  if (!significant || change === 0) return 'NO_SIGNIFICANT_CHANGE';
  return (change > 0) === higherIsBetter ? 'IMPROVED' : 'WORSENED';
}

const relative = (before: number | null, change: number | null) => (before === null || change === null || before === 0 ? null : change / before);

function medianChange(key: 'leadTime' | 'recoveryTime', before: FourKeys, after: FourKeys, opts: DoraOptions): KeyChange {
  const b = before[key];
  const a = after[key];
  const base = { key, unit: 'ms' as const, before: b.medianMs, after: a.medianMs, method: METHODS.median };
  const name = key === 'leadTime' ? 'median lead time' : 'median recovery time';
  if (b.valuesMs.length < opts.minBootstrapSamples || a.valuesMs.length < opts.minBootstrapSamples) {
    const change = b.medianMs === null || a.medianMs === null ? null : a.medianMs - b.medianMs;
    return { ...base, change, relativeChange: relative(b.medianMs, change), ci95: null, pValue: null, assessment: 'TOO_FEW_DATA',
      explanation: `${name}: ${b.valuesMs.length} and ${a.valuesMs.length} values; comparing needs at least ${opts.minBootstrapSamples} in each period` };
  }
  const large = Math.max(b.valuesMs.length, a.valuesMs.length) > opts.maxBootstrapSamples;
  const boot = large ? medianDifferenceInterval(b.valuesMs, a.valuesMs) : bootstrapMedianDifference(b.valuesMs, a.valuesMs, opts.bootstrapResamples);
  const significant = boot.ci95[0] > 0 || boot.ci95[1] < 0;
  const assessment = assess(significant, boot.estimate, false);
  const p = mannWhitneyUTest(a.valuesMs, b.valuesMs).pTwoSided;
  return {
    ...base, method: large ? METHODS.largeMedian : METHODS.median,
    change: boot.estimate, relativeChange: relative(b.medianMs, boot.estimate), ci95: boot.ci95, pValue: p, assessment,
    explanation: `${name} ${humanDuration(b.medianMs!)} → ${humanDuration(a.medianMs!)}, 95 % ${large ? 'McKean–Schrader' : 'bootstrap'} interval of the change [${humanDuration(boot.ci95[0])}, ${humanDuration(boot.ci95[1])}]` +
      (significant ? '' : ' includes 0: no more than noise'),
  };
}

export function comparePeriods(before: FourKeys, after: FourKeys, opts: DoraOptions): KeyChange[] {
  const out: KeyChange[] = [];

  const rb = before.deploymentFrequency.perDay;
  const ra = after.deploymentFrequency.perDay;
  if (before.deployments + after.deployments === 0) {
    out.push({ key: 'deploymentFrequency', unit: 'deploysPerDay', before: rb, after: ra, change: 0, relativeChange: null, ci95: null, pValue: null,
      method: METHODS.deploymentFrequency, assessment: 'TOO_FEW_DATA', explanation: 'no deployments in either period' });
  } else {
    const p = poissonRatesTest(after.deployments, after.periodDays, before.deployments, before.periodDays).pTwoSided;
    out.push({
      key: 'deploymentFrequency', unit: 'deploysPerDay', before: rb, after: ra, change: ra - rb, relativeChange: relative(rb, ra - rb), ci95: null, pValue: p,
      method: METHODS.deploymentFrequency, assessment: assess(p < opts.alpha, ra - rb, true),
      explanation: `${before.deployments} deployments in ${before.periodDays.toFixed(1)} d → ${after.deployments} in ${after.periodDays.toFixed(1)} d (${rb.toPrecision(3)} → ${ra.toPrecision(3)} a day), p = ${p.toPrecision(3)}`,
    });
  }

  out.push(medianChange('leadTime', before, after, opts));

  const fb = before.changeFailureRate;
  const fa = after.changeFailureRate;
  if (fb.deployments === 0 || fa.deployments === 0) {
    out.push({ key: 'changeFailureRate', unit: 'ratio', before: fb.ratio, after: fa.ratio, change: null, relativeChange: null, ci95: null, pValue: null,
      method: METHODS.changeFailureRate, assessment: 'TOO_FEW_DATA', explanation: `change failure rate: ${fb.deployments} and ${fa.deployments} deployments; comparing needs deployments in both periods` });
  } else {
    const cmp = compareProportions({ bad: fa.failed, total: fa.deployments }, { bad: fb.failed, total: fb.deployments });
    const p = cmp.fisher.pTwoSided;
    out.push({
      key: 'changeFailureRate', unit: 'ratio', before: fb.ratio, after: fa.ratio, change: cmp.difference, relativeChange: relative(fb.ratio, cmp.difference),
      ci95: cmp.differenceCi95, pValue: p, method: METHODS.changeFailureRate, assessment: assess(p < opts.alpha, cmp.difference, false),
      explanation: `change failure rate ${fb.failed}/${fb.deployments} → ${fa.failed}/${fa.deployments}, p = ${p.toPrecision(3)}`,
    });
  }

  out.push(medianChange('recoveryTime', before, after, opts));
  return out;
}
