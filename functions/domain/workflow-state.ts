import { z } from 'zod';
import { ActionResultSchema } from './actions';
import { ApprovalDigestSchema, DigestSchema } from './approval';
import { IncidentSchema } from './incident';
import { AnalysisSchema, DecisionSchema, LessonSchema, OutcomeSchema, ReflectionSchema, UsageSchema, VerificationSchema } from './model';
import { ModeSchema } from './policy-config';

/**
 * The JSON document one Step Functions execution carries from state to state.
 * Every task handler takes the whole document and returns the whole document
 * (validated on the way in and out), so each state's input/output in the
 * console reads as the incident's story so far.
 */
export const WorkflowStateSchema = z.object({
  executionId: z.string().min(1).max(300),
  incident: IncidentSchema,
  mode: ModeSchema,
  trial: z.number().int().positive().default(1),
  maxTrials: z.number().int().positive().max(10),
  startedAt: z.iso.datetime(),
  lock: z
    .object({ key: z.string(), owner: z.string(), acquired: z.boolean(), reason: z.string().optional() })
    .optional(),
  analysis: AnalysisSchema.optional(),
  /** Lessons of past incidents, retrieved once by Analyse and reused by every trial's SelectStrategy. */
  lessons: z.array(LessonSchema).max(10).default([]),
  decision: DecisionSchema.optional(),
  /**
   * The approval gate of this trial: Remediate sets it when the policy wants
   * an operator's approval of the exact change (status requested, with the
   * digest); RequestApproval's result adds the grant, its Catch adds `stale`.
   * The grant in this document is never trusted alone: Remediate re-reads the
   * approval store before writing.
   */
  approval: z
    .object({
      status: z.enum(['requested', 'granted']),
      digest: ApprovalDigestSchema,
      /** Requests in this trial: an approver who finds the object changed makes Remediate re-plan and ask again. */
      requests: z.number().int().positive(),
      grant: z.object({ digest: DigestSchema, by: z.string().max(200), at: z.string().max(40) }).optional(),
      stale: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
    })
    .optional(),
  remediation: ActionResultSchema.optional(),
  verification: VerificationSchema.optional(),
  undo: ActionResultSchema.optional(),
  reflections: z.array(ReflectionSchema).max(10).default([]),
  /** Strategies tried in this incident and how each went (never repeat a failure). */
  tried: z
    .array(
      z.object({
        strategyId: z.string(),
        action: z.string(),
        outcome: OutcomeSchema,
        /** Its change is still in place (applied, not undone, not a restart): later trials build on it. */
        inPlace: z.boolean().optional(),
      }),
    )
    .max(10)
    .default([]),
  /** Routing decision of the last Reflect. */
  next: z.enum(['resolved', 'retry', 'escalate', 'done']).optional(),
  outcome: OutcomeSchema.optional(),
  /** Set by a Catch: the error that diverted the execution. */
  error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
  usage: UsageSchema.prefault({}),
});
export type WorkflowState = z.infer<typeof WorkflowStateSchema>;
export type WorkflowStateInput = z.input<typeof WorkflowStateSchema>;
