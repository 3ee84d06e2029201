/**
 * Equal-tailed credible intervals of a Beta posterior: with a uniform prior,
 * s successes and f failures give Beta(s+1, f+1). Used wherever a rate is
 * shown to a person (approval digests, the trust report), so nobody reads
 * "1 of 1" as "100 %". Pure numerics, no dependency.
 */

export interface RateEstimate {
  successes: number;
  failures: number;
  n: number;
  /** Posterior mean (s+1)/(n+2). */
  mean: number;
  /** Equal-tailed credible interval at `level`. */
  low: number;
  high: number;
  level: number;
}

/** Posterior estimate of a success rate from counts (uniform prior unless alpha/beta are given). */
export function rateEstimate(successes: number, failures: number, options: { level?: number; alpha?: number; beta?: number } = {}): RateEstimate {
  if (!Number.isFinite(successes) || !Number.isFinite(failures) || successes < 0 || failures < 0) {
    throw new RangeError(`rateEstimate: counts must be finite and >= 0 (got ${successes}, ${failures})`);
  }
  const level = options.level ?? 0.95;
  const a = options.alpha ?? successes + 1;
  const b = options.beta ?? failures + 1;
  const tail = (1 - level) / 2;
  return {
    successes,
    failures,
    n: successes + failures,
    mean: a / (a + b),
    low: betaQuantile(tail, a, b),
    high: betaQuantile(1 - tail, a, b),
    level,
  };
}

/** The p-quantile of Beta(a, b), by bisection on the regularized incomplete beta function. */
export function betaQuantile(p: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new RangeError(`betaQuantile: a and b must be > 0 (got ${a}, ${b})`);
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (regularizedBeta(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** I_x(a, b), the Beta(a, b) cumulative distribution at x (continued fraction, modified Lentz). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - logBeta(a, b));
  // The fraction converges fast for x below the mean; use the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) above it.
  if (x > (a + 1) / (a + b + 2)) return 1 - regularizedBeta(1 - x, b, a);
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let f = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    f *= d * c;
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-12) break;
  }
  return (front * f) / a;
}

function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for positive arguments. */
function logGamma(z: number): number {
  const g = 7;
  const coefficients = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (z < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * z))) - logGamma(1 - z);
  const x = z - 1;
  let sum = coefficients[0]!;
  for (let i = 1; i < g + 2; i++) sum += coefficients[i]! / (x + i);
  const t = x + g + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(sum);
}
