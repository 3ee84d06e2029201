import { z } from 'zod';
import { describeChange } from '../../domain/approval';
import { ValidationError } from '../../domain/errors';
import type { AppDeps } from '../deps';
import { describeIssue, parseState } from './state';

const InputSchema = z.object({ taskToken: z.string().min(1).max(10_000), state: z.unknown() });

/**
 * RequestApproval (a `.waitForTaskToken` task): stores the pending approval
 * with its task token in the approval store and publishes ApprovalRequested
 * with the digest — never the token — so people and tools can look at the
 * exact change and call approve_action or deny_action with the digest. The
 * execution then waits until one of them (or the timeout) resumes it.
 */
export async function requestApprovalStep(deps: AppDeps, input: unknown): Promise<unknown> {
  const parsed = InputSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(`RequestApproval: ${describeIssue(parsed.error).message}`, describeIssue(parsed.error).field);
  const state = parseState(parsed.data.state, 'RequestApproval');
  const approval = state.approval;
  if (!approval || approval.status !== 'requested' || approval.grant) {
    throw new ValidationError('RequestApproval: the workflow state has no pending approval request', 'approval');
  }
  const { digest } = approval;
  await deps.memory.approvals.request(digest, parsed.data.taskToken);
  await deps.events.publish('ApprovalRequested', {
    digest: digest.digest,
    executionId: state.executionId,
    trial: state.trial,
    fingerprint: state.incident.fingerprint,
    signature: state.incident.signature,
    cluster: digest.cluster,
    target: digest.target,
    action: digest.action,
    change: digest.change,
    summary: describeChange(digest.change),
    preImageHash: digest.preImageHash,
    reasons: digest.reasons,
    ...(digest.statistics ? { statistics: digest.statistics } : {}),
    requestedAt: digest.requestedAt,
    expiresAt: digest.expiresAt,
  });
  deps.logger.info('approval requested', { digest: digest.digest, expiresAt: digest.expiresAt });
  return { requested: digest.digest };
}
