import { describe, expect, it } from 'vitest';
import {
  chooseStratum,
  compareCanary,
  type CanaryInput,
  type ErrorRatioCheck,
  type LatencyCheck,
} from '../../../../engine/core/canary/canary-comparison.ts';
import { compareProportions, wilsonInterval } from '../../../../engine/core/canary/two-proportion-comparison.ts';
import { expectRelClose } from './relative-close.ts';

/*
 * Reference values: SciPy 1.17.1 and statsmodels 0.15.0, computed once in a throwaway
 * virtualenv and copied next to the inputs below. With
 *     b(i) = 40 + (i·37 mod 101) · 0.5     (baseline latency, ms)
 *     c(i) = 55 + (i·53 mod 103) · 0.5     (canary latency, ms)
 * and x = canary durations, y = baseline durations:
 *     stats.mannwhitneyu(x, y, alternative='greater' | 'two-sided')   → U₁, p
 *     stats.fisher_exact([[canaryBad, canaryGood], [baseBad, baseGood]], alternative='greater' | 'two-sided')
 *     statsmodels confint_proportions_2indep(cb, cn, bb, bn, method='newcomb', compare='diff')
 *     np.median, np.percentile(…, 95)
 *     z = (max(U₁, U₂) − n₁n₂/2 − ½) / σ, σ² = n₁n₂/12 · ((n + 1) − Σ(t³ − t)/(n(n − 1)))  (scipy's _get_mwu_z)
 */
const b = (i: number) => 40 + ((i * 37) % 101) * 0.5;
const c = (i: number) => 55 + ((i * 53) % 103) * 0.5;
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

function input(o: { errors: [number, number, number, number]; canaryMs: number[]; baselineMs: number[]; extraWeight1?: boolean }): CanaryInput {
  const [canaryBad, canaryTotal, baseBad, baseTotal] = o.errors;
  return {
    service: 'checkout', environment: 'production', baselineVersion: '1.4.1', canaryVersion: '1.4.2', fromMs: 0, toMs: 3_600_000,
    errorCounts: [{ source: 'slo:checkout-availability', canary: { good: canaryTotal - canaryBad, total: canaryTotal }, baseline: { good: baseTotal - baseBad, total: baseTotal } }],
    latency: {
      source: 'spans_raw (server spans)',
      // rows kept at 10 % (weight 10) are compared; a few error rows kept at 100 % (weight 1) are left out
      canary: [{ weight: 10, durationsMs: o.canaryMs }, ...(o.extraWeight1 ? [{ weight: 1, durationsMs: [900, 950, 990] }] : [])],
      baseline: [{ weight: 10, durationsMs: o.baselineMs }, ...(o.extraWeight1 ? [{ weight: 1, durationsMs: [910] }] : [])],
    },
  };
}

const errorCheck = (r: ReturnType<typeof compareCanary>) => r.checks.find((k): k is ErrorRatioCheck => k.kind === 'error-ratio')!;
const latencyCheck = (r: ReturnType<typeof compareCanary>) => r.checks.find((k): k is LatencyCheck => k.kind === 'latency')!;

