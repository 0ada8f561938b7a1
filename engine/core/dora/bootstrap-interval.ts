import { quantileOfSorted, sortedCopy } from '../canary/sample-quantile.ts';

/**
 * Percentile bootstrap interval of the difference of two medians, median(after) −
 * median(before), for two independent samples (B. Efron, R. J. Tibshirani, "An
 * Introduction to the Bootstrap", Chapman & Hall 1993, ch. 13): each of `resamples` rounds
 * draws both samples again with replacement and takes the difference of their medians; the
 * interval is the 2.5th and 97.5th percentile of those differences.
 *
 * Deterministic: the draws come from a seeded xorshift32 generator (G. Marsaglia,
 * "Xorshift RNGs", J. Stat. Softw. 8(14), 2003), so the same data always gives the same
 * interval (engine/core takes no randomness from outside).
 */
export interface BootstrapInterval {
  /** median(after) − median(before) of the data itself. */
  estimate: number;
  /** 95 % percentile interval of the difference. */
  ci95: [number, number];
  resamples: number;
}

/** Default seed of the generator (any fixed non-zero 32-bit value). */
export const BOOTSTRAP_SEED = 0x5eed_1234;

function xorshift32(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4_294_967_296;
  };
}

/**
 * The type-7 median of one bootstrap resample of `sorted` (ascending), in O(n) and without
 * sorting: drawing n values with replacement is drawing n ranks, so the ranks are counted
 * and the median's order statistics found by walking the counts.
 */
function medianOfResample(sorted: Float64Array, random: () => number, counts: Uint32Array): number {
  const n = sorted.length;
  counts.fill(0);
  for (let i = 0; i < n; i++) counts[Math.floor(random() * n)]!++;
  const h = (n - 1) * 0.5;
  const lo = Math.floor(h);
  const frac = h - lo;
  let seen = 0;
  let low = NaN;
  for (let rank = 0; rank < n; rank++) {
    const c = counts[rank]!;
    if (c === 0) continue;
    if (Number.isNaN(low) && seen + c > lo) {
      low = sorted[rank]!;
      if (frac === 0) return low;
    }
    if (seen + c > lo + 1) return low + frac * (sorted[rank]! - low);
    seen += c;
  }
  return low;
}

export function bootstrapMedianDifference(before: readonly number[], after: readonly number[], resamples = 2000, seed = BOOTSTRAP_SEED): BootstrapInterval {
  if (before.length === 0 || after.length === 0) throw new RangeError('both samples need at least one value');
  const b = sortedCopy(before);
  const a = sortedCopy(after);
  const estimate = quantileOfSorted(a, 0.5) - quantileOfSorted(b, 0.5);
  const random = xorshift32(seed);
  const diffs = new Float64Array(resamples);
  const countsB = new Uint32Array(b.length);
  const countsA = new Uint32Array(a.length);
  for (let r = 0; r < resamples; r++) diffs[r] = medianOfResample(a, random, countsA) - medianOfResample(b, random, countsB);
  diffs.sort();
  return { estimate, ci95: [quantileOfSorted(diffs, 0.025), quantileOfSorted(diffs, 0.975)], resamples };
}

/**
 * Standard error of a sample median by McKean & Schrader (J. W. McKean, R. M. Schrader, "A
 * comparison of methods for studentizing the sample median", Commun. Stat. Simul. Comput.
 * 13(6):751–773, 1984): with c = round((n + 1)/2 − z₀.₉₇₅·√(n/4)),
 *     SE = (x₍ₙ₋꜀₊₁₎ − x₍꜀₎) / (2·z₀.₉₇₅)
 * — distribution-free, from two order statistics. `sorted` ascending.
 */
export function medianStandardError(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  const z = 1.959963984540054;
  const c = Math.min(Math.ceil(n / 2), Math.max(1, Math.round((n + 1) / 2 - z * Math.sqrt(n / 4))));
  return (sorted[n - c]! - sorted[c - 1]!) / (2 * z);
}

/**
 * The 95 % interval of median(after) − median(before) from the two medians' McKean–Schrader
 * standard errors (normal approximation), for samples too large to bootstrap quickly.
 */
export function medianDifferenceInterval(before: readonly number[], after: readonly number[]): BootstrapInterval {
  const b = sortedCopy(before);
  const a = sortedCopy(after);
  const estimate = quantileOfSorted(a, 0.5) - quantileOfSorted(b, 0.5);
  const se = Math.sqrt(medianStandardError(a) ** 2 + medianStandardError(b) ** 2);
  const z = 1.959963984540054;
  return { estimate, ci95: [estimate - z * se, estimate + z * se], resamples: 0 };
}
