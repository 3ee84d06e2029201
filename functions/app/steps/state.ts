import { ValidationError } from '../../domain/errors';
import { describeZodIssue } from '../../domain/zod-issue';
import { WorkflowStateSchema, type WorkflowState } from '../../domain/workflow-state';
import type { AppDeps } from '../deps';
import type { Cluster } from '../../ports/cluster';

/** Formats the first zod issue as `path: message` (functions/domain/zod-issue.ts). */
export const describeIssue = describeZodIssue;

/** Parses a task's input; a malformed document fails fast with ValidationError (routed to Escalate). */
export function parseState(input: unknown, step: string): WorkflowState {
  const parsed = WorkflowStateSchema.safeParse(input);
  if (!parsed.success) {
    const { field, message } = describeIssue(parsed.error);
    throw new ValidationError(`${step}: invalid workflow state: ${message}`, field);
  }
  return parsed.data;
}

/** Validates what a step returns, so a bug cannot pass a malformed document downstream. */
export function checkState(state: WorkflowState, step: string): WorkflowState {
  const parsed = WorkflowStateSchema.safeParse(state);
  if (!parsed.success) {
    const { field, message } = describeIssue(parsed.error);
    throw new ValidationError(`${step}: produced an invalid workflow state: ${message}`, field);
  }
  return parsed.data;
}

/** The cluster of an incident, refusing clusters this deployment is not configured for. */
export async function clusterFor(deps: AppDeps, clusterName: string): Promise<Cluster> {
  if (!deps.clusterNames.includes(clusterName)) {
    throw new ValidationError(
      `cluster '${clusterName}' is not one of the configured clusters (${deps.clusterNames.join(', ')})`,
      'incident.cluster',
    );
  }
  return deps.cluster(clusterName);
}

export function addUsage(a: WorkflowState['usage'], b: { inputTokens: number; outputTokens: number; costUsd: number; model: string } | undefined) {
  if (!b) return a;
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    costUsd: a.costUsd + b.costUsd,
    model: b.model !== 'deterministic' ? b.model : a.model,
  };
}

