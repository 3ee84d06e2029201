import { mulberry32 } from '../../functions/domain/selection';

/**
 * The statistics of the stream benchmark, pure and seeded: paired
 * differences between two arms with bootstrap intervals that resample whole
 * streams (incidents of one stream share a memory, so they are not
 * independent; the stream is the unit), and the exact McNemar test on the
 * discordant pairs. Nothing here knows what an incident is: a pair is two
 * booleans (arm a's outcome, arm b's outcome on the same instance).
 */

export interface Pair {
  a: boolean;
  b: boolean;
}

/** log C(n, k), exact enough for n up to a few thousand. */
function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/**
 * Two-sided exact binomial test of k successes in n trials at p = ½: twice
 * the smaller tail, capped at 1 (the usual exact McNemar p-value).
 */
export function binomialTwoSided(k: number, n: number): number {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 0 || n < 0 || k > n) throw new RangeError(`binomialTwoSided needs integers 0 ≤ k ≤ n, got k=${k}, n=${n}`);
  if (n === 0) return 1;
  const m = Math.min(k, n - k);
  let tail = 0;
  for (let i = 0; i <= m; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
  return Math.min(1, 2 * tail);
}

export interface McNemar {
  /** Pairs where only a succeeded. */
  aOnly: number;
  /** Pairs where only b succeeded. */
  bOnly: number;
  pExact: number;
}

/** Exact McNemar: only the discordant pairs carry information about a difference. */
export function mcnemarExact(pairs: readonly Pair[]): McNemar {
  const aOnly = pairs.filter((p) => p.a && !p.b).length;
  const bOnly = pairs.filter((p) => !p.a && p.b).length;
  return { aOnly, bOnly, pExact: binomialTwoSided(aOnly, aOnly + bOnly) };
}

/** Nearest-rank quantile of sorted values (q in [0, 1]). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

export interface PairedComparison extends McNemar {
  /** Paired instances. */
  n: number;
  /** Streams that contribute at least one pair. */
  streams: number;
  aRate: number;
  bRate: number;
  /** aRate − bRate (pooled over all pairs). */
  diff: number;
  /** 95 % percentile bootstrap interval of diff, resampling whole streams. */
  ciLow: number;
  ciHigh: number;
}

export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
  /** Two-sided level; 0.95 by default. */
  level?: number;
}

/**
 * Paired difference in success rate between arm a and arm b. `streams[s]`
 * holds stream s's pairs (possibly none). Each bootstrap resample draws as
 * many streams as there are, with replacement, and pools their pairs.
 */
export function pairedComparison(streams: readonly (readonly Pair[])[], options: BootstrapOptions = {}): PairedComparison {
  const resamples = options.resamples ?? 10_000;
  const level = options.level ?? 0.95;
  const all = streams.flat();
  const n = all.length;
  const aRate = n ? all.filter((p) => p.a).length / n : Number.NaN;
  const bRate = n ? all.filter((p) => p.b).length / n : Number.NaN;
  const mc = mcnemarExact(all);
  const base = { n, streams: streams.filter((s) => s.length > 0).length, aRate, bRate, diff: aRate - bRate, ...mc };
  if (n === 0) return { ...base, ciLow: Number.NaN, ciHigh: Number.NaN };
  // Per stream: pairs, a's successes, b's successes — a resample only adds these up.
  const sums = streams.map((s) => ({ n: s.length, a: s.filter((p) => p.a).length, b: s.filter((p) => p.b).length }));
  const random = mulberry32(options.seed ?? 1);
  const diffs: number[] = [];
  for (let r = 0; r < resamples; r++) {
    let pn = 0;
    let pa = 0;
    let pb = 0;
    for (let i = 0; i < sums.length; i++) {
      const s = sums[Math.floor(random() * sums.length)]!;
      pn += s.n;
      pa += s.a;
      pb += s.b;
    }
    // A resample of only empty streams says nothing about the difference.
    if (pn > 0) diffs.push((pa - pb) / pn);
  }
  diffs.sort((x, y) => x - y);
  const tail = (1 - level) / 2;
  return { ...base, ciLow: quantile(diffs, tail), ciHigh: quantile(diffs, 1 - tail) };
}

/**
 * A share with its count, so every cell of a table says what it is over
 * (`n` = 0 → NaN rate, printed as n/a).
 */
export interface Share {
  rate: number;
  successes: number;
  n: number;
}

export function share(values: readonly boolean[]): Share {
  const successes = values.filter(Boolean).length;
  return { rate: values.length ? successes / values.length : Number.NaN, successes, n: values.length };
}

/** 32-bit hash of the parts (FNV-1a, then murmur3's finaliser): seeds that never collide by arithmetic accident. */
export function hashSeed(...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join('\u0000')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
