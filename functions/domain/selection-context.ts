import { z } from 'zod';
import { StrategySchema, type Evidence, type Strategy } from './model';
import { makeStrategy } from './strategy-template';

/**
 * Outcome statistics conditioned on incident features (pure).
 *
 * Model: a hierarchical Beta-Bernoulli per strategy, combined across
 * features the naive-Bayes way, sampled à la Thompson.
 * - The strategy's own (signature-wide) record is the prior:
 *   p0 = (s + 1) / (s + f + 2).
 * - Each feature value the strategy has evidence under (`team=payments`,
 *   `change=config`, …) is a bucket shrunk towards p0 with `shrinkage`
 *   pseudo-observations: q = (m·p0 + s_k) / (m + n_k), compared with what
 *   the same shrinkage gives a bucket that follows the overall rate r = s/n:
 *   e = (m·p0 + n_k·r) / (m + n_k).
 * - The context moves the prior's log-odds by the sum of the buckets'
 *   log-odds ratios (logit q − logit e) — naive Bayes' update, so two
 *   correlates add up, a value never seen adds nothing, and a value that
 *   succeeds at the overall rate (e.g. one every incident shares) moves
 *   nothing.
 * - Thompson draws the overall rate from Beta(s+1, f+1) and each bucket's
 *   rate from its shrunk Beta, and combines the draws as the mean is
 *   combined (sampleContextual): a context seen once stays as uncertain as
 *   one observation makes it; with no features this IS plain Thompson.
 * Why this and not a logistic model or case retrieval: counts per bucket are
 * what DynamoDB can keep per strategy in one bounded item, each decision
 * reads one partition, every number in the `why` is a count an operator can
 * check, and shrinkage keeps a bucket of one or two incidents from flipping
 * a decision. Its known limit: correlated features (a namespace and its
 * team) are counted twice, which makes it over-confident where they agree.
 *
 * Decay: every count is stored with the time it was last updated and
 * multiplied by 0.5^(age / half-life) when read or updated, so old evidence
 * fades and a shift in the cause mix can be re-learned.
 */

export interface ContextOptions {
  now: Date;
  halfLifeDays: number;
  shrinkage: number;
}

export const MAX_BUCKETS = 64;

/** One outcome for a strategy store (every store validates it with this before counting). */
export const StrategyOutcomeSchema = z
  .object({
    strategy: StrategySchema,
    success: z.boolean(),
    features: z.array(z.string().min(1).max(200)).max(40).optional(),
    halfLifeDays: z.number().min(0.0001).max(3650).optional(),
    timeToRecoverSeconds: z.number().nonnegative().finite().max(31_536_000).optional(),
    at: z.iso.datetime(),
    outcomeId: z.string().min(1).max(400),
  })
  .strict();
const DAY_MS = 86_400_000;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const logit = (p: number) => Math.log(p / (1 - p));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Counts as of `now`: each halves every `halfLifeDays` since `at`. */
export function decayed(e: Evidence | undefined, now: Date, halfLifeDays: number): { s: number; f: number } {
  if (!e) return { s: 0, f: 0 };
  const at = Date.parse(e.at);
  const age = Number.isFinite(at) ? Math.max(0, now.getTime() - at) / DAY_MS : 0;
  const k = halfLifeDays > 0 ? Math.pow(0.5, age / halfLifeDays) : 1;
  return { s: e.s * k, f: e.f * k };
}

/**
 * The strategy's signature-wide evidence. Records written before decay
 * existed count their raw totals from their last use (undecayed when that is
 * unknown: an empty `at` reads as age 0).
 */
export function overall(strategy: Strategy): Evidence {
  return strategy.evidence ?? { s: strategy.successes, f: strategy.failures, at: strategy.lastUsedAt ?? '' };
}

/**
 * The statistics after one more outcome: overall and every feature bucket
 * decayed to `at` and counted; at most MAX_BUCKETS buckets, the one with the
 * least remaining evidence dropped first.
 */
export function withOutcome(
  strategy: Pick<Strategy, 'evidence' | 'buckets' | 'successes' | 'failures' | 'lastUsedAt'>,
  outcome: { success: boolean; at: string; features: readonly string[] },
  halfLifeDays: number,
  maxBuckets = MAX_BUCKETS,
): { evidence: Evidence; buckets: Record<string, Evidence> } {
  return withChange(strategy, outcome.at, outcome.features, halfLifeDays, maxBuckets, (d) => ({ s: d.s + (outcome.success ? 1 : 0), f: d.f + (outcome.success ? 0 : 1) }));
}