describe('compareCanary', () => {
  it('a clear regression (5 % errors against 1 %, +15 ms) is FAIL, with every statistic as scipy computes it', () => {
    const r = compareCanary(input({ errors: [250, 5000, 50, 5000], canaryMs: range(0, 400).map(c), baselineMs: range(0, 400).map(b), extraWeight1: true }));
    expect(r.verdict).toBe('FAIL');
    expect(r.summary).toMatch(/canary is worse \(canary:error-ratio:slo:checkout-availability, canary:latency\)/);

    const e = errorCheck(r);
    expect(e).toMatchObject({ status: 'FAIL', test: 'fisher-exact', canary: { bad: 250, total: 5000, errorRatio: 0.05 }, baseline: { bad: 50, total: 5000, errorRatio: 0.01 } });
    expectRelClose(e.pGreater, 2.437068073251485e-34, 1e-9);
    expectRelClose(e.pTwoSided, 4.87413614650297e-34, 1e-9);
    expectRelClose(e.oddsRatio, 5.2105263157894735, 1e-12);
    expectRelClose(e.differenceCi95[0], 0.033480645441679925, 1e-9);
    expectRelClose(e.differenceCi95[1], 0.04683180894721789, 1e-9);
    expectRelClose(e.cohensH, 0.2506919694731428, 1e-12);
    expectRelClose(e.relativeRisk, 5, 1e-12);
    expectRelClose(e.toleratedRatio, 0.01 * 1.2 + 0.0005, 1e-12);

    const l = latencyCheck(r);
    expect(l).toMatchObject({ status: 'FAIL', weight: 10, method: 'asymptotic', u: 120_820 });
    expect(l.canary).toMatchObject({ samples: 400, excluded: 3, medianMs: 80.5 });
    expect(l.baseline).toMatchObject({ samples: 400, excluded: 1, medianMs: 65 });
    expectRelClose(l.canary.p95Ms, 103.5, 1e-12);
    expectRelClose(l.baseline.p95Ms, 87.52499999999998, 1e-12);
    expectRelClose(l.pGreater, 4.1785236517207224e-36, 1e-9);
    expectRelClose(l.pTwoSided, 8.357047303441445e-36, 1e-9);
    expectRelClose(l.z, 12.491024526652406, 1e-12);
    expectRelClose(l.commonLanguageEffect, 120_820 / 160_000, 1e-12);
    expect(l.medianDifferenceMs).toBe(15.5);
    expect(l.explanation).toMatch(/rows of weight 10 \(kept at 10\.0 %\), 3 \/ 1 rows of other weights left out/);
  });

  it('no difference (49 against 52 errors in 5,000, the same latency distribution) is PASS, with scipy\'s statistics', () => {
    const r = compareCanary(input({ errors: [49, 5000, 52, 5000], canaryMs: range(1000, 1400).map(b), baselineMs: range(0, 400).map(b) }));
    expect(r.verdict).toBe('PASS');
    const e = errorCheck(r);
    expect(e.status).toBe('PASS');
    expectRelClose(e.pGreater, 0.6553347631184306, 1e-9);
    expectRelClose(e.pTwoSided, 0.8415880886414936, 1e-9);
    expectRelClose(e.differenceCi95[0], -0.004596837017786522, 1e-9);
    expectRelClose(e.differenceCi95[1], 0.003382275243039427, 1e-9);
    expectRelClose(e.cohensH, -0.0060012606788885925, 1e-9);
    const l = latencyCheck(r);
    expect(l).toMatchObject({ status: 'PASS', u: 79_861 });
    expectRelClose(l.pGreater, 0.517025025891802, 1e-9);
    expectRelClose(l.pTwoSided, 0.9661938879686393, 1e-9);
    expectRelClose(l.z, 0.042382363042320584, 1e-9);
    expect(l.canary.medianMs).toBe(65);
    expect(l.baseline.medianMs).toBe(65);
  });

  it('20 requests a side is INCONCLUSIVE even though both p-values are below alpha — never PASS, never FAIL', () => {
    const r = compareCanary(input({ errors: [6, 20, 1, 20], canaryMs: range(0, 20).map(c), baselineMs: range(0, 20).map(b) }));
    expect(r.verdict).toBe('INCONCLUSIVE');
    const e = errorCheck(r);
    expect(e.status).toBe('INCONCLUSIVE');
    expect(e.explanation).toMatch(/20 requests on each side, fewer than the 200 each side needs/);
    expectRelClose(e.pGreater, 0.04573804573804574, 1e-9);
    expectRelClose(e.pTwoSided, 0.09147609147609148, 1e-9);
    expectRelClose(e.oddsRatio, 8.142857142857142, 1e-12);
    expectRelClose(e.differenceCi95[0], 0.008086579480147738, 1e-9);
    expectRelClose(e.differenceCi95[1], 0.47279997852425115, 1e-9);
    expectRelClose(e.cohensH, 0.7082526689311461, 1e-12);
    const l = latencyCheck(r);
    expect(l.status).toBe('INCONCLUSIVE');
    expect(l.explanation).toMatch(/fewer than the 100 each side needs/);
    expect(l.u).toBe(278);
    expectRelClose(l.pGreater, 0.018015448230764983, 1e-9);
    expectRelClose(l.pTwoSided, 0.03603089646152997, 1e-9);
    expectRelClose(l.z, 2.0965785869934126, 1e-9);
    expect(l.canary.medianMs).toBe(75);
    expect(l.baseline.medianMs).toBe(64.25);
    expectRelClose(l.canary.p95Ms, 93.575, 1e-12);
    expectRelClose(l.baseline.p95Ms, 87.075, 1e-12);
  });

  it('a significant but tolerated increase is PASS: a million requests make 0.012 % against 0.006 % significant', () => {
    const r = compareCanary({ ...input({ errors: [120, 1_000_000, 60, 1_000_000], canaryMs: range(0, 400).map(b), baselineMs: range(0, 400).map(b) }) });
    const e = errorCheck(r);
    expect(e.pGreater).toBeLessThan(0.05);
    expect(e.status).toBe('PASS');
    expect(e.explanation).toMatch(/within the tolerated/);
  });

  it('without exact counts or raw spans there is no verdict', () => {
    const r = compareCanary({ service: 's', environment: 'production', baselineVersion: 'a', canaryVersion: 'b', fromMs: 0, toMs: 1, errorCounts: [] });
    expect(r.verdict).toBe('INCONCLUSIVE');
    expect(r.summary).toMatch(/no exact request counts/);
    expect(latencyCheck(r)).toMatchObject({ status: 'INCONCLUSIVE', u: null, weight: null });
  });

  it('versions that share no sampling weight are not compared', () => {
    const r = compareCanary({
      service: 's', environment: 'production', baselineVersion: 'a', canaryVersion: 'b', fromMs: 0, toMs: 1,
      errorCounts: [{ source: 'x', canary: { good: 1000, total: 1000 }, baseline: { good: 1000, total: 1000 } }],
      latency: { source: 'spans', canary: [{ weight: 10, durationsMs: [1, 2] }], baseline: [{ weight: 2, durationsMs: [1, 2] }] },
    });
    expect(r.verdict).toBe('INCONCLUSIVE');
    expect(latencyCheck(r).explanation).toMatch(/share no sampling weight/);
  });

  it('validates its options, naming the one at fault', () => {
    const i = input({ errors: [1, 10, 1, 10], canaryMs: [1], baselineMs: [1] });
    expect(() => compareCanary(i, { alpha: 0.7 })).toThrow(/alpha/);
  });
});

