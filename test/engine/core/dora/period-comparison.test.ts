import { describe, expect, it } from 'vitest';
import { bootstrapMedianDifference, medianStandardError } from '../../../../engine/core/dora/bootstrap-interval.ts';
import { doraOptions } from '../../../../engine/core/dora/dora-options.ts';
import type { DeployOutcome } from '../../../../engine/core/dora/failure-attribution.ts';
import { fourKeys } from '../../../../engine/core/dora/four-keys.ts';
import { comparePeriods } from '../../../../engine/core/dora/period-comparison.ts';
import type { ReachedDeploy } from '../../../../engine/core/dora/serving-timeline.ts';
import { expectRelClose } from '../canary/relative-close.ts';
import { DAY, deploy, HOUR, T0 } from './delivery-fixtures.ts';

/*
 * Reference values: SciPy 1.17.1 / statsmodels 0.15.0, computed once in a throwaway
 * virtualenv: stats.binomtest(60, 90, 0.5).pvalue (60 deployments against 30 in equal
 * periods), stats.fisher_exact([[3, 57], [9, 21]]).pvalue (3 of 60 failed against 9 of 30),
 * confint_proportions_2indep(3, 60, 9, 30, method='newcomb', compare='diff'),
 * stats.mannwhitneyu(after, before).pvalue for the lead times below.
 */

/** `count` deployments spread over [from, from + 30 d), `failed` of them failed, with the given lead times (h). */
function period(from: number, count: number, failed: number, leadHours: (i: number) => number): DeployOutcome[] {
  return Array.from({ length: count }, (_, i) => {
    const d = deploy({ deployId: `d-${from}-${i}`, service: 's', finishedAtMs: from + (i * 30 * DAY) / count + HOUR, leadTimeMs: leadHours(i) * HOUR }) as ReachedDeploy;
    const isFailed = i < failed;
    return { deploy: d, failed: isFailed, causes: [], failureStartMs: undefined, restoredAtMs: isFailed ? 1 : undefined, recoveryMs: isFailed ? HOUR : undefined };
  });
}

const BEFORE = T0;
const AFTER = T0 + 30 * DAY;
const beforeOutcomes = period(BEFORE, 30, 9, (i) => 20 + (i % 10) * 2);
const afterOutcomes = period(AFTER, 60, 3, (i) => 2 + (i % 10));
const keysOf = (outcomes: DeployOutcome[], from: number) => fourKeys({ outcomes, attempts: [], rollbackDeploys: [] }, from, from + 30 * DAY);

describe('comparing two periods', () => {
  const changes = comparePeriods(keysOf(beforeOutcomes, BEFORE), keysOf(afterOutcomes, AFTER), doraOptions());
  const change = (key: string) => changes.find((c) => c.key === key)!;

  it('twice the deployments is more than noise (exact test of two Poisson rates, as scipy\'s binomtest)', () => {
    const c = change('deploymentFrequency');
    expect(c).toMatchObject({ before: 1, after: 2, change: 1, relativeChange: 1, assessment: 'IMPROVED' });
    expectRelClose(c.pValue, 0.0020602656809630745, 1e-9);
  });

  it('9/30 failed → 3/60 failed is an improvement by Fisher\'s exact test, with the Newcombe interval', () => {
    const c = change('changeFailureRate');
    expect(c.assessment).toBe('IMPROVED');
    expectRelClose(c.change, 0.05 - 0.3, 1e-12);
    expectRelClose(c.pValue, 0.001993936921999289, 1e-9);
    expectRelClose(c.ci95![0], -0.43175129417685626, 1e-9);
    expectRelClose(c.ci95![1], -0.0907743972520377, 1e-9);
  });

  it('a lead time cut from 29 h to 6.5 h median: the bootstrap interval of the change excludes 0', () => {
    const c = change('leadTime');
    expect(c.assessment).toBe('IMPROVED');
    expect(c.before).toBe(29 * HOUR);
    expect(c.after).toBe(6.5 * HOUR);
    expect(c.change).toBe(-22.5 * HOUR);
    expect(c.ci95![1]).toBeLessThan(0);
    expect(c.ci95![0]).toBeLessThanOrEqual(-22.5 * HOUR);
    expect(c.pValue).toBeLessThan(0.001);
  });

  it('recovery times: 9 failures before but only 3 after are too few to compare, and it says so', () => {
    expect(change('recoveryTime')).toMatchObject({ change: 0, assessment: 'TOO_FEW_DATA', explanation: 'median recovery time: 9 and 3 values; comparing needs at least 5 in each period' });
  });

  it('recovery times of 1 h in both periods, enough of them: no significant change', () => {
    const same = comparePeriods(keysOf(period(BEFORE, 30, 9, () => 1), BEFORE), keysOf(period(AFTER, 30, 9, () => 1), AFTER), doraOptions());
    expect(same.find((c) => c.key === 'recoveryTime')).toMatchObject({ change: 0, ci95: [0, 0], assessment: 'NO_SIGNIFICANT_CHANGE' });
  });

  it('too few values to compare says so', () => {
    const few = comparePeriods(keysOf(period(BEFORE, 3, 1, () => 5), BEFORE), keysOf(period(AFTER, 3, 1, () => 50), AFTER), doraOptions());
    const lead = few.find((c) => c.key === 'leadTime')!;
    expect(lead).toMatchObject({ assessment: 'TOO_FEW_DATA', ci95: null });
    expect(lead.explanation).toBe('median lead time: 3 and 3 values; comparing needs at least 5 in each period');
  });

  it('equal rates are no change (binomtest(30, 45, 2/3) = 1 for 30 deployments in 30 days against 15 in 15)', () => {
    const half = fourKeys({ outcomes: period(AFTER, 30, 0, () => 1).slice(0, 15), attempts: [], rollbackDeploys: [] }, AFTER, AFTER + 15 * DAY);
    const c = comparePeriods(keysOf(period(BEFORE, 30, 0, () => 1), BEFORE), half, doraOptions()).find((x) => x.key === 'deploymentFrequency')!;
    expect(c).toMatchObject({ change: 0, assessment: 'NO_SIGNIFICANT_CHANGE' });
    expectRelClose(c.pValue, 1, 1e-12);
  });
});