/** One revision: a success counted at `countedAt` turned out to be a failure (the fault recurred), learned at `at`. */
export const StrategyRevisionSchema = z
  .object({
    strategy: StrategySchema,
    features: z.array(z.string().min(1).max(200)).max(40).optional(),
    halfLifeDays: z.number().min(0.0001).max(3650).optional(),
    countedAt: z.iso.datetime(),
    at: z.iso.datetime(),
    /** The outcomeId the success was counted under (the episodeId); a retried revision is not counted twice. */
    outcomeId: z.string().min(1).max(400),
  })
  .strict();

/**
 * Recurrence counts as failure: the statistics after a success counted at
 * `countedAt` is taken back and counted as a failure at `at`, overall and in
 * every bucket it was counted in. The success taken back is what is left of
 * it after decay (0.5^(age / half-life)), never more than the evidence holds.
 */
export function withRevision(
  strategy: Pick<Strategy, 'evidence' | 'buckets' | 'successes' | 'failures' | 'lastUsedAt'>,
  revision: { countedAt: string; at: string; features: readonly string[] },
  halfLifeDays: number,
  maxBuckets = MAX_BUCKETS,
): { evidence: Evidence; buckets: Record<string, Evidence> } {
  const age = Math.max(0, Date.parse(revision.at) - Date.parse(revision.countedAt)) / DAY_MS;
  const left = halfLifeDays > 0 ? Math.pow(0.5, age / halfLifeDays) : 1;
  return withChange(strategy, revision.at, revision.features, halfLifeDays, maxBuckets, (d) => ({ s: Math.max(0, d.s - left), f: d.f + 1 }));
}

/** Overall and each named bucket decayed to `at` and changed by `change`; buckets trimmed to `maxBuckets`. */
function withChange(
  strategy: Pick<Strategy, 'evidence' | 'buckets' | 'successes' | 'failures' | 'lastUsedAt'>,
  at: string,
  features: readonly string[],
  halfLifeDays: number,
  maxBuckets: number,
  change: (d: { s: number; f: number }) => { s: number; f: number },
): { evidence: Evidence; buckets: Record<string, Evidence> } {
  const now = new Date(at);
  const add = (e: Evidence | undefined): Evidence => ({ ...change(decayed(e, now, halfLifeDays)), at });
  const evidence = add(overall(strategy as Strategy));
  const buckets: Record<string, Evidence> = { ...(strategy.buckets ?? {}) };
  for (const key of new Set(features)) buckets[key] = add(buckets[key]);
  const keys = Object.keys(buckets);
  if (keys.length > maxBuckets) {
    const touched = new Set(features);
    const weight = (k: string) => {
      const d = decayed(buckets[k], now, halfLifeDays);
      return d.s + d.f;
    };
    const droppable = keys.filter((k) => !touched.has(k)).sort((a, b) => weight(a) - weight(b));
    for (const k of droppable.slice(0, keys.length - maxBuckets)) delete buckets[k];
  }
  return { evidence, buckets };
}

export interface ContextualPosterior {
  /** A Beta with the contextual mean and the strategy's evidence (for display; draws use `sampleContextual`). */
  alpha: number;
  beta: number;
  /** Contextual mean μ and the strategy's (decayed) evidence n. */
  mean: number;
  evidence: number;
  /** The buckets that moved the mean, largest shift first: `team=a 3/3`. */
  drivers: string[];
  /** What a Thompson draw needs: the overall Beta and each bucket's Beta with the logit it is compared against. */
  parts: { overall: [number, number]; buckets: { alpha: number; beta: number; against: number }[] };
}

