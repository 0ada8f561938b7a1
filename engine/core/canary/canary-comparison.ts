import { z } from 'zod';
import { mannWhitneyUTest, type MannWhitneyResult } from './mann-whitney-u-test.ts';
import { quantileOfSorted, sortedCopy } from './sample-quantile.ts';
import { compareProportions, type TwoProportionComparison } from './two-proportion-comparison.ts';

/**
 * Canary analysis: is the canary version of a service worse than the baseline version,
 * over the same environment and time range? Pure: the caller brings the data
 * (engine/adapters/clickhouse-canary-source.ts reads it) and gets every statistic back.
 *
 * Two kinds of checks (docs/releases.md "Canary analysis"):
 *
 * 1. **Error ratio**, one check per availability SLO of the service: the exact good/total
 *    counts per version (sli_rollups, counted before any sampling), compared by Fisher's
 *    exact test. FAIL when the canary's error ratio is higher with one-sided p < alpha
 *    **and** above the tolerance: canary ratio > baseline ratio · (1 + maxRelativeIncrease)
 *    + maxAbsoluteIncrease. A significant but tiny difference (a million requests make any
 *    difference significant) is not a regression; a large but insignificant one is noise.
 *
 * 2. **Latency**: durations of the raw spans each version served, compared by the
 *    Mann–Whitney U test. FAIL when the canary is slower with one-sided p < alpha **and**
 *    its common-language effect A = P(canary span slower than baseline span) is at least
 *    minLatencyEffect (default 0.56, Vargha & Delaney's "small").
 *
 *    Sampled rows: raw spans are kept with a probability p and carry sample_weight = 1/p;
 *    errors may be kept at a higher rate than the rest. Rows of one weight are an
 *    independent Bernoulli sample of the spans of their class (the sampler's coin is a
 *    hash of the trace id, independent of duration), so the U test of those rows tests the
 *    same hypothesis as it would on every span of that class. Rows of different weights
 *    are not one sample (error spans kept at 100 % would swamp the rest), so only **rows
 *    of one weight** are compared: the weight present in both versions with the most rows
 *    on the scarcer side (ties: the smaller weight). The answer names the weight and how
 *    many rows of other weights were left out. A version's spans of one trace are kept
 *    together, so spans are independent only as far as traces hold one span of the
 *    service each (the usual case for server spans).
 *
 * Minimum samples: below minRequestsPerSide requests (error ratio) or
 * minLatencySamplesPerSide compared spans (latency) on either side the check is
 * INCONCLUSIVE, whatever the p-value — never PASS, and never FAIL (design guarantee 2: too
 * little data is never a verdict). The comparison is FAIL when any check fails, else
 * INCONCLUSIVE when any check is (or there is none), else PASS.
 */

export const CANARY_VERDICTS = ['PASS', 'FAIL', 'INCONCLUSIVE'] as const;
export type CanaryVerdict = (typeof CANARY_VERDICTS)[number];

export const CanaryOptionsSchema = z.strictObject({
  /** One-sided significance level of "the canary is worse", 0–0.5 exclusive (default 0.05). */
  alpha: z.number().gt(0).lt(0.5).default(0.05),
  /** Fewest requests each version needs in an error-ratio check, ≥ 1 (default 200). */
  minRequestsPerSide: z.number().int().min(1).default(200),
  /** Fewest compared spans each version needs in the latency check, ≥ 1 (default 100). */
  minLatencySamplesPerSide: z.number().int().min(1).default(100),
  /** Error-ratio increase tolerated relative to the baseline's, ratio ≥ 0 (default 0.2 = +20 %). */
  maxRelativeIncrease: z.number().min(0).default(0.2),
  /** …plus this absolute increase, ratio 0–1 (default 0.0005 = 0.05 percentage points). */
  maxAbsoluteIncrease: z.number().min(0).max(1).default(0.0005),
  /** Smallest common-language effect A = P(canary slower) that counts as a latency regression, 0.5–1 (default 0.56). */
  minLatencyEffect: z.number().min(0.5).max(1).default(0.56),
});
export type CanaryOptions = z.infer<typeof CanaryOptionsSchema>;
export const DEFAULT_CANARY_OPTIONS: CanaryOptions = CanaryOptionsSchema.parse({});

/** Good and total requests of one version (exact). */
export interface RequestCounts {
  good: number;
  total: number;
}

/** Exact counts of both versions from one source (an availability SLO's rollups). */
export interface ErrorCountsInput {
  /** Where the counts come from, e.g. `slo:checkout-availability`. */
  source: string;
  baseline: RequestCounts;
  canary: RequestCounts;
}

