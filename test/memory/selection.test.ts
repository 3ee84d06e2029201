import { describe, expect, it } from 'vitest';
import { defaultPolicyConfig } from '../../functions/domain/policy-config';
import { describeFor, mulberry32, sampleBeta, sampleGamma, selectStrategy, type SelectionInput } from '../../functions/domain/selection';
import { incident, strategy } from './fixtures';

const inc = incident();
const thompson = (explorationFloor = 0) => ({ ...defaultPolicyConfig().selection, method: 'thompson' as const, explorationFloor });
const input = (overrides: Partial<SelectionInput>): SelectionInput => ({
  incident: inc,
  stored: [],
  seeded: [],
  tried: [],
  lessons: [],
  config: thompson(),
  random: mulberry32(1),
  ...overrides,
});

describe('randomness', () => {
  it('mulberry32 is deterministic per seed, differs across seeds and stays in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.slice(0, 5)).not.toEqual(Array.from({ length: 5 }, () => c()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  // Why: a sampler with the wrong shape (e.g. uniform, or alpha/beta swapped) still "works" but learns wrongly.
  it.each([
    { alpha: 2, beta: 5 },
    { alpha: 10, beta: 2 },
    { alpha: 1, beta: 1 },
    { alpha: 0.5, beta: 0.5 }, // shapes below 1 take the boost path of the Gamma sampler
  ])('Beta($alpha, $beta) samples have the right mean and variance', ({ alpha, beta }) => {
    const random = mulberry32(7);
    const n = 20_000;
    const xs = Array.from({ length: n }, () => sampleBeta(alpha, beta, random));
    const mean = xs.reduce((s, x) => s + x, 0) / n;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
    const expectedMean = alpha / (alpha + beta);
    const expectedVariance = (alpha * beta) / ((alpha + beta) ** 2 * (alpha + beta + 1));
    expect(Math.abs(mean - expectedMean)).toBeLessThan(0.01);
    expect(Math.abs(variance - expectedVariance) / expectedVariance).toBeLessThan(0.08);
    expect(xs.every((x) => x > 0 && x < 1)).toBe(true);
  });

  it('Gamma refuses a non-positive shape', () => {
    expect(() => sampleGamma(0, mulberry32(1))).toThrow(RangeError);
  });
});

describe('selectStrategy', () => {
  const good = strategy({ id: 'good', successes: 9, failures: 1 });
  const bad = strategy({ id: 'bad', action: 'rollout_restart', template: { deployment: '{{target.name}}' }, successes: 1, failures: 9 });

  it('Thompson sampling prefers a 9/1 strategy over a 1/9 one in at least 99 % of 1000 draws', () => {
    // P(Beta(10,2) < Beta(2,10)) is about 1e-4; a uniform or swapped sampler lands near 50 % or 0 %.
    const random = mulberry32(2026);
    let picks = 0;
    for (let i = 0; i < 1000; i += 1) {
      if (selectStrategy(input({ stored: [bad, good], random })).chosen.id === 'good') picks += 1;
    }
    expect(picks).toBeGreaterThanOrEqual(990);
  });

  it('still tries an unknown strategy sometimes: Thompson explores a fresh seed against a 3/2 record', () => {
    // Why: learning needs exploration; a greedy bug would never pick the untried one.
    const fresh = strategy({ id: 'fresh', action: 'rollout_restart', template: {} });
    const known = strategy({ id: 'known', successes: 3, failures: 2 });
    const random = mulberry32(5);
    const picks = Array.from({ length: 1000 }, () => selectStrategy(input({ stored: [known], seeded: [fresh], random })).chosen.id);
    const freshShare = picks.filter((p) => p === 'fresh').length / 1000;
    expect(freshShare).toBeGreaterThan(0.25);
    expect(freshShare).toBeLessThan(0.6);
  });

  it('never chooses a strategy that failed earlier in this incident, whatever its record', () => {
    for (let seed = 0; seed < 300; seed += 1) {
      const result = selectStrategy(input({ stored: [good, bad], tried: [{ strategyId: 'good', outcome: 'failed' }], random: mulberry32(seed) }));
      expect(result.chosen.id).toBe('bad');
    }
    const result = selectStrategy(input({ stored: [good, bad], tried: [{ strategyId: 'good', outcome: 'failed' }] }));
    expect(result.mode).toBe('only-candidate');
    expect(result.candidates.find((c) => c.strategyId === 'good')?.excluded).toMatch(/tried earlier in this incident \(failed\)/);
  });

  it('epsilon-greedy exploits the best mean with probability 1 - epsilon (measured over 5000 draws)', () => {
    // Arrange: the old system's 80/20 split over three strategies.
    const third = strategy({ id: 'third', action: 'restart_pod', template: { pod: '{{pod}}' }, successes: 2, failures: 2 });
    const config = { ...defaultPolicyConfig().selection, method: 'epsilon-greedy' as const, epsilon: 0.2 };
    const random = mulberry32(99);
    const counts: Record<string, number> = { good: 0, bad: 0, third: 0 };
    const modes: Record<string, number> = {};
    // Act
    for (let i = 0; i < 5000; i += 1) {
      const r = selectStrategy(input({ stored: [bad, third, good], config, random }));
      counts[r.chosen.id] = (counts[r.chosen.id] ?? 0) + 1;
      modes[r.mode] = (modes[r.mode] ?? 0) + 1;
    }
    // Assert: ~80 % exploit the best mean, the 20 % exploration split evenly over the other two.
    expect(counts.good! / 5000).toBeCloseTo(0.8, 1);
    expect(Math.abs(counts.good! / 5000 - 0.8)).toBeLessThan(0.02);
    expect(Math.abs(counts.bad! / 5000 - 0.1)).toBeLessThan(0.015);
    expect(Math.abs(counts.third! / 5000 - 0.1)).toBeLessThan(0.015);
    expect(modes.exploit).toBe(counts.good);
  });

  it('the exploration floor picks a non-top candidate with its configured probability', () => {
    const random = mulberry32(11);
    let explored = 0;
    for (let i = 0; i < 4000; i += 1) {
      const r = selectStrategy(input({ stored: [good, bad], config: thompson(0.25), random }));
      if (r.mode === 'explore') explored += 1;
    }
    // 25 % floor plus Thompson's own rare explorations (~0.01 %).
    expect(Math.abs(explored / 4000 - 0.25)).toBeLessThan(0.025);
  });

  it.each([
    { why: 'nothing is known for the signature', stored: [], tried: [] },
    { why: 'everything is retired or already tried', stored: [strategy({ id: 'r', retired: true }), strategy({ id: 't' })], tried: [{ strategyId: 't', outcome: 'failed' }] },
  ])('escalates when $why', ({ stored, tried }) => {
    const r = selectStrategy(input({ stored, tried }));
    expect(r.mode).toBe('escalate');
    expect(r.chosen.action).toBe('escalate');
    expect(r.chosen.signature).toBe(inc.signature);
    expect(r.why).toMatch(/escalating/);
  });

  it('keeps escalation as the fallback: never sampled against a fix, chosen once no fix is left', () => {
    // Why: a coin flip between "roll back" and "hand over" would escalate half the fixable incidents.
    const esc = strategy({ id: 'esc', action: 'escalate', template: { reason: 'r' }, description: 'call the on-call' });
    const fix = strategy({ id: 'fix' });
    for (let seed = 0; seed < 200; seed += 1) {
      expect(selectStrategy(input({ seeded: [esc, fix], random: mulberry32(seed) })).chosen.id).toBe('fix');
    }
    const after = selectStrategy(input({ seeded: [esc, fix], tried: [{ strategyId: 'fix', outcome: 'failed' }] }));
    expect(after).toMatchObject({ chosen: { id: 'esc' }, mode: 'escalate' });
    expect(after.why).toMatch(/call the on-call/);
  });

  it('fills the escalation description\'s placeholders in the why (the operator reads it, not the template)', () => {
    // Why: seeded escalations describe themselves as "{{signature}}: …", which showed up raw in decisions.
    const esc = strategy({ id: 'esc', action: 'escalate', template: { reason: '{{signature}}: r' }, description: '{{signature}}: the registry refuses the pull credentials on {{target.name}} ({{unknown}})' });
    const fix = strategy({ id: 'fix' });
    const r = selectStrategy(input({ seeded: [esc, fix], tried: [{ strategyId: 'fix', outcome: 'failed' }] }));
    expect(r.why).toContain(`escalating: ${inc.signature}: the registry refuses the pull credentials on ${inc.target.name} ({{unknown}})`);
    expect(r.why).not.toContain('{{signature}}');
  });

  it.each([
    { why: 'every known placeholder', text: '{{kind}} {{namespace}}/{{target.kind}}/{{ target.name }} {{signature}}', expected: `${inc.kind} ${inc.namespace}/${inc.target.kind}/${inc.target.name} ${inc.signature}` },
    { why: 'no placeholder: unchanged', text: 'call the on-call', expected: 'call the on-call' },
    { why: 'an unknown placeholder stays as written rather than a guess', text: '{{container}} is broken', expected: '{{container}} is broken' },
  ])('describeFor: $why', ({ text, expected }) => {
    expect(describeFor(text, inc)).toBe(expected);
  });

  it('labels a pick among untried strategies as exploration, a pick of the proven best as exploitation', () => {
    const fresh = [strategy({ id: 'a' }), strategy({ id: 'b', action: 'rollout_restart' })];
    expect(selectStrategy(input({ seeded: fresh })).mode).toBe('explore');
    const proven = selectStrategy(input({ stored: [good, bad], random: mulberry32(4) }));
    expect(proven).toMatchObject({ chosen: { id: 'good' }, mode: 'exploit' });
  });

  it('merges by id: stored statistics win over the seeded copy; the proposal joins as a candidate', () => {
    const seededCopy = strategy({ id: 'good', description: 'seeded text' });
    const proposal = strategy({ id: 'prop', action: 'rollout_restart', source: 'reasoner' });
    const r = selectStrategy(input({ stored: [strategy({ id: 'good', successes: 4 })], seeded: [seededCopy], proposal: { strategy: proposal, rationale: 'x' } }));
    expect(r.candidates.map((c) => [c.strategyId, c.successes, c.source])).toEqual([
      ['good', 4, 'seeded'],
      ['prop', 0, 'reasoner'],
    ]);
    expect(r.candidates.every((c) => c.sample !== undefined)).toBe(true);
  });

  it('excludes what the applicability check rejects, with its reason', () => {
    const r = selectStrategy(input({ stored: [good, bad], applicable: (s) => (s.id === 'good' ? 'no earlier revision' : undefined) }));
    expect(r.chosen.id).toBe('bad');
    expect(r.candidates.find((c) => c.strategyId === 'good')?.excluded).toBe('no earlier revision');
  });

  it('is reproducible from the seed and explains itself with the numbers', () => {
    const a = selectStrategy(input({ stored: [good, bad], random: mulberry32(3), lessons: [{ text: 'x', signature: inc.signature }] }));
    const b = selectStrategy(input({ stored: [good, bad], random: mulberry32(3), lessons: [{ text: 'x', signature: inc.signature }] }));
    expect(a).toEqual(b);
    expect(a.why).toMatch(/Thompson sampling chose rollback_deployment \(seeded, 9\/10 succeeded\) with draw 0\.\d+/);
    expect(a.why).toMatch(/1 lesson considered/);
  });
});
