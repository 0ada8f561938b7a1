/**
 * Tail sums of a discrete unimodal distribution given by the ratio of neighbouring
 * probabilities — what the exact tests (Fisher's, the binomial test) need. Probabilities
 * are carried as logarithms relative to the mode, built by the recurrence
 *     p(x + 1) / p(x) = ratio(x)
 * outward from the mode, so no factorial is ever formed: a table of a million requests is
 * as exact as one of ten, and a p-value of 1e-80 is computed, not rounded to 0.
 */

/** Relative tolerance when comparing probabilities for "as or less likely" (R's fisher.test and binom.test use 1 + 1e-7). */
export const RELATIVE_ERROR = 1 + 1e-7;

export interface DiscreteDistribution {
  /** Smallest and largest value of the support (integers, lo ≤ hi). */
  lo: number;
  hi: number;
  /** A most likely value, lo ≤ mode ≤ hi. */
  mode: number;
  /** p(x + 1) / p(x) for lo ≤ x < hi. */
  ratio: (x: number) => number;
}

/** Log-probabilities over the support (index x − lo), normalised. */
export function logProbabilities(dist: DiscreteDistribution): Float64Array {
  const { lo, hi, mode, ratio } = dist;
  const logp = new Float64Array(hi - lo + 1);
  logp[mode - lo] = 0;
  for (let x = mode; x < hi; x++) logp[x + 1 - lo] = logp[x - lo]! + Math.log(ratio(x));
  for (let x = mode; x > lo; x--) logp[x - 1 - lo] = logp[x - lo]! - Math.log(ratio(x - 1));
  const total = logSumExp(logp, () => true);
  for (let i = 0; i < logp.length; i++) logp[i] = logp[i]! - total;
  return logp;
}

/** log Σ exp(v[i]) over the indices `keep` accepts; −Infinity when none. */
export function logSumExp(values: Float64Array, keep: (index: number) => boolean): number {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) if (keep(i) && values[i]! > max) max = values[i]!;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = 0; i < values.length; i++) if (keep(i)) sum += Math.exp(values[i]! - max);
  return max + Math.log(sum);
}

/** One- and two-sided p-values of an observed value x. */
export interface ExactTails {
  /** P(X ≥ x). */
  greater: number;
  /** P(X ≤ x). */
  less: number;
  /** Σ p(y) over every y with p(y) ≤ p(x) · (1 + 1e-7): the "as or less likely" two-sided p-value. */
  twoSided: number;
}

/** The exact tails of x under `dist` (each clipped to [0, 1]). */
export function exactTails(dist: DiscreteDistribution, x: number): ExactTails {
  const logp = logProbabilities(dist);
  const at = x - dist.lo;
  const threshold = logp[at]! + Math.log(RELATIVE_ERROR);
  const p = (keep: (i: number) => boolean) => Math.min(1, Math.exp(logSumExp(logp, keep)));
  return {
    greater: p((i) => i >= at),
    less: p((i) => i <= at),
    twoSided: p((i) => logp[i]! <= threshold),
  };
}