describe('bootstrap interval of a median difference', () => {
  it('is deterministic and contains the true shift of two shifted samples', () => {
    const before = Array.from({ length: 200 }, (_, i) => (i * 7919) % 1000);
    const after = before.map((v) => v + 300);
    const a = bootstrapMedianDifference(before, after);
    expect(bootstrapMedianDifference(before, after)).toEqual(a);
    expect(a.estimate).toBe(300);
    expect(a.ci95[0]).toBeLessThan(300);
    expect(a.ci95[1]).toBeGreaterThan(300);
    expect(a.ci95[0]).toBeGreaterThan(0);
  });

  it('includes 0 for the same distribution', () => {
    const before = Array.from({ length: 200 }, (_, i) => (i * 7919) % 1000);
    const after = Array.from({ length: 200 }, (_, i) => ((i + 17) * 104_729) % 1000);
    const a = bootstrapMedianDifference(before, after);
    expect(a.ci95[0]).toBeLessThan(0);
    expect(a.ci95[1]).toBeGreaterThan(0);
  });
});

describe('large samples', () => {
  it('McKean–Schrader standard error of a median (hand-checked: n = 25, c = round(13 − 1.96·2.5) = 8, SE = (x₁₈ − x₈) / 3.92)', () => {
    const sorted = Array.from({ length: 25 }, (_, i) => i + 1);
    expect(medianStandardError(sorted)).toBeCloseTo(10 / (2 * 1.959963984540054), 12);
  });

  it('compares medians of periods larger than maxBootstrapSamples by their standard errors, and says so', () => {
    const before = keysOf(period(BEFORE, 600, 0, (i) => 20 + (i % 10)), BEFORE);
    const after = keysOf(period(AFTER, 600, 0, (i) => 10 + (i % 10)), AFTER);
    const lead = comparePeriods(before, after, doraOptions()).find((c) => c.key === 'leadTime')!;
    expect(lead.method).toMatch(/McKean–Schrader/);
    expect(lead).toMatchObject({ change: -10 * HOUR, assessment: 'IMPROVED' });
    expect(lead.ci95![0]).toBeLessThan(-10 * HOUR);
    expect(lead.ci95![1]).toBeLessThan(0);
  });
});

describe('the bootstrap resample median (ranks counted, no sort)', () => {
  it.each([[[5], [7]], [[1, 3], [2, 10]], [[1, 2, 3], [4, 4, 4, 4]], [[3, 1, 2, 2], [9, 1]]])('stays within the possible differences for %j and %j', (before, after) => {
    const r = bootstrapMedianDifference(before, after, 500);
    const lowest = Math.min(...after) - Math.max(...before);
    const highest = Math.max(...after) - Math.min(...before);
    expect(r.ci95[0]).toBeGreaterThanOrEqual(lowest);
    expect(r.ci95[1]).toBeLessThanOrEqual(highest);
  });

  it('gives [0, 0] when every value is the same', () => {
    expect(bootstrapMedianDifference([4, 4, 4], [4, 4]).ci95).toEqual([0, 0]);
  });

  it('matches the spread of a sorted resample: a one-value sample has a point interval', () => {
    expect(bootstrapMedianDifference([2], [5]).ci95).toEqual([3, 3]);
  });
});
