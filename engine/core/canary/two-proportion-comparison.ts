import { fisherExactTest, type FisherExactResult } from './fisher-exact-test.ts';
import { Z_975 } from './normal-distribution.ts';

/** Exact counts of one group: bad events (e.g. failed requests) among total. */
export interface ProportionCounts {
  bad: number;
  total: number;
}

/**
 * Two error ratios compared: p₁ (e.g. the canary's) against p₂ (the baseline's).
 *  - `fisher`: Fisher's exact test of the 2×2 table (fisher-exact-test.ts); `fisher.pGreater`
 *    is the one-sided p-value of "p₁ > p₂".
 *  - `difference` p₁ − p₂ with its 95 % interval by Newcombe's hybrid score method (method 10
 *    of R. G. Newcombe, "Interval estimation for the difference between independent
 *    proportions: comparison of eleven methods", Stat. Med. 17:873–890, 1998): from the
 *    Wilson score intervals (l₁, u₁), (l₂, u₂) of each ratio,
 *        L = δ − √((p₁ − l₁)² + (u₂ − p₂)²),   U = δ + √((u₁ − p₁)² + (p₂ − l₂)²).
 *    Unlike the Wald interval it stays inside [−1, 1] and behaves at 0 errors.
 *  - `relativeRisk` p₁ / p₂ (null when p₂ = 0); `cohensH` = 2·asin√p₁ − 2·asin√p₂
 *    (J. Cohen, "Statistical Power Analysis for the Behavioral Sciences", 2nd ed., 1988,
 *    ch. 6: 0.2 small, 0.5 medium, 0.8 large).
 */
export interface TwoProportionComparison {
  /** p₁ = bad / total of group 1, ratio 0–1 (0 without events). */
  ratio1: number;
  ratio2: number;
  /** p₁ − p₂. */
  difference: number;
  /** 95 % Newcombe hybrid score interval of p₁ − p₂. */
  differenceCi95: [number, number];
  /** p₁ / p₂; null when p₂ = 0. */
  relativeRisk: number | null;
  cohensH: number;
  fisher: FisherExactResult;
}

/** Wilson score interval of a proportion (E. B. Wilson, JASA 22:209–212, 1927), 95 %. */
export function wilsonInterval(bad: number, total: number, z = Z_975): [number, number] {
  if (total === 0) return [0, 1];
  const p = bad / total;
  const z2 = z * z;
  const denominator = 1 + z2 / total;
  const centre = (p + z2 / (2 * total)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

function checkCounts(name: string, c: ProportionCounts): void {
  if (!Number.isSafeInteger(c.total) || c.total < 0 || !Number.isSafeInteger(c.bad) || c.bad < 0 || c.bad > c.total) {
    throw new RangeError(`${name}: bad and total must be whole numbers with 0 ≤ bad ≤ total, got ${c.bad} of ${c.total}`);
  }
}

export function compareProportions(group1: ProportionCounts, group2: ProportionCounts): TwoProportionComparison {
  checkCounts('group 1', group1);
  checkCounts('group 2', group2);
  const p1 = group1.total === 0 ? 0 : group1.bad / group1.total;
  const p2 = group2.total === 0 ? 0 : group2.bad / group2.total;
  const [l1, u1] = wilsonInterval(group1.bad, group1.total);
  const [l2, u2] = wilsonInterval(group2.bad, group2.total);
  const difference = p1 - p2;
  return {
    ratio1: p1,
    ratio2: p2,
    difference,
    differenceCi95: [difference - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), difference + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)],
    relativeRisk: p2 === 0 ? null : p1 / p2,
    cohensH: 2 * Math.asin(Math.sqrt(p1)) - 2 * Math.asin(Math.sqrt(p2)),
    fisher: fisherExactTest(group1.bad, group1.total - group1.bad, group2.bad, group2.total - group2.bad),
  };
}
