import { describe, expect, it } from 'vitest';
import { featuresFor } from '../../functions/domain/features';
import { lessonsForProposal } from '../../functions/domain/lessons';
import type { Lesson, Strategy } from '../../functions/domain/model';
import { defaultPolicyConfig, type PolicyConfig } from '../../functions/domain/policy-config';
import { mulberry32, selectStrategy, type SelectionInput } from '../../functions/domain/selection';
import { contextualPosterior, creditTarget, decayed, stillInPlace, withOutcome } from '../../functions/domain/selection-context';
import { incident, strategy } from './fixtures';

/**
 * Contextual selection, closed loop: selectStrategy picks, the simulated
 * world answers by a rule that depends on the context, withOutcome counts it
 * (exactly what Reflect and the strategy store do), and the next incident
 * sees the counts. No DynamoDB here: the store's arithmetic is withOutcome.
 */
const inc = incident({ kind: 'CrashLoopBackOff' });
const A = strategy({ id: 'rollback', action: 'rollback_deployment', signature: inc.signature });
const B = strategy({ id: 'restart', action: 'rollout_restart', signature: inc.signature });
const config = (method: PolicyConfig['selection']['method'], extra: Partial<PolicyConfig['selection']> = {}) => ({
  ...defaultPolicyConfig().selection,
  method,
  explorationFloor: 0,
  ...extra,
});
const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const at = (i: number, minutesApart = 10) => new Date(T0 + i * minutesApart * 60_000).toISOString();

type World = (features: string[], chosen: Strategy, i: number) => boolean;

/** Runs n incidents; returns the learnt strategies. */
function run(options: { n: number; world: World; contexts: string[][]; method: PolicyConfig['selection']['method']; seed: number; extra?: Partial<PolicyConfig['selection']>; minutesApart?: number }): Strategy[] {
  const random = mulberry32(options.seed);
  let stored: Strategy[] = [A, B];
  for (let i = 0; i < options.n; i += 1) {
    const features = options.contexts[Math.floor(random() * options.contexts.length)] as string[];
    const now = new Date(at(i, options.minutesApart));
    const choice = selectStrategy(base({ stored, features, random, now, config: config(options.method, options.extra) }));
    const success = options.world(features, choice.chosen, i);
    stored = stored.map((s) =>
      s.id === choice.chosen.id
        ? {
            ...s,
            successes: s.successes + (success ? 1 : 0),
            failures: s.failures + (success ? 0 : 1),
            ...withOutcome(s, { success, at: now.toISOString(), features: featuresFor(s.action, features) }, options.extra?.halfLifeDays ?? 30),
          }
        : s,
    );
  }
  return stored;
}

const base = (overrides: Partial<SelectionInput>): SelectionInput => ({
  incident: inc,
  stored: [],
  seeded: [],
  tried: [],
  lessons: [],
  config: config('contextual'),
  random: mulberry32(1),
  ...overrides,
});

/** Share of 400 decisions in a context that pick `id`. */
function share(stored: Strategy[], features: string[], id: string, method: PolicyConfig['selection']['method'], now: Date, extra: Partial<PolicyConfig['selection']> = {}): number {
  const random = mulberry32(77);
  let hits = 0;
  for (let i = 0; i < 400; i += 1) {
    if (selectStrategy(base({ stored, features, random, now, config: config(method, extra) })).chosen.id === id) hits += 1;
  }
  return hits / 400;
}

const ctxA = ['team=payments', 'change=config', 'log=env-missing', 'owner=Deployment'];
const ctxB = ['team=search', 'change=none', 'log=connection-refused', 'owner=Deployment'];
// The hidden cause follows the team: payments' crashes come with its releases (roll back), search's are transient (restart).
const byTeam: World = (f, s) => (f.includes('team=payments') ? s.id === 'rollback' : s.id === 'restart');

