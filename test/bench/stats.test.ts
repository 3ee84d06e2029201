import { describe, expect, it } from 'vitest';
import { binomialTwoSided, hashSeed, mcnemarExact, pairedComparison, quantile, share, type Pair } from './stats';

const pairs = (spec: string): Pair[] =>
  // "10" = a succeeded, b failed; one token per pair.
  spec
    .split(/\s+/)
    .filter(Boolean)
    .map((t) => ({ a: t[0] === '1', b: t[1] === '1' }));

describe('exact binomial / McNemar', () => {
  it.each([
    // Why each: the values R's binom.test(k, n, 0.5)$p.value gives, so the tail sum and the doubling are both checked.
    { k: 0, n: 5, p: 0.0625 }, // smallest tail: 2 × 1/32
    { k: 2, n: 7, p: 58 / 128 }, // the 5-vs-2 discordant pairs (p ≈ 0.45)
    { k: 5, n: 7, p: 58 / 128 }, // symmetric: the upper tail gives the same
    { k: 1, n: 10, p: 22 / 1024 }, // 0.02148438 in R
    { k: 3, n: 6, p: 1 }, // a tie caps at 1 (twice the tail exceeds 1)
    { k: 0, n: 0, p: 1 }, // no discordant pairs: no evidence
    { k: 0, n: 30, p: 2 / 2 ** 30 }, // large n stays finite and exact
  ])('binomialTwoSided($k, $n) = $p', ({ k, n, p }) => {
    expect(binomialTwoSided(k, n)).toBeCloseTo(p, 12);
  });

  it.each([
    // Why: bad counts are programming errors upstream; they must not turn into a p-value.
    { k: -1, n: 3 },
    { k: 4, n: 3 },
    { k: 1.5, n: 3 },
  ])('refuses k=$k, n=$n', ({ k, n }) => {
    expect(() => binomialTwoSided(k, n)).toThrow(RangeError);
  });

  it('counts only the discordant pairs', () => {
    // 5 a-only, 2 b-only, plus concordant pairs that must not change the test.
    const result = mcnemarExact(pairs('10 10 10 10 10 01 01 11 11 11 00 00'));
    expect(result).toMatchObject({ aOnly: 5, bOnly: 2 });
    expect(result.pExact).toBeCloseTo(58 / 128, 12);
  });
});

describe('quantile (nearest rank)', () => {
  it.each([
    // Why: the interval's ends are these two ranks; an off-by-one moves them by a whole resample.
    { q: 0.025, want: 1 },
    { q: 0.5, want: 20 },
    { q: 0.975, want: 39 },
    { q: 1, want: 40 },
    { q: 0, want: 1 },
  ])('q=$q of 1..40 → $want', ({ q, want }) => {
    expect(quantile(Array.from({ length: 40 }, (_, i) => i + 1), q)).toBe(want);
  });
});

describe('paired comparison with a stream bootstrap', () => {
  it('two streams: the interval spans the three possible resamples (0, ½, 1)', () => {
    // Stream 1: a fixed it, b did not (diff 1); stream 2: neither (diff 0). Resampling whole
    // streams gives pooled diffs 1 (p ¼), ½ (p ½), 0 (p ¼): the 95 % ends are 0 and 1.
    const c = pairedComparison([pairs('10'), pairs('00')], { resamples: 4000, seed: 7 });
    expect(c).toMatchObject({ n: 2, streams: 2, aRate: 0.5, bRate: 0, diff: 0.5, ciLow: 0, ciHigh: 1, aOnly: 1, bOnly: 0 });
    expect(c.pExact).toBeCloseTo(1, 12);
  });

  it('pools unequal streams by pairs, not by stream means', () => {
    // 3 a-only pairs in one stream, 1 b-only in the other: pooled diff (3−1)/4 = ½, not the mean of 1 and −1.
    const c = pairedComparison([pairs('10 10 10'), pairs('01')], { resamples: 4000, seed: 3 });
    expect(c.diff).toBe(0.5);
    expect(c.ciLow).toBe(-1); // both resampled streams the b-only one
    expect(c.ciHigh).toBe(1);
  });

  it('identical streams give a zero-width interval at the difference', () => {
    // Why: no between-stream variation, so resampling streams cannot move the pooled difference.
    const s = pairs('10 11 00 10');
    const c = pairedComparison([s, s, s], { resamples: 500 });
    expect([c.diff, c.ciLow, c.ciHigh]).toEqual([0.5, 0.5, 0.5]);
  });

  it('is reproducible for a seed and changes with it', () => {
    const streams = [pairs('10 01 11'), pairs('10 10 00'), pairs('01 00 11 10'), pairs('10')];
    const a = pairedComparison(streams, { resamples: 300, seed: 11 });
    expect(pairedComparison(streams, { resamples: 300, seed: 11 })).toEqual(a);
    const others = [12, 13, 14, 15].map((seed) => pairedComparison(streams, { resamples: 300, seed }));
    expect(others.some((o) => o.ciLow !== a.ciLow || o.ciHigh !== a.ciHigh)).toBe(true);
  });

  it('no pairs at all: rates and interval are NaN, n is 0 (printed n/a, never 0 %)', () => {
    const c = pairedComparison([[], []]);
    expect(c.n).toBe(0);
    expect(c.streams).toBe(0);
    expect([c.diff, c.ciLow, c.ciHigh].every(Number.isNaN)).toBe(true);
    expect(c.pExact).toBe(1);
  });
});

describe('share and seeds', () => {
  it('a share keeps its count', () => {
    expect(share([true, false, true, true])).toEqual({ rate: 0.75, successes: 3, n: 4 });
    expect(Number.isNaN(share([]).rate)).toBe(true);
  });

  it('hashSeed separates neighbouring (stream, incident) pairs', () => {
    // Why: the old bench gave every fault the same decision draws for the same seed; here
    // 20 streams × 60 incidents must give 1 200 distinct seeds, and (1, 23) ≠ (12, 3).
    const seeds = new Set<number>();
    for (let s = 0; s < 20; s++) for (let i = 0; i < 60; i++) seeds.add(hashSeed('decision', s, i));
    expect(seeds.size).toBe(1200);
    expect(hashSeed(1, 23)).not.toBe(hashSeed(12, 3));
    expect(hashSeed('x', 1)).toBe(hashSeed('x', 1));
  });
});
