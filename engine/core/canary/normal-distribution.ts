/**
 * The standard normal distribution's tails, accurate to about 1e-15 relative error far
 * into the tail (a p-value of 1e-30 is still a p-value of 1e-30, not 0 from cancellation).
 *
 * erfc(x) = Q(½, x²) for x ≥ 0, the regularised upper incomplete gamma function, which is
 * evaluated by its power series below x² < 1.5 and by its continued fraction above it
 * (modified Lentz's method) — W. H. Press et al., "Numerical Recipes", 3rd ed., §6.2
 * (gser / gcf), with Γ(½) = √π exactly. Then
 *     Φ̄(z) = P(Z > z) = ½ · erfc(z / √2).
 */

/** Relative precision the series and the continued fraction iterate to. */
const EPS = 1e-16;
/** Near the smallest normal double: keeps Lentz's method away from division by zero. */
const FPMIN = 1e-300;
const MAX_ITERATIONS = 10_000;
/** ln Γ(½) = ln √π. */
const LN_SQRT_PI = 0.5723649429247001;

/** Q(½, x) for x ≥ 0: the regularised upper incomplete gamma function at a = ½. */
function gammaQHalf(x: number): number {
  const a = 0.5;
  if (x === 0) return 1;
  const prefactor = Math.exp(-x + a * Math.log(x) - LN_SQRT_PI);
  if (x < a + 1) {
    // series for P(a, x); Q = 1 − P (P is not close to 1 here, so nothing cancels badly)
    let term = 1 / a;
    let sum = term;
    let ap = a;
    for (let i = 0; i < MAX_ITERATIONS; i++) {
      ap += 1;
      term *= x / ap;
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * EPS) break;
    }
    return 1 - sum * prefactor;
  }
  // continued fraction for Q(a, x), modified Lentz
  let b = x + 1 - a;
  let c = 1 / FPMIN;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = b + an / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return prefactor * h;
}

/** The complementary error function erfc(x) = 1 − erf(x). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  return x >= 0 ? gammaQHalf(x * x) : 2 - gammaQHalf(x * x);
}

/** P(Z > z) for a standard normal Z: the upper tail (survival function). */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** P(Z ≤ z) for a standard normal Z. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** z of a two-sided 95 % normal interval (Φ⁻¹(0.975)). */
export const Z_975 = 1.959963984540054;