describe('contextual selection learns a different remedy per context', () => {
  it.each([
    // Why: the headline — one signature, two contexts, two winners after N incidents.
    { why: 'contextual, 40 incidents', method: 'contextual' as const, n: 40, seeds: [1, 2, 3, 4, 5], minA: 0.85, minB: 0.85 },
  ])('$why: each context prefers its own remedy', ({ method, n, seeds, minA, minB }) => {
    for (const seed of seeds) {
      const learnt = run({ n, world: byTeam, contexts: [ctxA, ctxB], method, seed });
      const now = new Date(at(n));
      expect(share(learnt, ctxA, 'rollback', method, now), `seed ${seed}, context A`).toBeGreaterThanOrEqual(minA);
      expect(share(learnt, ctxB, 'restart', method, now), `seed ${seed}, context B`).toBeGreaterThanOrEqual(minB);
    }
  });

  it('the signature-wide Thompson baseline cannot tell the contexts apart (same preference in both)', () => {
    // Why: proves the contextual test above measures conditioning, not just learning.
    const learnt = run({ n: 40, world: byTeam, contexts: [ctxA, ctxB], method: 'thompson', seed: 1 });
    const now = new Date(at(40));
    expect(Math.abs(share(learnt, ctxA, 'rollback', 'thompson', now) - share(learnt, ctxB, 'rollback', 'thompson', now))).toBeLessThan(0.1);
  });

  it('shuffled outcomes (independent of the context) give no systematic contextual preference', () => {
    // Why: the control arm of the stream bench. Any bandit chases noise in a single run (a lucky 3/3
    // in one context), so the claim is about the average over runs: with the real rule the preference
    // for rollback in A over B is near 1; with outcomes that ignore the context it averages near 0.
    const gap = (world: (seed: number) => World, seeds: number[]) =>
      seeds
        .map((seed) => {
          const learnt = run({ n: 40, world: world(seed), contexts: [ctxA, ctxB], method: 'contextual', seed });
          const now = new Date(at(40));
          return share(learnt, ctxA, 'rollback', 'contextual', now) - share(learnt, ctxB, 'rollback', 'contextual', now);
        })
        .reduce((s, g) => s + g, 0) / seeds.length;
    const seeds = Array.from({ length: 40 }, (_, i) => 500 + i);
    const shuffled = gap((seed) => {
      const coin = mulberry32(seed * 31);
      return () => coin() < 0.5;
    }, seeds);
    const real = gap(() => byTeam, seeds.slice(0, 4));
    expect(Math.abs(shuffled)).toBeLessThan(0.25);
    expect(real).toBeGreaterThan(0.8);
  });

  it('a context never seen moves nothing: the strategy-wide record decides', () => {
    const learnt = run({ n: 40, world: (_, s) => s.id === 'rollback', contexts: [ctxA], method: 'contextual', seed: 3 });
    const unseen = ['team=newcomers', 'change=image', 'log=none'];
    const rollback = learnt.find((s) => s.id === 'rollback')!;
    const post = contextualPosterior(rollback, unseen, { now: new Date(at(40)), halfLifeDays: 30, shrinkage: 2 });
    expect(post.drivers).toEqual([]);
    expect(post.mean).toBeCloseTo((rollback.successes + 1) / (rollback.successes + rollback.failures + 2), 2);
  });

  it('the decision explains itself with the context and the buckets that moved it', () => {
    const learnt = run({ n: 30, world: byTeam, contexts: [ctxA, ctxB], method: 'contextual', seed: 2 });
    const r = selectStrategy(base({ stored: learnt, features: ctxA, random: mulberry32(5), now: new Date(at(30)) }));
    expect(r.why).toMatch(/context team=payments, change=config, log=env-missing/);
    expect(r.why).toMatch(/in this context 0\.\d+ from .*team=payments \d+\/\d+/);
    expect(r.candidates.some((c) => c.context?.some((d) => d.startsWith('team=payments')))).toBe(true);
  });
});

describe('escalating first when memory says no fix works here', () => {
  const esc = strategy({ id: 'esc', action: 'escalate', template: { reason: 'r' }, description: 'call the on-call', signature: inc.signature });
  const record = (s: Strategy, wins: number, losses: number, features: string[]) => {
    let out = s;
    for (let i = 0; i < wins + losses; i += 1) out = { ...out, successes: out.successes + (i < wins ? 1 : 0), failures: out.failures + (i < wins ? 0 : 1), ...withOutcome(out, { success: i < wins, at: at(i), features }, 30) };
    return out;
  };
  it.each([
    // Why: a missing secret in this team: every fix failed every time here; trying them again only delays the hand-over.
    { why: 'all fixes failed repeatedly in this context', a: [0, 8], b: [0, 8], expected: 'escalate' },
    // Why: one fix still works sometimes: try it.
    { why: 'one fix still works', a: [0, 8], b: [3, 5], expected: 'fix' },
    // Why: nothing known yet (fresh strategies at 0.5) is not evidence of futility.
    { why: 'nothing known yet', a: [0, 0], b: [0, 0], expected: 'fix' },
  ])('$why → $expected', ({ a, b, expected }) => {
    const stored = [record(A, a[0]!, a[1]!, ctxA), record(B, b[0]!, b[1]!, ctxA)];
    const r = selectStrategy(base({ stored, seeded: [esc], features: ctxA, now: new Date(at(20)) }));
    expect(r.chosen.action === 'escalate' ? 'escalate' : 'fix').toBe(expected);
    if (expected === 'escalate') expect(r.why).toMatch(/success mean below 0\.15 here .*so escalating first/);
  });
});

