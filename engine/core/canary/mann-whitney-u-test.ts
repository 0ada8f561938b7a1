import { normalSf } from './normal-distribution.ts';

/**
 * The Mann–Whitney U test (H. B. Mann, D. R. Whitney, "On a test of whether one of two
 * random variables is stochastically larger than the other", Ann. Math. Statist.
 * 18(1):50–60, 1947), with the conventions of scipy.stats.mannwhitneyu (SciPy ≥ 1.7):
 *
 *  - U₁ = R₁ − n₁(n₁ + 1)/2, R₁ the sum of the (mid-)ranks of x in the pooled sample;
 *    U₂ = n₁n₂ − U₁. U₁ counts the pairs with x > y, ties counting ½.
 *  - method `exact` (both samples smaller than 8 and no ties, scipy's "auto"): the null
 *    distribution of U by counting arrangements; p(greater) = P(U ≥ U₁),
 *    p(two-sided) = min(1, 2 · P(U ≥ max(U₁, U₂))).
 *  - method `asymptotic` otherwise: z = (U − n₁n₂/2 − ½) / σ with the tie-corrected
 *        σ² = n₁n₂/12 · ((n + 1) − Σ(t³ − t) / (n(n − 1)))
 *    (t: sizes of the groups of tied values), U = U₁ for `greater`, U₂ for `less` and
 *    max(U₁, U₂) for two-sided (p doubled), and the continuity correction ½.
 *
 * Effect sizes (they do not depend on n, unlike p):
 *  - `commonLanguageEffect` A = U₁ / (n₁n₂) = P(X > Y) + ½ P(X = Y): the probability that
 *    a random x exceeds a random y (K. O. McGraw, S. P. Wong, Psychol. Bull. 111:361, 1992;
 *    A. Vargha, H. D. Delaney's A₁₂, J. Educ. Behav. Stat. 25(2):101–132, 2000, who call
 *    0.56, 0.64 and 0.71 small, medium and large);
 *  - `rankBiserial` r = 2A − 1 in [−1, 1] (D. S. Kerby, Compr. Psychol. 3:11.IT.3.1, 2014).
 */
export interface MannWhitneyResult {
  /** U of the first sample (pairs with x > y, ties ½). */
  u1: number;
  u2: number;
  n1: number;
  n2: number;
  method: 'exact' | 'asymptotic';
  /** The z of the two-sided asymptotic test (null with the exact method). */
  z: number | null;
  pTwoSided: number;
  /** P-value of "x tends to be larger than y". */
  pGreater: number;
  pLess: number;
  /** A = U₁ / (n₁n₂), 0–1 (0.5: no difference). */
  commonLanguageEffect: number;
  /** 2A − 1, −1 to 1. */
  rankBiserial: number;
  /** Σ(t³ − t) over groups of tied values (0 without ties). */
  tieTerm: number;
}

/** Largest sample size (exclusive) for which scipy's "auto" uses the exact distribution. */
export const EXACT_BELOW = 8;

/** Mid-ranks of the pooled sample: U₁ and the tie term, O((n₁ + n₂) log(n₁ + n₂)). */
function rankSum(x: readonly number[], y: readonly number[]): { u1: number; tieTerm: number } {
  const n1 = x.length;
  const pooled = new Float64Array(n1 + y.length);
  pooled.set(x, 0);
  pooled.set(y, n1);
  const order = new Uint32Array(pooled.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((i, j) => pooled[i]! - pooled[j]!);
  let r1 = 0;
  let tieTerm = 0;
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && pooled[order[end]!] === pooled[order[start]!]) end++;
    const t = end - start;
    const midRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) if (order[k]! < n1) r1 += midRank;
    if (t > 1) tieTerm += t * t * t - t;
    start = end;
  }
  return { u1: r1 - (n1 * (n1 + 1)) / 2, tieTerm };
}

/** Number of arrangements of n1 x's and n2 y's with U₁ = u, for every u (Mann & Whitney's recurrence). */
function exactCounts(n1: number, n2: number): number[] {
  // f[i][j][u] = f[i−1][j][u − j] + f[i][j−1][u]
  let prev: number[][] = Array.from({ length: n2 + 1 }, () => [1]);
  for (let i = 1; i <= n1; i++) {
    const next: number[][] = [[1]];
    for (let j = 1; j <= n2; j++) {
      const size = i * j + 1;
      const row = new Array<number>(size).fill(0);
      const withX = prev[j]!;
      const withY = next[j - 1]!;
      for (let u = 0; u < size; u++) row[u] = (u - j >= 0 ? (withX[u - j] ?? 0) : 0) + (withY[u] ?? 0);
      next.push(row);
    }
    prev = next;
  }
  return prev[n2]!;
}

export function mannWhitneyUTest(x: readonly number[], y: readonly number[]): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('both samples need at least one value');
  for (const sample of [x, y]) for (const v of sample) if (!Number.isFinite(v)) throw new RangeError(`values must be finite numbers, got ${v}`);
  const { u1, tieTerm } = rankSum(x, y);
  const u2 = n1 * n2 - u1;
  const effect = u1 / (n1 * n2);
  const base = { u1, u2, n1, n2, commonLanguageEffect: effect, rankBiserial: 2 * effect - 1, tieTerm };
  if (n1 < EXACT_BELOW && n2 < EXACT_BELOW && tieTerm === 0) {
    const counts = exactCounts(n1, n2);
    const total = counts.reduce((s, c) => s + c, 0);
    const sf = (u: number) => counts.reduce((s, c, k) => (k >= u ? s + c : s), 0) / total;
    return { ...base, method: 'exact', z: null, pGreater: sf(u1), pLess: sf(u2), pTwoSided: Math.min(1, 2 * sf(Math.max(u1, u2))) };
  }
  const n = n1 + n2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const mu = (n1 * n2) / 2;
  const zOf = (u: number) => (sigma === 0 ? (u - mu - 0.5 > 0 ? Infinity : u - mu - 0.5 < 0 ? -Infinity : NaN) : (u - mu - 0.5) / sigma);
  const p = (u: number) => {
    const z = zOf(u);
    return Number.isNaN(z) ? 1 : normalSf(z);
  };
  const z = zOf(Math.max(u1, u2));
  return {
    ...base,
    method: 'asymptotic',
    z: Number.isFinite(z) ? z : null,
    pGreater: p(u1),
    pLess: p(u2),
    pTwoSided: Math.min(1, 2 * p(Math.max(u1, u2))),
  };
}
