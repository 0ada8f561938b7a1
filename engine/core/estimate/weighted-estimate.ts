
/**
 * Estimates from sampled rows, each kept with probability π and carrying weight w = 1/π.
 *
 * Horvitz–Thompson estimator (D. G. Horvitz, D. J. Thompson, "A Generalization of Sampling
 * Without Replacement From a Finite Universe", JASA 47(260):663–685, 1952):
 *     Ŷ = Σ_{i ∈ sample} y_i / π_i = Σ w_i · y_i            (unbiased for Y = Σ_all y_i)
 *
 * Variance under Poisson sampling (each unit kept independently with its own π_i, which is
 * what a hash-of-trace-id sampler does per trace). The unbiased variance estimator is
 *     V̂(Ŷ) = Σ_{i ∈ sample} (1 − π_i) / π_i² · y_i² = Σ w_i (w_i − 1) · y_i²
 * (Särndal, Swensson, Wretman, "Model Assisted Survey Sampling", Springer 1992, eq. 3.4.6
 * with π_ij = π_i π_j). A fully kept row (w = 1) adds no variance.
 *
 * Ratio R = Y / X (e.g. error ratio = errors / requests) is estimated by R̂ = Ŷ / X̂, with
 * the Taylor-linearisation variance (Särndal et al., §5.6):
 *     V̂(R̂) = (1 / X̂²) · Σ w_i (w_i − 1) · (y_i − R̂ x_i)²
 *
 * 95 % confidence interval: estimate ± 1.959964 · √V̂ (normal approximation; counts are
 * clamped at 0 and ratios to [0, 1] only in the interval, never in the estimate).
 *
 * Units: a sampler keeps or drops whole traces, so rows of one trace are not independent.
 * For exact variance pass one row per trace (y = that trace's count); passing one row per
 * span understates the variance when traces carry several matching spans.
 */

/** z value of a two-sided 95 % normal interval. */
export const Z_95 = 1.959964;

/** One sampled unit: its weight 1/π (≥ 1) and its value(s). */
export interface WeightedRow {
  /** 1 / inclusion probability, ≥ 1. */
  weight: number;
  /** The quantity to total (1 for counting). */
  value: number;
}

export interface WeightedRatioRow {
  /** 1 / inclusion probability, ≥ 1. */
  weight: number;
  /** Numerator contribution (e.g. 1 when the request failed). */
  numerator: number;
  /** Denominator contribution (e.g. 1 per request). */
  denominator: number;
}

/** An estimate with its uncertainty. */
export interface Estimate {
  estimate: number;
  /** Estimated variance of the estimate (units²). */
  variance: number;
  standardError: number;
  /** 95 % confidence interval [low, high]. */
  ci95: [number, number];
  /** Number of sampled rows used. */
  sampledRows: number;
}

function checkWeight(weight: number): void {
  if (!Number.isFinite(weight) || weight < 1) {
    throw new RangeError(`weight must be a finite number >= 1 (1/p), got ${weight}`);
  }
}

/** Horvitz–Thompson estimate of a population total Σ y. */
export function estimateTotal(rows: readonly WeightedRow[]): Estimate {
  let estimate = 0;
  let variance = 0;
  for (const { weight, value } of rows) {
    checkWeight(weight);
    estimate += weight * value;
    variance += weight * (weight - 1) * value * value;
  }
  const standardError = Math.sqrt(variance);
  return {
    estimate,
    variance,
    standardError,
    ci95: [Math.max(0, estimate - Z_95 * standardError), estimate + Z_95 * standardError],
    sampledRows: rows.length,
  };
}

/** Horvitz–Thompson estimate of how many units satisfy a predicate (one row per sampled unit). */
export function estimateCount<T extends { weight: number }>(rows: readonly T[], predicate: (row: T) => boolean): Estimate {
  const matching = rows.filter(predicate).map((row) => ({ weight: row.weight, value: 1 }));
  return { ...estimateTotal(matching), sampledRows: rows.length };
}

/** Ratio estimate Ŷ / X̂ (e.g. an error ratio) with linearised variance; estimate 0 when X̂ = 0. */
export function estimateRatio(rows: readonly WeightedRatioRow[]): Estimate {
  let num = 0;
  let den = 0;
  for (const { weight, numerator, denominator } of rows) {
    checkWeight(weight);
    num += weight * numerator;
    den += weight * denominator;
  }
  if (den === 0) return { estimate: 0, variance: 0, standardError: 0, ci95: [0, 1], sampledRows: rows.length };
  const ratio = num / den;
  let sum = 0;
  for (const { weight, numerator, denominator } of rows) {
    const residual = numerator - ratio * denominator;
    sum += weight * (weight - 1) * residual * residual;
  }
  const variance = sum / (den * den);
  const standardError = Math.sqrt(variance);
  return {
    estimate: ratio,
    variance,
    standardError,
    ci95: [Math.max(0, ratio - Z_95 * standardError), Math.min(1, ratio + Z_95 * standardError)],
    sampledRows: rows.length,
  };
}