describe('proposal-only', () => {
  const proposal = strategy({ id: 'prop', action: 'patch_hpa', source: 'reasoner', signature: inc.signature });
  it.each([
    // Why: the bench's reasoner-only arm must take the proposal whatever the statistics say.
    { why: 'takes the proposal over a better record', tried: [], expected: 'prop' },
    // Why: "falls back as today" when the proposal is out (tried) — Thompson over the rest.
    { why: 'falls back when the proposal was tried', tried: [{ strategyId: 'prop', outcome: 'failed' }], expected: 'rollback' },
  ])('$why', ({ tried, expected }) => {
    const good = { ...A, successes: 20, failures: 0 };
    const bad = { ...B, successes: 0, failures: 20 };
    const r = selectStrategy(base({ stored: [good, bad], proposal: { strategy: proposal, rationale: 'metric says so' }, tried, config: config('proposal-only') }));
    expect(r.chosen.id).toBe(expected);
  });
});

describe('lessons exclude strategies, not whole action names', () => {
  const hpa15 = 'hpa-x1.5';
  const lesson = (over: Partial<Lesson>): Lesson => ({ text: 'patch_hpa did not fix HpaAtMax:at-max', signature: 'HpaAtMax:at-max', action: 'patch_hpa', outcome: 'failure', ...over });
  it.each([
    // Why: a failed seeded ×1.5 must not keep the reasoner from proposing its metric-sized patch_hpa.
    { why: 'failure of a seeded strategy: action tag dropped', l: lesson({ strategyId: hpa15 }), keepsAction: false },
    // Why: the reasoner's own arm failed: its action stays ruled out for it.
    { why: 'failure of the reasoner\'s own strategy: kept', l: lesson({ strategyId: 'reasoner-hpa' }), keepsAction: true },
    // Why: lessons stored before they named a strategy cannot be narrowed; unchanged (old behaviour).
    { why: 'no strategy id (older lesson): kept', l: lesson({}), keepsAction: true },
    // Why: successes are not exclusions.
    { why: 'a success: kept', l: lesson({ strategyId: hpa15, outcome: 'success' }), keepsAction: true },
  ])('$why', ({ l, keepsAction }) => {
    const [out] = lessonsForProposal([l], new Set([hpa15]));
    expect(out?.action !== undefined).toBe(keepsAction);
    expect(out?.text).toContain('patch_hpa');
  });
});

describe('credit assignment with earlier changes in place', () => {
  const x2 = strategy({ id: 'x2', action: 'patch_hpa', template: { hpa: '{{hpa}}', max_replicas_factor: 2 }, signature: 'HpaAtMax:at-max' });
  const x15 = strategy({ id: 'x15', action: 'patch_hpa', template: { hpa: '{{hpa}}', max_replicas_factor: 1.5 }, signature: 'HpaAtMax:at-max' });

  it.each([
    // Why: ×2 then ×1.5 succeeding is the combination's success, not ×1.5's clean one.
    { why: 'with ×2 in place, ×1.5 is credited as "×1.5 after ×2"', inPlace: [x2.id], combo: true },
    // Why: a trial acting alone is credited to itself, as before.
    { why: 'nothing in place: the strategy itself', inPlace: [], combo: false },
    // Why: a strategy is not "after" itself.
    { why: 'only itself in place: the strategy itself', inPlace: ['x15'], combo: false },
  ])('$why', ({ inPlace, combo }) => {
    const target = creditTarget(x15, inPlace);
    expect(target.id !== x15.id).toBe(combo);
    if (combo) expect(target.template.after).toEqual(inPlace);
    expect(target.action).toBe('patch_hpa');
  });

  it.each([
    // Why: a rollback restores a whole earlier template: the raised limit it replaced is gone, the rollback's outcome is its own.
    { why: 'rollback after a memory raise: its own', action: 'rollback_deployment', earlier: [{ strategyId: 'mem', action: 'patch_resources' }], expected: [] },
    // Why: the HPA's maximum is outside the template; a rollback leaves it in place.
    { why: 'rollback after an HPA raise: combination', action: 'rollback_deployment', earlier: [{ strategyId: 'hpa', action: 'patch_hpa' }], expected: ['hpa'] },
    // Why: a memory raise on top of a rollback builds on it.
    { why: 'memory raise after a rollback: combination', action: 'patch_resources', earlier: [{ strategyId: 'rb', action: 'rollback_deployment' }], expected: ['rb'] },
  ])('stillInPlace: $why', ({ action, earlier, expected }) => {
    expect(stillInPlace(action, earlier)).toEqual(expected);
  });

  it('a later trial is judged by the combination\'s record, and combinations are never candidates of their own', () => {
    const combo = { ...creditTarget(x15, [x2.id]), successes: 0, failures: 6 };
    const plainGood = { ...x15, successes: 6, failures: 0 };
    const other = strategy({ id: 'esc-free', action: 'rollout_restart', signature: 'HpaAtMax:at-max', successes: 3, failures: 3 });
    const r = selectStrategy(base({ stored: [plainGood, other, combo], tried: [{ strategyId: x2.id, outcome: 'failed' }], inPlace: [{ strategyId: x2.id, action: 'patch_hpa' }], random: mulberry32(9) }));
    expect(r.candidates.map((c) => c.strategyId)).not.toContain(combo.id);
    const c15 = r.candidates.find((c) => c.strategyId === 'x15')!;
    // The plain ×1.5 is 6/6 alone, but on top of ×2 it is 0/6: the combination's record is what counts here.
    expect([c15.successes, c15.failures]).toEqual([0, 6]);
    expect(r.why).toMatch(/1 earlier change still in place/);
  });
});

