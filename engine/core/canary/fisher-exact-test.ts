import { exactTails, type DiscreteDistribution } from './discrete-tail.ts';

/**
 * Fisher's exact test of a 2×2 table (R. A. Fisher, "On the interpretation of χ² from
 * contingency tables, and the calculation of P", JRSS 85(1):87–94, 1922):
 *
 *                  bad    good
 *     group 1       a      b        (e.g. the canary)
 *     group 2       c      d        (e.g. the baseline)
 *
 * Given the margins, a follows the hypergeometric distribution; the p-values are its exact
 * tails at the observed a:
 *  - `greater`: P(A ≥ a) — group 1 has higher odds of "bad" than group 2 (one-sided);
 *  - `less`:    P(A ≤ a);
 *  - `twoSided`: the sum of the probabilities of every table as likely as or less likely
 *    than the observed one (relative tolerance 1e-7, as R's fisher.test).
 * These are the definitions of scipy.stats.fisher_exact(…, alternative=…) and R's
 * fisher.test. `oddsRatio` is the sample odds ratio a·d / (b·c), as scipy reports it
 * (Infinity when b·c = 0 < a·d, NaN when both are 0).
 *
 * Exact whatever the counts: probabilities come from the recurrence
 *     p(x + 1) / p(x) = (r1 − x)(c1 − x) / ((x + 1)(N − r1 − c1 + x + 1))
 * (discrete-tail.ts), never from factorials.
 */
export interface FisherExactResult {
  pTwoSided: number;
  /** P-value of "group 1's bad share is higher" (one-sided). */
  pGreater: number;
  /** P-value of "group 1's bad share is lower" (one-sided). */
  pLess: number;
  /** a·d / (b·c). */
  oddsRatio: number;
}

function checkCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a whole number ≥ 0, got ${value}`);
}

export function fisherExactTest(a: number, b: number, c: number, d: number): FisherExactResult {
  checkCount('a', a);
  checkCount('b', b);
  checkCount('c', c);
  checkCount('d', d);
  const r1 = a + b;
  const c1 = a + c;
  const n = a + b + c + d;
  const oddsRatio = b * c === 0 ? (a * d === 0 ? NaN : Infinity) : (a * d) / (b * c);
  if (r1 === 0 || c1 === 0 || r1 === n || c1 === n) return { pTwoSided: 1, pGreater: 1, pLess: 1, oddsRatio };
  const lo = Math.max(0, r1 + c1 - n);
  const hi = Math.min(r1, c1);
  const mode = Math.min(hi, Math.max(lo, Math.floor(((r1 + 1) * (c1 + 1)) / (n + 2))));
  const dist: DiscreteDistribution = {
    lo, hi, mode,
    ratio: (x) => ((r1 - x) * (c1 - x)) / ((x + 1) * (n - r1 - c1 + x + 1)),
  };
  const tails = exactTails(dist, a);
  return { pTwoSided: tails.twoSided, pGreater: tails.greater, pLess: tails.less, oddsRatio };
}
