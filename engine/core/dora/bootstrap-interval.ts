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

function medianOfResample(values: Float64Array, random: () => number, scratch: Float64Array): number {
  const n = values.length;
  for (let i = 0; i < n; i++) scratch[i] = values[Math.floor(random() * n)]!;
  scratch.sort();
  return quantileOfSorted(scratch, 0.5);
}

export function bootstrapMedianDifference(before: readonly number[], after: readonly number[], resamples = 2000, seed = BOOTSTRAP_SEED): BootstrapInterval {
  if (before.length === 0 || after.length === 0) throw new RangeError('both samples need at least one value');
  const b = Float64Array.from(before);
  const a = Float64Array.from(after);
  const estimate = quantileOfSorted(sortedCopy(a), 0.5) - quantileOfSorted(sortedCopy(b), 0.5);
  const random = xorshift32(seed);
  const diffs = new Float64Array(resamples);
  const scratchB = new Float64Array(b.length);
  const scratchA = new Float64Array(a.length);
  for (let r = 0; r < resamples; r++) diffs[r] = medianOfResample(a, random, scratchA) - medianOfResample(b, random, scratchB);
  diffs.sort();
  return { estimate, ci95: [quantileOfSorted(diffs, 0.025), quantileOfSorted(diffs, 0.975)], resamples };
}
