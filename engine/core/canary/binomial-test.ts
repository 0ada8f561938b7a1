import { exactTails } from './discrete-tail.ts';

/**
 * The exact binomial test of k successes in n trials against success probability p
 * (scipy.stats.binomtest; R's binom.test): `greater` = P(K ≥ k), `less` = P(K ≤ k),
 * `twoSided` = the sum of the probabilities of every outcome as likely as or less likely
 * than k (relative tolerance 1e-7). Probabilities by the recurrence
 *     P(x + 1) / P(x) = (n − x) / (x + 1) · p / (1 − p)
 * (discrete-tail.ts), so large n stays exact.
 *
 * Used to compare two Poisson rates (e.g. deploys per day in two periods): given the total
 * n = x₁ + x₂ of two Poisson counts over exposures t₁, t₂, x₁ is binomial with
 * p = t₁ / (t₁ + t₂) when the rates are equal — the conditional test of J. Przyborowski
 * and H. Wileński, "Homogeneity of results in testing samples from Poisson series",
 * Biometrika 31:313–323, 1940.
 */
export interface BinomialTestResult {
  pTwoSided: number;
  pGreater: number;
  pLess: number;
}

export function binomialTest(k: number, n: number, p: number): BinomialTestResult {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`n must be a whole number ≥ 0, got ${n}`);
  if (!Number.isSafeInteger(k) || k < 0 || k > n) throw new RangeError(`k must be a whole number in [0, n], got ${k}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`p must be a probability 0–1, got ${p}`);
  if (n === 0) return { pTwoSided: 1, pGreater: 1, pLess: 1 };
  if (p === 0 || p === 1) {
    const certain = p === 0 ? 0 : n;
    const at = k === certain ? 1 : 0;
    return { pTwoSided: at, pGreater: k <= certain ? 1 : 0, pLess: k >= certain ? 1 : 0 };
  }
  const mode = Math.min(n, Math.floor((n + 1) * p));
  const odds = p / (1 - p);
  const tails = exactTails({ lo: 0, hi: n, mode, ratio: (x) => ((n - x) / (x + 1)) * odds }, k);
  return { pTwoSided: tails.twoSided, pGreater: tails.greater, pLess: tails.less };
}

/**
 * Two Poisson counts over exposures (e.g. deploys in two periods of t₁ and t₂ days):
 * the exact conditional test of equal rates. `pGreater` tests "rate 1 > rate 2".
 */
export function poissonRatesTest(x1: number, t1: number, x2: number, t2: number): BinomialTestResult {
  if (!(t1 > 0) || !(t2 > 0)) throw new RangeError(`exposures must be > 0, got ${t1} and ${t2}`);
  return binomialTest(x1, x1 + x2, t1 / (t1 + t2));
}