describe('chooseStratum', () => {
  it.each([
    { name: 'the weight with the most rows on the scarcer side', baseline: [[10, 500], [1, 40]], canary: [[10, 300], [1, 60]], weight: 10 },
    { name: 'ties go to the smaller weight', baseline: [[10, 50], [1, 50]], canary: [[10, 50], [1, 50]], weight: 1 },
    { name: 'a weight only one version has is never chosen', baseline: [[10, 500]], canary: [[5, 500], [10, 2]], weight: 10 },
    { name: 'none in common', baseline: [[10, 500]], canary: [[5, 500]], weight: null },
  ])('$name', ({ baseline, canary, weight }) => {
    const strata = (list: number[][]) => list.map(([w, n]) => ({ weight: w!, durationsMs: new Array<number>(n!).fill(1) }));
    expect(chooseStratum(strata(baseline), strata(canary))).toBe(weight);
  });
});

describe('two proportions', () => {
  it('Wilson intervals stay inside [0, 1] at 0 and n errors', () => {
    expect(wilsonInterval(0, 20)[0]).toBe(0);
    expect(wilsonInterval(20, 20)[1]).toBe(1);
    // statsmodels proportion_confint(1, 20, method='wilson')
    const [lo, hi] = wilsonInterval(1, 20);
    expectRelClose(lo, 0.008881448800795402, 1e-9);
    expectRelClose(hi, 0.2361311934467421, 1e-9);
  });

  it('has no relative risk against a baseline without errors', () => {
    expect(compareProportions({ bad: 2, total: 100 }, { bad: 0, total: 100 }).relativeRisk).toBeNull();
  });
});