/** Durations of sampled rows that share one weight 1/p. */
export interface LatencyStratum {
  /** Sampling weight 1/p of these rows, ≥ 1. */
  weight: number;
  /** Durations, ms. */
  durationsMs: number[];
}

export interface LatencyInput {
  /** e.g. `spans_raw (server spans)`. */
  source: string;
  baseline: LatencyStratum[];
  canary: LatencyStratum[];
}

export interface CanaryInput {
  service: string;
  environment: string;
  baselineVersion: string;
  canaryVersion: string;
  /** The compared time range [fromMs, toMs), epoch ms. */
  fromMs: number;
  toMs: number;
  errorCounts: ErrorCountsInput[];
  /** Absent when there are no raw spans to compare (the latency check is then INCONCLUSIVE). */
  latency?: LatencyInput | undefined;
}

export interface VersionErrorRatio {
  good: number;
  bad: number;
  total: number;
  /** bad / total, ratio 0–1 (0 without requests). */
  errorRatio: number;
}

export interface ErrorRatioCheck {
  kind: 'error-ratio';
  /** `canary:error-ratio:<source>`. */
  name: string;
  status: CanaryVerdict;
  explanation: string;
  source: string;
  baseline: VersionErrorRatio;
  canary: VersionErrorRatio;
  test: 'fisher-exact';
  /** Canary − baseline error ratio. */
  difference: number;
  differenceCi95: [number, number];
  /** Canary ratio / baseline ratio; null when the baseline had no errors. */
  relativeRisk: number | null;
  cohensH: number;
  /** Sample odds ratio; null when not finite. */
  oddsRatio: number | null;
  /** One-sided p-value of "the canary's error ratio is higher". */
  pGreater: number;
  pTwoSided: number;
  /** Highest canary error ratio tolerated: baseline · (1 + maxRelativeIncrease) + maxAbsoluteIncrease. */
  toleratedRatio: number;
  alpha: number;
  minRequestsPerSide: number;
}

export interface VersionLatency {
  /** Rows compared (those of the chosen weight). */
  samples: number;
  /** Rows of other weights, left out. */
  excluded: number;
  medianMs: number | null;
  p95Ms: number | null;
  meanMs: number | null;
}

export interface LatencyCheck {
  kind: 'latency';
  name: 'canary:latency';
  status: CanaryVerdict;
  explanation: string;
  source: string;
  /** Weight (1/p) of the rows compared; null when no weight is present in both versions. */
  weight: number | null;
  baseline: VersionLatency;
  canary: VersionLatency;
  test: 'mann-whitney-u';
  method: MannWhitneyResult['method'] | null;
  /** U of the canary sample (pairs canary > baseline, ties ½). */
  u: number | null;
  z: number | null;
  /** One-sided p-value of "the canary is slower". */
  pGreater: number | null;
  pTwoSided: number | null;
  /** A = P(canary slower) + ½ P(tie), 0–1. */
  commonLanguageEffect: number | null;
  rankBiserial: number | null;
  /** Canary median − baseline median, ms. */
  medianDifferenceMs: number | null;
  minLatencyEffect: number;
  alpha: number;
  minSamplesPerSide: number;
}

export type CanaryCheck = ErrorRatioCheck | LatencyCheck;

export interface CanaryComparison {
  verdict: CanaryVerdict;
  /** One sentence: why. */
  summary: string;
  service: string;
  environment: string;
  baselineVersion: string;
  canaryVersion: string;
  fromMs: number;
  toMs: number;
  options: CanaryOptions;
  checks: CanaryCheck[];
}

const pct = (ratio: number) => `${(ratio * 100).toPrecision(3)} %`;
/** Which side is short of data, in words. */
const side = (canary: number, baseline: number) => (canary === baseline ? 'each side' : canary < baseline ? 'the canary side' : 'the baseline side');
const pText = (p: number) => (p < 1e-4 ? p.toExponential(2) : p.toPrecision(3));

function versionRatio(c: RequestCounts): VersionErrorRatio {
  const bad = c.total - c.good;
  return { good: c.good, bad, total: c.total, errorRatio: c.total === 0 ? 0 : bad / c.total };
}

