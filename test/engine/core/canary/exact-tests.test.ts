import { describe, expect, it } from 'vitest';
import { binomialTest, poissonRatesTest } from '../../../../engine/core/canary/binomial-test.ts';
import { fisherExactTest } from '../../../../engine/core/canary/fisher-exact-test.ts';
import { mannWhitneyUTest } from '../../../../engine/core/canary/mann-whitney-u-test.ts';
import { normalCdf, normalSf } from '../../../../engine/core/canary/normal-distribution.ts';
import { expectRelClose } from './relative-close.ts';

/*
 * Reference values: SciPy 1.17.1, computed once in a throwaway virtualenv
 * (`python3 -m venv /tmp/v && /tmp/v/bin/pip install scipy`) and copied here next to the
 * inputs they belong to:
 *   stats.fisher_exact([[a, b], [c, d]], alternative=…)          (pvalue, statistic)
 *   stats.binomtest(k, n, p, alternative=…).pvalue
 *   stats.mannwhitneyu(x, y, alternative=…)                       (method='auto', use_continuity=True)
 *   stats.norm.sf(z), stats.norm.cdf(z)
 */

describe('Fisher\'s exact test agrees with scipy.stats.fisher_exact', () => {
  const cases = [
    { table: [3, 1, 1, 3], twoSided: 0.48571428571428565, greater: 0.24285714285714283, less: 0.9857142857142858, oddsRatio: 9 },
    { table: [1, 9, 11, 3], twoSided: 0.0027594561852200836, greater: 0.9999663480953022, less: 0.0013797280926100418, oddsRatio: 0.030303030303030304 },
    { table: [0, 5, 0, 5], twoSided: 1, greater: 1, less: 1, oddsRatio: NaN },
    { table: [7, 0, 0, 7], twoSided: 0.0005827505827505828, greater: 0.0002913752913752914, less: 1, oddsRatio: Infinity },
    { table: [250, 4750, 50, 4950], twoSided: 4.87413614650297e-34, greater: 2.437068073251485e-34, less: 1, oddsRatio: 5.2105263157894735 },
    { table: [49, 4951, 52, 4948], twoSided: 0.8415880886414936, greater: 0.6553347631184306, less: 0.4207940443207468, oddsRatio: 0.9417367120861364 },
    { table: [6, 14, 1, 19], twoSided: 0.09147609147609148, greater: 0.04573804573804574, less: 0.9958419958419958, oddsRatio: 8.142857142857142 },
    { table: [120, 999_880, 60, 999_940], twoSided: 9.13625201000612e-6, greater: 4.56812600500306e-6, less: 0.999997784929398, oddsRatio: 2.000120014401728 },
    { table: [2, 998, 0, 1000], twoSided: 0.4997498749374687, greater: 0.24987493746873435, less: 1, oddsRatio: Infinity },
  ];
  it.each(cases)('table $table', ({ table, twoSided, greater, less, oddsRatio }) => {
    const [a, b, c, d] = table as [number, number, number, number];
    const r = fisherExactTest(a, b, c, d);
    expectRelClose(r.pTwoSided, twoSided, 1e-9);
    expectRelClose(r.pGreater, greater, 1e-9);
    expectRelClose(r.pLess, less, 1e-9);
    if (Number.isNaN(oddsRatio)) expect(r.oddsRatio).toBeNaN();
    else expectRelClose(r.oddsRatio, oddsRatio, 1e-12);
  });

  it('refuses counts that are not whole numbers', () => {
    expect(() => fisherExactTest(1.5, 2, 3, 4)).toThrow(/whole number/);
    expect(() => fisherExactTest(-1, 2, 3, 4)).toThrow(/whole number/);
  });
});