describe('decay and reset', () => {
  it.each([
    { why: 'one half-life halves the counts', days: 30, half: 30, factor: 0.5 },
    { why: 'two half-lives quarter them', days: 60, half: 30, factor: 0.25 },
    { why: 'no time, no decay', days: 0, half: 30, factor: 1 },
  ])('$why', ({ days, half, factor }) => {
    const d = decayed({ s: 8, f: 4, at: at(0) }, new Date(T0 + days * 86_400_000), half);
    expect(d.s).toBeCloseTo(8 * factor, 6);
    expect(d.f).toBeCloseTo(4 * factor, 6);
  });

  it('a mid-stream shift in the cause mix is re-learned faster with a short half-life', () => {
    // Why: the stream bench's shift; with evidence that never fades, 30 old successes outweigh the new failures.
    const shifted: World = (_, s, i) => (i < 30 ? s.id === 'rollback' : s.id === 'restart');
    const lateShare = (halfLifeDays: number) => {
      const out: number[] = [];
      for (const seed of [1, 2, 3, 4]) {
        const learnt = run({ n: 45, world: shifted, contexts: [ctxA], method: 'contextual', seed, extra: { halfLifeDays }, minutesApart: 60 });
        out.push(share(learnt, ctxA, 'restart', 'contextual', new Date(at(45, 60)), { halfLifeDays }));
      }
      return out.reduce((s, x) => s + x, 0) / out.length;
    };
    const fast = lateShare(0.25);
    const slow = lateShare(3650);
    expect(fast).toBeGreaterThan(0.8);
    expect(fast).toBeGreaterThan(slow + 0.2);
  });

  it('a workload whose spec changed starts its own record afresh; the signature-wide record stays', () => {
    // Why: "×2 memory failed at 256Mi on web" says little once web's limit is 512Mi: the wl.resources bucket is keyed by a spec digest.
    const mem = strategy({ id: 'mem', action: 'patch_resources', signature: inc.signature });
    const elsewhere = ['team=a', 'wl.resources=api@dddddddddd'];
    const before = ['team=a', 'wl.resources=web@aaaaaaaaaa', 'wl.image=web@cccccccccc'];
    const after = ['team=a', 'wl.resources=web@bbbbbbbbbb', 'wl.image=web@cccccccccc'];
    let s: Strategy = mem;
    for (let i = 0; i < 6; i += 1) s = { ...s, ...withOutcome(s, { success: true, at: at(i), features: featuresFor('patch_resources', elsewhere) }, 30) };
    for (let i = 6; i < 10; i += 1) s = { ...s, ...withOutcome(s, { success: false, at: at(i), features: featuresFor('patch_resources', before) }, 30) };
    // patch_resources reads resources, not the image: only its own wl.* feature is kept.
    expect(Object.keys(s.buckets ?? {}).sort()).toEqual(['team=a', 'wl.resources=api@dddddddddd', 'wl.resources=web@aaaaaaaaaa']);
    const opts = { now: new Date(at(10)), halfLifeDays: 30, shrinkage: 2 };
    const old = contextualPosterior(s, featuresFor('patch_resources', before), opts);
    const fresh = contextualPosterior(s, featuresFor('patch_resources', after), opts);
    expect(old.drivers.some((d) => d.startsWith('wl.resources=web@aaaaaaaaaa 0/4'))).toBe(true);
    expect(fresh.drivers).toEqual([]);
    expect(fresh.mean).toBeGreaterThan(old.mean + 0.2);
  });

  it('keeps at most 64 buckets per strategy, dropping the one with the least evidence', () => {
    let s: Strategy = strategy({ id: 'many' });
    s = { ...s, ...withOutcome(s, { success: true, at: at(0), features: ['team=keep'] }, 30) };
    s = { ...s, ...withOutcome(s, { success: true, at: at(1), features: ['team=keep'] }, 30) };
    for (let i = 0; i < 80; i += 1) s = { ...s, ...withOutcome(s, { success: true, at: at(2 + i), features: [`ns=n${i}`] }, 30) };
    expect(Object.keys(s.buckets ?? {}).length).toBe(64);
    expect(s.buckets?.['team=keep']).toBeDefined();
  });
});