/** The error-ratio check of one source. */
export function errorRatioCheck(input: ErrorCountsInput, options: CanaryOptions): ErrorRatioCheck {
  for (const [side, c] of [['baseline', input.baseline], ['canary', input.canary]] as const) {
    if (!Number.isSafeInteger(c.total) || !Number.isSafeInteger(c.good) || c.good < 0 || c.good > c.total) {
      throw new RangeError(`${input.source} ${side}: good and total must be whole numbers with 0 ≤ good ≤ total, got ${c.good} of ${c.total}`);
    }
  }
  const baseline = versionRatio(input.baseline);
  const canary = versionRatio(input.canary);
  const cmp: TwoProportionComparison = compareProportions({ bad: canary.bad, total: canary.total }, { bad: baseline.bad, total: baseline.total });
  const toleratedRatio = baseline.errorRatio * (1 + options.maxRelativeIncrease) + options.maxAbsoluteIncrease;
  const counts = `canary ${canary.bad}/${canary.total} (${pct(canary.errorRatio)}) vs baseline ${baseline.bad}/${baseline.total} (${pct(baseline.errorRatio)})`;
  const test = `Fisher's exact test, one-sided p = ${pText(cmp.fisher.pGreater)} (alpha ${options.alpha})`;
  let status: CanaryVerdict;
  let explanation: string;
  const scarce = Math.min(canary.total, baseline.total);
  if (scarce < options.minRequestsPerSide) {
    status = 'INCONCLUSIVE';
    explanation = `${counts}: ${scarce} requests on ${side(canary.total, baseline.total)}, fewer than the ${options.minRequestsPerSide} each side needs; ${test} is not a verdict`;
  } else if (cmp.fisher.pGreater < options.alpha && canary.errorRatio > toleratedRatio) {
    status = 'FAIL';
    explanation = `${counts}: the canary fails more, beyond the tolerated ${pct(toleratedRatio)}; ${test}`;
  } else if (cmp.fisher.pGreater < options.alpha) {
    status = 'PASS';
    explanation = `${counts}: higher, but within the tolerated ${pct(toleratedRatio)}; ${test}`;
  } else {
    status = 'PASS';
    explanation = `${counts}: no significant increase; ${test}`;
  }
  return {
    kind: 'error-ratio',
    name: `canary:error-ratio:${input.source}`,
    status,
    explanation,
    source: input.source,
    baseline,
    canary,
    test: 'fisher-exact',
    difference: cmp.difference,
    differenceCi95: cmp.differenceCi95,
    relativeRisk: cmp.relativeRisk,
    cohensH: cmp.cohensH,
    oddsRatio: Number.isFinite(cmp.fisher.oddsRatio) ? cmp.fisher.oddsRatio : null,
    pGreater: cmp.fisher.pGreater,
    pTwoSided: cmp.fisher.pTwoSided,
    toleratedRatio,
    alpha: options.alpha,
    minRequestsPerSide: options.minRequestsPerSide,
  };
}

/** The weight both versions have, with the most rows on the scarcer side (ties: the smaller weight). */
export function chooseStratum(baseline: readonly LatencyStratum[], canary: readonly LatencyStratum[]): number | null {
  const sizes = (strata: readonly LatencyStratum[]) => {
    const m = new Map<number, number>();
    for (const s of strata) m.set(s.weight, (m.get(s.weight) ?? 0) + s.durationsMs.length);
    return m;
  };
  const b = sizes(baseline);
  const c = sizes(canary);
  let best: { weight: number; size: number } | null = null;
  for (const [weight, nb] of b) {
    const nc = c.get(weight);
    if (nc === undefined) continue;
    const size = Math.min(nb, nc);
    if (best === null || size > best.size || (size === best.size && weight < best.weight)) best = { weight, size };
  }
  return best?.weight ?? null;
}

function describe(strata: readonly LatencyStratum[], weight: number | null): { values: number[]; view: VersionLatency } {
  const values: number[] = [];
  let excluded = 0;
  for (const s of strata) {
    if (s.weight === weight) for (const v of s.durationsMs) values.push(v);
    else excluded += s.durationsMs.length;
  }
  const sorted = sortedCopy(values);
  const mean = values.length === 0 ? null : values.reduce((a, v) => a + v, 0) / values.length;
  return {
    values,
    view: {
      samples: values.length,
      excluded,
      medianMs: values.length === 0 ? null : quantileOfSorted(sorted, 0.5),
      p95Ms: values.length === 0 ? null : quantileOfSorted(sorted, 0.95),
      meanMs: mean,
    },
  };
}