describe('the exact binomial test agrees with scipy.stats.binomtest', () => {
  const cases = [
    { k: 3, n: 10, p: 0.5, twoSided: 0.34375, greater: 0.9453125, less: 0.171875 },
    { k: 0, n: 20, p: 0.1, twoSided: 0.25452997802490435, greater: 1, less: 0.12157665459056925 },
    { k: 7, n: 7, p: 0.3, twoSided: 0.00021869999999999995, greater: 0.00021869999999999995, less: 1 },
    { k: 120, n: 200, p: 0.5, twoSided: 0.005685155996750306, greater: 0.002842577998375153, less: 0.998182526023735 },
    { k: 30, n: 100, p: 0.2, twoSided: 0.016945359676785184, greater: 0.011248978720991648, less: 0.993940664518957 },
    { k: 150, n: 1000, p: 0.1, twoSided: 6.536140136047196e-7, greater: 4.489442859450041e-7, less: 0.9999997225559099 },
  ];
  it.each(cases)('$k of $n at p = $p', ({ k, n, p, twoSided, greater, less }) => {
    const r = binomialTest(k, n, p);
    expectRelClose(r.pTwoSided, twoSided, 1e-9);
    expectRelClose(r.pGreater, greater, 1e-9);
    expectRelClose(r.pLess, less, 1e-9);
  });

  it('compares two Poisson rates as a binomial split of their total (equal exposures: p = ½)', () => {
    // 120 deploys in one 30-day period against 80 in another: binomtest(120, 200, 0.5) above
    const r = poissonRatesTest(120, 30, 80, 30);
    expectRelClose(r.pTwoSided, 0.005685155996750306, 1e-9);
  });
});

describe('the Mann–Whitney U test agrees with scipy.stats.mannwhitneyu', () => {
  it('uses the exact distribution for two small samples without ties', () => {
    const r = mannWhitneyUTest([1.5, 3.2, 7.1, 2.2, 9.0], [0.4, 2.0, 5.5, 6.1]);
    expect(r).toMatchObject({ method: 'exact', u1: 13, u2: 7, z: null });
    expectRelClose(r.pTwoSided, 0.5555555555555556, 1e-12);
    expectRelClose(r.pGreater, 0.2777777777777778, 1e-12);
    expectRelClose(r.pLess, 0.7936507936507936, 1e-12);
    const s = mannWhitneyUTest([10, 11, 12], [1, 2, 3, 4, 5, 6, 7]);
    expect(s.u1).toBe(21);
    expectRelClose(s.pTwoSided, 0.016666666666666666, 1e-12);
    expectRelClose(s.pGreater, 0.008333333333333333, 1e-12);
    expect(s.pLess).toBe(1);
    expect(s.commonLanguageEffect).toBe(1);
    expect(s.rankBiserial).toBe(1);
  });

  it('uses the tie-corrected normal approximation with continuity correction otherwise', () => {
    const r = mannWhitneyUTest([1, 2, 2, 3, 3, 3, 4, 5, 9], [2, 2, 3, 4, 4, 6, 7, 7, 8, 8]);
    expect(r.method).toBe('asymptotic');
    expect(r.u1).toBe(28.5);
    expectRelClose(r.pTwoSided, 0.18631744994732768, 1e-9);
    expectRelClose(r.pGreater, 0.9198627224395128, 1e-9);
    expectRelClose(r.pLess, 0.09315872497366384, 1e-9);
    expectRelClose(r.commonLanguageEffect, 28.5 / 90, 1e-12);
  });
});

describe('the normal tail', () => {
  it.each([
    [0, 0.5], [0.5, 0.3085375387259869], [1.959963984540054, 0.025], [3, 0.0013498980316300933], [5, 2.866515718791933e-7],
    [8.5, 9.47953482220325e-18], [12, 1.776482112077653e-33], [20, 2.7536241186061556e-89], [37, 5.7255712225239266e-300],
  ])('P(Z > %d) = %d, also far out in the tail (scipy.stats.norm.sf)', (z, expected) => {
    expectRelClose(normalSf(z), expected, 1e-12);
  });

  it.each([[-6, 9.865876450376946e-10], [-1.2, 0.11506967022170822], [0.3, 0.6179114221889526], [2.5, 0.9937903346742238]])(
    'P(Z ≤ %d) = %d (scipy.stats.norm.cdf)', (z, expected) => {
      expectRelClose(normalCdf(z), expected, 1e-12);
    });
});
