import type { Incident } from './incident';
import { featuresFor } from './features';
import type { Candidate, Lesson, Strategy } from './model';
import type { PolicyConfig } from './policy-config';
import { contextualPosterior, creditTarget, isCombination, sampleContextual, stillInPlace, type ContextualPosterior } from './selection-context';
import { makeStrategy } from './strategy-template';

/**
 * A strategy's description for this incident: the placeholders seeded
 * descriptions share with their templates (`{{signature}}` in an escalation's
 * reason) filled in, so the decision's why reads as the operator will see it.
 * One the incident cannot answer stays as written, never a guess.
 */
export function describeFor(description: string, incident: Incident): string {
  const values: Record<string, string> = {
    signature: incident.signature,
    kind: incident.kind,
    namespace: incident.namespace,
    'target.name': incident.target.name,
    'target.kind': incident.target.kind,
  };
  return description.replace(/\{\{\s*([a-zA-Z.]+)\s*\}\}/g, (whole, name: string) => values[name] ?? whole);
}

/**
 * Strategy selection (pure): which strategy the next trial uses. Thompson
 * sampling on each candidate's posterior balances using what worked with
 * trying what is not known yet; with `method: 'contextual'` (the default) the
 * posterior is conditioned on the incident's features (see
 * selection-context.ts for the model and why), with `thompson` it is the
 * signature-wide Beta(s+1, f+1). An exploration floor keeps a small chance
 * for the others; the fixed epsilon-greedy split of the system this one
 * replaces, and `proposal-only` (the reasoner's proposal whenever it applies:
 * the bench's reasoner-only arm) are configuration. The reasoner's proposal is
 * one candidate among the others, with its own record: neither privileged nor
 * handicapped. A strategy already tried in this incident is never chosen
 * again. All randomness comes from the injected `random`.
 */

export interface SelectionInput {
  incident: Incident;
  /** Strategies memory knows for the signature (with statistics). */
  stored: Strategy[];
  /** Seeded defaults for the signature. */
  seeded: Strategy[];
  /** The reasoner's proposal, turned into a strategy. */
  proposal?: { strategy: Strategy; rationale: string };
  /** Strategies tried earlier in this incident and how each went. */
  tried: { strategyId: string; outcome: string }[];
  lessons: Lesson[];
  config: PolicyConfig['selection'];
  /** Uniform in [0, 1). */
  random: () => number;
  /** The incident's features (domain/features); used by `method: 'contextual'`. */
  features?: readonly string[];
  /** Earlier trials whose changes are still in place: their combinations' records apply (see stillInPlace). */
  inPlace?: readonly { strategyId: string; action: string }[];
  /** Decay reference (the clock's now); default: the incident's detection time. */
  now?: Date;
  /**
   * Optional applicability check (e.g. "the template can be instantiated for
   * this workload"): returns why a strategy does not apply, or undefined.
   */
  applicable?: (strategy: Strategy) => string | undefined;
}

export type SelectionMode = 'exploit' | 'explore' | 'only-candidate' | 'escalate';

export interface Selection {
  chosen: Strategy;
  mode: SelectionMode;
  candidates: Candidate[];
  why: string;
}

// ---------------------------------------------------------------- randomness

/** Small, fast, seedable PRNG (uniform in [0, 1)); the same seed gives the same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform in (0, 1): logs and divisions below must never see 0. */
function open01(random: () => number): number {
  for (let i = 0; i < 64; i += 1) {
    const u = random();
    if (u > 0 && u < 1) return u;
  }
  throw new RangeError('random() keeps returning values outside (0, 1)');
}