export function contextualPosterior(strategy: Strategy, features: readonly string[], options: ContextOptions): ContextualPosterior {
  const g = decayed(overall(strategy), options.now, options.halfLifeDays);
  const n = g.s + g.f;
  const p0 = (g.s + 1) / (n + 2);
  const rate = n > 0 ? g.s / n : p0;
  const m = options.shrinkage;
  let shift = 0;
  const moved: { text: string; size: number }[] = [];
  const buckets: ContextualPosterior['parts']['buckets'] = [];
  for (const key of features) {
    const b = decayed(strategy.buckets?.[key], options.now, options.halfLifeDays);
    const nk = b.s + b.f;
    if (nk < 1e-6) continue;
    // The bucket's shrunk rate against what it would be if it followed the strategy's overall rate:
    // a value every incident shares (same counts as overall) moves nothing, however few the counts.
    const q = (m * p0 + b.s) / (m + nk);
    const against = logit(clamp((m * p0 + nk * rate) / (m + nk), 1e-4, 1 - 1e-4));
    const d = logit(clamp(q, 1e-4, 1 - 1e-4)) - against;
    shift += d;
    buckets.push({ alpha: m * p0 + b.s, beta: m * (1 - p0) + b.f, against });
    if (Math.abs(d) > 0.05) moved.push({ text: `${key} ${fmt(b.s)}/${fmt(nk)}`, size: Math.abs(d) });
  }
  const mean = clamp(sigmoid(logit(p0) + shift), 0.005, 0.995);
  const k = n + 2;
  return {
    alpha: mean * k,
    beta: (1 - mean) * k,
    mean,
    evidence: n,
    drivers: moved.sort((a, b) => b.size - a.size).slice(0, 4).map((x) => x.text),
    parts: { overall: [g.s + 1, g.f + 1], buckets },
  };
}

/**
 * One Thompson draw of the contextual success probability: the overall rate
 * and every bucket's rate drawn from their own Betas, combined as the mean
 * is. A context seen once is as uncertain as one observation makes it, so it
 * keeps being explored instead of being locked in by a single outcome.
 */
export function sampleContextual(post: ContextualPosterior, draw: (alpha: number, beta: number) => number): number {
  let x = logit(clamp(draw(post.parts.overall[0], post.parts.overall[1]), 1e-6, 1 - 1e-6));
  for (const b of post.parts.buckets) x += logit(clamp(draw(b.alpha, b.beta), 1e-6, 1 - 1e-6)) - b.against;
  return sigmoid(x);
}

const fmt = (x: number) => (Math.abs(x - Math.round(x)) < 0.05 ? String(Math.round(x)) : x.toFixed(1));

// ---------------------------------------------------------------- credit assignment

/**
 * Credit assignment when earlier trials' changes are still in place: the
 * outcome belongs to the combination "this strategy on top of those", kept as
 * a strategy of its own (template `after`: the earlier strategies' ids), never
 * to this strategy alone. So a ×1.5 HPA raise that succeeds on top of a
 * failed ×2 is counted for "×1.5 after ×2", and ×1.5's own record stays about
 * incidents where it acted alone. Chosen over undoing before each trial
 * because undo throws away progress an SRE would keep (a raise that helped
 * but did not suffice) and costs a rollout per trial.
 */
export function creditTarget(strategy: Strategy, inPlace: readonly string[]): Strategy {
  const after = [...new Set(inPlace)].filter((id) => id !== strategy.id).sort();
  if (after.length === 0) return strategy;
  const combo = makeStrategy({
    signature: strategy.signature,
    action: strategy.action,
    template: { ...strategy.template, after },
    description: `${strategy.description || strategy.action} (after ${after.length} earlier change${after.length === 1 ? '' : 's'} still in place)`.slice(0, 500),
    source: 'learned',
  });
  return combo;
}

/** Actions that change the pod template: a rollback replaces whatever they left in it. */
const TEMPLATE_CHANGES = new Set(['patch_resources', 'patch_probe', 'patch_image', 'rollback_deployment']);

/**
 * The earlier trials' changes that are still in place once `action` has run:
 * a rollback restores a whole earlier pod template, so earlier template
 * changes (a raised limit, a relaxed probe, an image) are gone with it and
 * its outcome is its own; changes outside the template (an HPA's maximum,
 * replicas) stay.
 */
export function stillInPlace(action: string, earlier: readonly { strategyId: string; action: string }[]): string[] {
  return earlier.filter((e) => !(action === 'rollback_deployment' && TEMPLATE_CHANGES.has(e.action))).map((e) => e.strategyId);
}

/** A combination record (see creditTarget): never a candidate of its own. */
export const isCombination = (s: Strategy) => Array.isArray(s.template.after);
