import { z } from 'zod';
import { ActionRequestSchema, ActionResultSchema, ACTION_NAMES } from './actions';
import { ObservedContextSchema } from './features';
import { IncidentSchema } from './incident';

/** Token use of one reasoner call (0 for the deterministic reasoner). */
export const UsageSchema = z.object({
  inputTokens: z.number().int().nonnegative().default(0),
  outputTokens: z.number().int().nonnegative().default(0),
  costUsd: z.number().nonnegative().default(0),
  model: z.string().default('deterministic'),
});
export type Usage = z.infer<typeof UsageSchema>;

export const AnalysisSchema = z.object({
  summary: z.string().max(4000),
  /** Likely causes, most likely first. */
  hypotheses: z.array(z.string().max(500)).max(10).default([]),
  /** Possibly refined sub-reason (e.g. the logs show a missing env var). */
  subReason: z.string().max(100).optional(),
  /** What Analyse observed beyond the detection snapshot (team label, rollout diff, run times); features come from it. */
  context: ObservedContextSchema.optional(),
  usage: UsageSchema.prefault({}),
});
export type Analysis = z.infer<typeof AnalysisSchema>;

/** Outcome counts as of `at` (they decay with age, see domain/selection-context). */
export const EvidenceSchema = z.object({
  s: z.number().nonnegative().finite(),
  f: z.number().nonnegative().finite(),
  at: z.iso.datetime(),
});
export type Evidence = z.infer<typeof EvidenceSchema>;

export const StrategySourceSchema = z.enum(['seeded', 'learned', 'reasoner']);

/**
 * A way to fix a failure signature: an action with a parameter template.
 * Template values may reference the incident with `{{target.name}}`,
 * `{{namespace}}`, `{{container}}`, `{{pod}}`; see domain/strategy-template.
 */
export const StrategySchema = z.object({
  /** Stable id: hash of signature + action + template. */
  id: z.string().min(1).max(128),
  signature: z.string().min(1).max(200),
  action: z.enum(ACTION_NAMES),
  template: z.record(z.string(), z.unknown()),
  description: z.string().max(500).default(''),
  successes: z.number().int().nonnegative().default(0),
  failures: z.number().int().nonnegative().default(0),
  /** Mean time to recover over successes, seconds. */
  meanTimeToRecoverSeconds: z.number().nonnegative().optional(),
  lastUsedAt: z.iso.datetime().optional(),
  source: StrategySourceSchema,
  retired: z.boolean().default(false),
  /** Decayed signature-wide evidence (absent on records older than decay: successes/failures then). */
  evidence: EvidenceSchema.optional(),
  /** Decayed evidence per incident feature (`team=payments`), at most 64 (domain/selection-context). */
  buckets: z
    .record(z.string().min(1).max(200), EvidenceSchema)
    .refine((b) => Object.keys(b).length <= 64, 'at most 64 feature buckets')
    .optional(),
});
export type Strategy = z.infer<typeof StrategySchema>;

export const CandidateSchema = z.object({
  strategyId: z.string(),
  action: z.enum(ACTION_NAMES),
  source: StrategySourceSchema,
  successes: z.number().int().nonnegative(),
  failures: z.number().int().nonnegative(),
  /** Posterior Beta(α, β) and the sample drawn for this decision. */
  alpha: z.number(),
  beta: z.number(),
  sample: z.number().optional(),
  /** Contextual posterior mean for this incident's features, and the buckets that moved it. */
  mean: z.number().optional(),
  context: z.array(z.string().max(300)).max(4).optional(),
  /** Why it was excluded, when it was (e.g. failed earlier in this incident). */
  excluded: z.string().optional(),
});
export type Candidate = z.infer<typeof CandidateSchema>;