/** Standard normal by Box–Muller. */
function normal(random: () => number): number {
  const u1 = open01(random);
  const u2 = open01(random);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Gamma(shape, 1) by Marsaglia–Tsang; shapes below 1 via the U^(1/shape) boost. */
export function sampleGamma(shape: number, random: () => number): number {
  if (!(shape > 0) || !Number.isFinite(shape)) throw new RangeError(`gamma shape must be positive, got ${shape}`);
  if (shape < 1) return sampleGamma(shape + 1, random) * Math.pow(open01(random), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = open01(random);
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(alpha, beta) as X / (X + Y) with X ~ Gamma(alpha), Y ~ Gamma(beta). */
export function sampleBeta(alpha: number, beta: number, random: () => number): number {
  const x = sampleGamma(alpha, random);
  const y = sampleGamma(beta, random);
  return x / (x + y);
}

// ---------------------------------------------------------------- selection

const MAX_CANDIDATES = 50;
const round = (x: number) => Math.round(x * 1000) / 1000;
const stats = (s: Strategy) => `${s.successes}/${s.successes + s.failures}`;

/** Stored first (statistics win over seeded copies of the same id), then seeded, then the proposal. */
function merge(input: SelectionInput): Strategy[] {
  const byId = new Map<string, Strategy>();
  for (const s of input.stored) if (!byId.has(s.id) && !isCombination(s)) byId.set(s.id, s);
  for (const s of input.seeded) {
    const known = byId.get(s.id);
    if (!known) byId.set(s.id, s);
    else if (!known.description && s.description) byId.set(s.id, { ...known, description: s.description });
  }
  const p = input.proposal?.strategy;
  if (p && !byId.has(p.id)) byId.set(p.id, p);
  return [...byId.values()];
}

function escalation(input: SelectionInput, candidates: Candidate[]): Selection {
  const excluded = candidates.filter((c) => c.excluded);
  const chosen = makeStrategy({
    signature: input.incident.signature,
    action: 'escalate',
    template: { namespace: '{{namespace}}', reason: '{{signature}}: no untried strategy is left for this incident' },
    description: 'escalate to an operator: every known strategy was tried or does not apply',
  });
  return {
    chosen,
    mode: 'escalate',
    candidates,
    why:
      candidates.length === 0
        ? `No strategy is known for ${input.incident.signature}, so escalating.`
        : `All ${candidates.length} strategies for ${input.incident.signature} are out (${excluded
            .map((c) => `${c.action}: ${c.excluded}`)
            .slice(0, 4)
            .join('; ')}), so escalating.`,
  };
}

/**
 * The record a candidate is judged by in this incident: with earlier changes
 * still in place, the combination's record when it has one (credit
 * assignment, selection-context), else the strategy's own.
 */
function recordFor(s: Strategy, input: SelectionInput, storedById: Map<string, Strategy>): Strategy {
  const inPlace = stillInPlace(s.action, input.inPlace ?? []);
  if (inPlace.length === 0) return s;
  const combo = storedById.get(creditTarget(s, inPlace).id);
  return combo && combo.successes + combo.failures > 0 ? { ...s, successes: combo.successes, failures: combo.failures, evidence: combo.evidence, buckets: combo.buckets } : s;
}

export function selectStrategy(input: SelectionInput): Selection {
  const { config, random } = input;
  const tried = new Map(input.tried.map((t) => [t.strategyId, t.outcome]));
  const storedById = new Map(input.stored.map((s) => [s.id, s]));
  const all = merge(input).map((s) => recordFor(s, input, storedById));
  const contextual = config.method === 'contextual';
  const options = { now: input.now ?? new Date(input.incident.detectedAt), halfLifeDays: config.halfLifeDays, shrinkage: config.shrinkage };
  const posteriors = new Map<string, ContextualPosterior>();
  const candidates: Candidate[] = [];
  const eligible: Strategy[] = [];
  for (const s of all) {
    const post = contextualPosterior(s, contextual ? featuresFor(s.action, input.features ?? []) : [], options);
    posteriors.set(s.id, post);
    let excluded: string | undefined;
    if (s.retired) excluded = 'retired';
    else if (tried.has(s.id)) excluded = `tried earlier in this incident (${tried.get(s.id)})`;
    else excluded = input.applicable?.(s);
    candidates.push({
      strategyId: s.id,
      action: s.action,
      source: s.source,
      successes: s.successes,
      failures: s.failures,
      alpha: round(post.alpha),
      beta: round(post.beta),
      mean: round(post.mean),
      ...(post.drivers.length > 0 ? { context: post.drivers } : {}),
      ...(excluded ? { excluded: excluded.slice(0, 300) } : {}),
    });
    if (!excluded) eligible.push(s);
  }
  const meanOf = (s: Strategy) => (posteriors.get(s.id) as ContextualPosterior).mean;
  const lessonsNote = input.lessons.length > 0 ? `; ${input.lessons.length} lesson${input.lessons.length === 1 ? '' : 's'} considered` : '';
  const excludedCount = candidates.length - eligible.length;
  const excludedNote = excludedCount > 0 ? `; ${excludedCount} excluded` : '';
  const shown = contextual ? (input.features ?? []).filter((f) => !f.startsWith('wl.')) : [];
  const contextNote = shown.length > 0 ? `; context ${shown.join(', ')}` : '';
  const inPlaceNote = input.inPlace && input.inPlace.length > 0 ? `; ${input.inPlace.length} earlier change${input.inPlace.length === 1 ? '' : 's'} still in place (combination records)` : '';
  const notes = `${excludedNote}${inPlaceNote}${lessonsNote}${contextNote}`;
  const capped = (list: Candidate[]) => list.slice(0, MAX_CANDIDATES);
  const finish = (selection: Selection): Selection => ({ ...selection, why: selection.why.slice(0, 2000) });

  // Escalation is the fallback, not a rival: an SRE hands over only when no fix is left to try.
  const fallback = eligible.find((s) => s.action === 'escalate');
  const actionable = eligible.filter((s) => s.action !== 'escalate');
  if (actionable.length === 0) {
    if (fallback) {
      return finish({
        chosen: fallback,
        mode: 'escalate',
        candidates: capped(candidates),
        why: `No fix from the catalogue is left for ${input.incident.signature}${excludedNote}, so escalating: ${describeFor(fallback.description, input.incident) || 'hand over to an operator'}${lessonsNote}.`,
      });
    }
    const result = escalation(input, capped(candidates));
    return { ...result, why: result.why.replace(/\.$/, `${lessonsNote}.`) };
  }
  // Memory can say that nothing left works in this context: then handing over first saves wrong actions.
  if (config.method !== 'proposal-only' && actionable.every((s) => meanOf(s) < config.escalateBelow)) {
    const means = actionable.map((s) => `${s.action} ${round(meanOf(s))}`).slice(0, 4).join(', ');
    const why = `Every fix left for ${input.incident.signature} has a success mean below ${config.escalateBelow} here (${means}), so escalating first${notes}.`;
    if (fallback) return finish({ chosen: fallback, mode: 'escalate', candidates: capped(candidates), why });
    return finish({ ...escalation(input, capped(candidates)), why });
  }
  const fallbackNote = fallback ? '; escalation kept as the fallback' : '';
  const describe = (s: Strategy) => {
    const p = posteriors.get(s.id) as ContextualPosterior;
    const drivers = contextual && p.drivers.length > 0 ? `; in this context ${round(p.mean)} from ${p.drivers.join(', ')}` : '';
    return `${s.action} (${s.source}, ${stats(s)} succeeded${drivers})`;
  };

  if (actionable.length === 1) {
    const only = actionable[0] as Strategy;
    return finish({
      chosen: only,
      mode: 'only-candidate',
      candidates: capped(candidates),
      why: `Only ${describe(only)} is left for ${input.incident.signature}${fallbackNote}${notes}.`,
    });
  }

  if (config.method === 'proposal-only') {
    const proposed = input.proposal ? actionable.find((s) => s.id === input.proposal?.strategy.id) : undefined;
    if (proposed) {
      return finish({
        chosen: proposed,
        mode: 'exploit',
        candidates: capped(candidates),
        why: `Proposal-only selection took the reasoner's proposal ${describe(proposed)}: ${input.proposal?.rationale ?? ''}${fallbackNote}${notes}.`,
      });
    }
  }

  // The best by posterior mean (ties: more evidence, then the earlier = preferred order).
  const bestByMean = actionable.reduce((best, s) => {
    const d = meanOf(s) - meanOf(best);
    if (d > 1e-12) return s;
    if (d < -1e-12) return best;
    return s.successes + s.failures > best.successes + best.failures ? s : best;
  });

  if (config.method === 'epsilon-greedy') {
    const explore = random() < config.epsilon;
    const others = actionable.filter((s) => s !== bestByMean);
    const chosen = explore ? (others[Math.floor(random() * others.length)] ?? bestByMean) : bestByMean;
    return finish({
      chosen,
      mode: explore ? 'explore' : 'exploit',
      candidates: capped(candidates),
      why: explore
        ? `Epsilon-greedy explored ${describe(chosen)} (probability ${config.epsilon}) instead of the best mean ${round(meanOf(bestByMean))} of ${describe(bestByMean)}${fallbackNote}${notes}.`
        : `Epsilon-greedy exploited ${describe(chosen)}, best posterior mean ${round(meanOf(chosen))} among ${actionable.length}${fallbackNote}${notes}.`,
    });
  }

  // Thompson sampling: one posterior draw per actionable strategy, highest draw wins.
  const samples = new Map<Strategy, number>();
  for (const s of actionable) {
    const p = posteriors.get(s.id) as ContextualPosterior;
    samples.set(s, sampleContextual(p, (a, b) => sampleBeta(a, b, random)));
  }
  for (const c of candidates) {
    const s = actionable.find((e) => e.id === c.strategyId);
    if (s) c.sample = round(samples.get(s) as number);
  }
  const bySample = actionable.reduce((best, s) => ((samples.get(s) as number) > (samples.get(best) as number) ? s : best));
  const floor = random() < config.explorationFloor;
  if (floor) {
    const others = actionable.filter((s) => s !== bySample);
    const chosen = others[Math.floor(random() * others.length)] ?? bySample;
    return finish({
      chosen,
      mode: 'explore',
      candidates: capped(candidates),
      why: `Exploration floor (${config.explorationFloor}) picked ${describe(chosen)} at random instead of the top Thompson draw ${round(samples.get(bySample) as number)} of ${describe(bySample)}${fallbackNote}${notes}.`,
    });
  }
  const runnerUp = actionable.filter((s) => s !== bySample).reduce((b, s) => ((samples.get(s) as number) > (samples.get(b) as number) ? s : b));
  // Exploiting means using what evidence favours; a pick among the untried is exploration.
  const hasEvidence = bySample.successes + bySample.failures > 0;
  const mode: SelectionMode = hasEvidence && meanOf(bySample) >= meanOf(bestByMean) - 1e-12 ? 'exploit' : 'explore';
  const label = contextual ? 'Contextual Thompson sampling' : 'Thompson sampling';
  return finish({
    chosen: bySample,
    mode,
    candidates: capped(candidates),
    why: `${label} chose ${describe(bySample)} with draw ${round(samples.get(bySample) as number)} (posterior mean ${round(meanOf(bySample))}) over ${describe(runnerUp)} with ${round(samples.get(runnerUp) as number)}${mode === 'explore' ? ', exploring a less proven strategy' : ''}${fallbackNote}${notes}.`,
  });
}
