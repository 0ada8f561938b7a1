
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
 * span understates the variance when traces carry several matching spans. When spans of
 * one trace are kept at different rates (errors at a higher one), no single weight is
 * right for the trace: use estimateSpanSample, which weights each span by its own 1/π and
 * accounts for spans of a trace being kept together.
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

/**
 * Sampled spans of one trace that share a weight: one row of
 * `SELECT trace_id, sample_weight, count(), countIf(error) … GROUP BY trace_id, sample_weight`.
 */
export interface SampledSpanGroup {
  /** The trace the spans belong to: the sampling unit (one random number per trace). */
  traceId: string;
  /** 1 / inclusion probability of each of these spans, ≥ 1. */
  weight: number;
  /** Sampled spans in the group (each one request). */
  spans: number;
  /** How many of them failed. */
  errors: number;
}

/** Requests, errors and the error ratio estimated from sampled spans. */
export interface SpanSampleEstimate {
  requests: Estimate;
  errors: Estimate;
  /** errors / requests, ratio 0–1. */
  errorRatio: Estimate;
  /** Distinct traces in the sample. */
  sampledTraces: number;
  /** Sampled spans. */
  sampledSpans: number;
  /** True only when nothing was sampled away: every weight is 1 (the estimates are then counts, variance 0). */
  exact: boolean;
}

/**
 * Horvitz–Thompson estimates over spans sampled by trace with per-span rates — what
 * ingest/sampling/trace-id-sampler.ts does: one random number r per trace, a span kept
 * when r < its own rate π_i (errors at a higher rate than the rest), so the kept sets nest.
 *
 * Each span is weighted by its own 1/π_i (Horvitz & Thompson 1952; Särndal, Swensson,
 * Wretman 1992, §2.8): Ŷ = Σ_sampled w_i y_i is unbiased whatever the mix of rates in a
 * trace. (Weighting a whole trace by one of its spans' weights is not: with 503s kept at
 * 1.0 and their successful retries at 0.1, "503 then retry" traces read an error ratio of
 * 0.91 instead of 0.5 — and, weights all 1, a zero-width interval marked exact.)
 *
 * Variance. Traces are independent; two spans i, j of one trace are both kept when r is
 * below both rates, so their joint inclusion probability is π_ij = min(π_i, π_j). The
 * Horvitz–Thompson variance estimator (Särndal et al., eq. 2.8.6)
 *     V̂(Ŷ) = Σ_i Σ_j (π_ij − π_i π_j) / π_ij · (y_i / π_i) · (y_j / π_j)   (i, j sampled)
 * then becomes, per trace, with (π_ij − π_i π_j) / π_ij = 1 − 1/min(w_i, w_j):
 *     V̂(Ŷ) = Σ_traces Σ_{i,j ∈ trace} (1 − 1/min(w_i, w_j)) · w_i y_i · w_j y_j
 * A span kept with certainty (w = 1) adds nothing; one trace's spans kept together add up
 * before squaring (two spans at weight 10 give 0.9 · 20² = 360, not 2 · 90). For the ratio
 * R = Y / X the same form applies to the linearised values (y_i − R̂ x_i) / X̂ (Särndal et
 * al., §5.6). Intervals: estimate ± 1.959964 · √V̂, as above.
 */
export function estimateSpanSample(groups: readonly SampledSpanGroup[]): SpanSampleEstimate {
  const traces = new Map<string, SampledSpanGroup[]>();
  let requests = 0;
  let errors = 0;
  let sampledSpans = 0;
  for (const g of groups) {
    checkWeight(g.weight);
    requests += g.weight * g.spans;
    errors += g.weight * g.errors;
    sampledSpans += g.spans;
    const list = traces.get(g.traceId);
    if (list === undefined) traces.set(g.traceId, [g]);
    else list.push(g);
  }
  const ratio = requests === 0 ? 0 : errors / requests;
  let requestsVariance = 0;
  let errorsVariance = 0;
  let ratioVariance = 0;
  for (const list of traces.values()) {
    for (const a of list) {
      for (const b of list) {
        const c = 1 - 1 / Math.min(a.weight, b.weight);
        if (c === 0) continue;
        const ww = c * a.weight * b.weight;
        requestsVariance += ww * a.spans * b.spans;
        errorsVariance += ww * a.errors * b.errors;
        ratioVariance += ww * (a.errors - ratio * a.spans) * (b.errors - ratio * b.spans);
      }
    }
  }
  const total = (estimate: number, variance: number): Estimate => {
    const standardError = Math.sqrt(variance);
    return { estimate, variance, standardError, ci95: [Math.max(0, estimate - Z_95 * standardError), estimate + Z_95 * standardError], sampledRows: sampledSpans };
  };
  let errorRatio: Estimate;
  if (requests === 0) {
    errorRatio = { estimate: 0, variance: 0, standardError: 0, ci95: [0, 1], sampledRows: sampledSpans };
  } else {
    const variance = ratioVariance / (requests * requests);
    const standardError = Math.sqrt(variance);
    errorRatio = { estimate: ratio, variance, standardError, ci95: [Math.max(0, ratio - Z_95 * standardError), Math.min(1, ratio + Z_95 * standardError)], sampledRows: sampledSpans };
  }
  return {
    requests: total(requests, requestsVariance),
    errors: total(errors, errorsVariance),
    errorRatio,
    sampledTraces: traces.size,
    sampledSpans,
    exact: groups.every((g) => g.weight === 1),
  };
}