export const LessonSchema = z.object({
  text: z.string().min(1).max(500),
  signature: z.string().max(200),
  /** Episode that produced it. */
  episodeId: z.string().max(200).optional(),
  outcome: z.enum(['success', 'failure']).optional(),
  action: z.enum(ACTION_NAMES).optional(),
  /** The strategy the lesson is about: a failure excludes that strategy, not every use of its action. */
  strategyId: z.string().max(128).optional(),
  score: z.number().optional(),
});
export type Lesson = z.infer<typeof LessonSchema>;

export const DecisionSchema = z.object({
  strategyId: z.string(),
  strategy: StrategySchema.optional(),
  /** Concrete action after the template is filled in. */
  action: ActionRequestSchema,
  mode: z.enum(['exploit', 'explore', 'only-candidate', 'escalate']),
  why: z.string().max(2000),
  candidates: z.array(CandidateSchema).max(50).default([]),
  lessonsUsed: z.array(LessonSchema).max(20).default([]),
  /** The incident's features the decision was conditioned on (domain/features), `name=value`. */
  features: z.array(z.string().max(200)).max(40).default([]),
  /** Earlier trials' strategies whose changes were still in place (credit goes to the combination). */
  inPlace: z.array(z.string().max(128)).max(10).default([]),
  /** Seed of the random draw, so a decision can be replayed. */
  seed: z.number().int().optional(),
  usage: UsageSchema.prefault({}),
});
export type Decision = z.infer<typeof DecisionSchema>;

export const VerificationStatusSchema = z.enum(['healthy', 'converging', 'failed']);
export const VerificationSchema = z.object({
  status: VerificationStatusSchema,
  /** Short facts: replicas, restarts during the window, failure seen. */
  evidence: z.array(z.string().max(500)).max(30).default([]),
  checkedAt: z.iso.datetime(),
  /** When the workload was first seen healthy in this window (stability). */
  healthySince: z.iso.datetime().optional(),
  /** Verification gives up at this time. */
  deadline: z.iso.datetime(),
  /** Baseline captured before the action: restart counts per pod, available replicas. */
  baseline: z.record(z.string(), z.unknown()).default({}),
  /** Whether the workload is worse than before the action (triggers undo). */
  worse: z.boolean().default(false),
  checks: z.number().int().nonnegative().default(0),
});
export type Verification = z.infer<typeof VerificationSchema>;

export const ReflectionSchema = z.object({
  trial: z.number().int().positive(),
  text: z.string().max(2000),
  lessons: z.array(LessonSchema).max(10).default([]),
  usage: UsageSchema.prefault({}),
});
export type Reflection = z.infer<typeof ReflectionSchema>;

/** `interrupted`: the local CLI was stopped (Ctrl-C) while the trial was in flight; not a verdict on the strategy. */
export const OutcomeSchema = z.enum(['resolved', 'failed', 'escalated', 'observed', 'dry-run', 'error', 'interrupted']);
export type Outcome = z.infer<typeof OutcomeSchema>;

/** One trial of one incident: what was known, decided, done, seen and learned. */
export const EpisodeSchema = z.object({
  /** `${executionId}#${trial}`: a retried write of the same trial is the same item. */
  episodeId: z.string().min(1).max(400),
  executionId: z.string().min(1).max(300),
  trial: z.number().int().positive(),
  incident: IncidentSchema,
  signature: z.string(),
  analysis: AnalysisSchema.optional(),
  decision: DecisionSchema.optional(),
  result: ActionResultSchema.optional(),
  verification: VerificationSchema.optional(),
  undo: ActionResultSchema.optional(),
  outcome: OutcomeSchema,
  /** Seconds from detection to verified healthy (resolved trials only). */
  timeToRecoverSeconds: z.number().nonnegative().optional(),
  reflection: ReflectionSchema.optional(),
  usage: UsageSchema.prefault({}),
  error: z.object({ name: z.string(), message: z.string().max(2000) }).optional(),
  startedAt: z.iso.datetime(),
  endedAt: z.iso.datetime(),
  /** A resolved episode whose failure (same fingerprint) was detected again within the recurrence window: when. */
  recurredAt: z.iso.datetime().optional(),
});
export type Episode = z.infer<typeof EpisodeSchema>;