/** The latency check: Mann–Whitney U over the rows of one weight. */
export function latencyCheck(input: LatencyInput | undefined, options: CanaryOptions): LatencyCheck {
  const weight = input === undefined ? null : chooseStratum(input.baseline, input.canary);
  const b = describe(input?.baseline ?? [], weight);
  const c = describe(input?.canary ?? [], weight);
  const base = {
    kind: 'latency' as const,
    name: 'canary:latency' as const,
    source: input?.source ?? 'none',
    weight,
    baseline: b.view,
    canary: c.view,
    test: 'mann-whitney-u' as const,
    minLatencyEffect: options.minLatencyEffect,
    alpha: options.alpha,
    minSamplesPerSide: options.minLatencySamplesPerSide,
  };
  const none = { method: null, u: null, z: null, pGreater: null, pTwoSided: null, commonLanguageEffect: null, rankBiserial: null, medianDifferenceMs: null };
  if (weight === null || b.values.length === 0 || c.values.length === 0) {
    const why = input === undefined || (b.view.excluded === 0 && c.view.excluded === 0)
      ? 'no raw spans of one of the versions in the range'
      : 'the versions share no sampling weight, so their sampled rows are not comparable';
    return { ...base, ...none, status: 'INCONCLUSIVE', explanation: `latency not compared: ${why}` };
  }
  const mw = mannWhitneyUTest(c.values, b.values);
  const medianDifferenceMs = c.view.medianMs! - b.view.medianMs!;
  const stats = {
    method: mw.method, u: mw.u1, z: mw.z, pGreater: mw.pGreater, pTwoSided: mw.pTwoSided,
    commonLanguageEffect: mw.commonLanguageEffect, rankBiserial: mw.rankBiserial, medianDifferenceMs,
  };
  const weighted = weight === 1 ? 'unsampled rows (weight 1)' : `rows of weight ${weight} (kept at ${pct(1 / weight)})`;
  const described = `canary median ${c.view.medianMs!.toPrecision(4)} ms vs baseline ${b.view.medianMs!.toPrecision(4)} ms over ${c.view.samples} / ${b.view.samples} ${weighted}` +
    (b.view.excluded + c.view.excluded > 0 ? `, ${c.view.excluded} / ${b.view.excluded} rows of other weights left out` : '');
  const test = `Mann–Whitney U, one-sided p = ${pText(mw.pGreater)} (alpha ${options.alpha}), A = ${mw.commonLanguageEffect.toFixed(3)}`;
  const scarce = Math.min(c.view.samples, b.view.samples);
  if (scarce < options.minLatencySamplesPerSide) {
    return { ...base, ...stats, status: 'INCONCLUSIVE', explanation: `${described}: ${scarce} spans on ${side(c.view.samples, b.view.samples)}, fewer than the ${options.minLatencySamplesPerSide} each side needs; ${test} is not a verdict` };
  }
  if (mw.pGreater < options.alpha && mw.commonLanguageEffect >= options.minLatencyEffect) {
    return { ...base, ...stats, status: 'FAIL', explanation: `${described}: the canary is slower, with an effect of at least ${options.minLatencyEffect}; ${test}` };
  }
  const why = mw.pGreater < options.alpha ? `slower, but the effect is below ${options.minLatencyEffect}` : 'not significantly slower';
  return { ...base, ...stats, status: 'PASS', explanation: `${described}: ${why}; ${test}` };
}

/**
 * Compares a canary version with its baseline (see the file comment). Options are merged
 * over DEFAULT_CANARY_OPTIONS and validated (a bad value throws a ZodError naming it).
 */
export function compareCanary(input: CanaryInput, options: Partial<CanaryOptions> = {}): CanaryComparison {
  const opts = CanaryOptionsSchema.parse({ ...DEFAULT_CANARY_OPTIONS, ...options });
  if (!(input.toMs > input.fromMs)) throw new RangeError(`the range must not be empty: fromMs ${input.fromMs}, toMs ${input.toMs}`);
  const checks: CanaryCheck[] = [...input.errorCounts.map((e) => errorRatioCheck(e, opts)), latencyCheck(input.latency, opts)];
  const failed = checks.filter((c) => c.status === 'FAIL');
  const inconclusive = checks.filter((c) => c.status === 'INCONCLUSIVE');
  const versions = `${input.service} ${input.canaryVersion} vs ${input.baselineVersion} in ${input.environment}`;
  let verdict: CanaryVerdict;
  let summary: string;
  if (failed.length > 0) {
    verdict = 'FAIL';
    summary = `${versions}: the canary is worse (${failed.map((c) => c.name).join(', ')})`;
  } else if (input.errorCounts.length === 0) {
    verdict = 'INCONCLUSIVE';
    summary = `${versions}: no exact request counts (no availability SLO of the service counted either version), so errors could not be compared`;
  } else if (inconclusive.length > 0) {
    verdict = 'INCONCLUSIVE';
    summary = `${versions}: not enough data to decide (${inconclusive.map((c) => c.name).join(', ')})`;
  } else {
    verdict = 'PASS';
    summary = `${versions}: no regression found in ${checks.length} checks`;
  }
  return {
    verdict, summary,
    service: input.service, environment: input.environment,
    baselineVersion: input.baselineVersion, canaryVersion: input.canaryVersion,
    fromMs: input.fromMs, toMs: input.toMs,
    options: opts,
    checks,
  };
}
