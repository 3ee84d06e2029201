import { buildDigest } from '../../domain/approval';
import { rateEstimate } from '../../domain/credible-interval';
import type { Decision } from '../../domain/model';
import { PolicyViolation, ValidationError } from '../../domain/errors';
import type { WorkflowState } from '../../domain/workflow-state';
import { ApprovalNeeded } from '../approval-gate';
import { executeAction } from '../execute-action';
import type { AppDeps } from '../deps';
import { policyForWrite } from '../policy-source';
import { boundedForState } from '../state-size';
import { checkState, clusterFor, parseState } from './state';

/** An approver who finds the object changed makes Remediate re-plan and ask again; this often, then escalate. */
export const MAX_APPROVAL_REQUESTS = 3;

/**
 * Restart | Rollback | Scale | Patch: executes the decided action through the
 * policy-checked executor. A policy refusal is an outcome, not a crash: it is
 * recorded with its rule so Reflect can escalate with the proposed change.
 * When the policy wants an operator's approval, nothing is written: the state
 * gets `approval.status = requested` with the digest, and the state machine
 * waits in RequestApproval. After a grant, the approval store (never the
 * document alone) decides whether this write is the approved one.
 */
export async function remediateStep(deps: AppDeps, input: unknown): Promise<unknown> {
  const state = parseState(input, 'Remediate');
  const decision = state.decision;
  if (!decision) throw new ValidationError('Remediate: no decision in the workflow state', 'decision');
  const cluster = await clusterFor(deps, state.incident.cluster);
  const actionId = `${state.executionId}#${state.trial}`;
  const now = deps.clock.now();
  const refused = (rule: string, message: string): WorkflowState =>
    checkState(
      {
        ...state,
        remediation: {
          action: decision.action.action,
          target: { kind: state.incident.target.kind, namespace: state.incident.namespace, name: state.incident.target.name },
          applied: false,
          dryRun: false,
          noop: false,
          message: message.slice(0, 2000),
          details: { refused: rule, ...(state.approval ? { approval: { digest: state.approval.digest.digest, status: state.approval.status } } : {}) },
          at: now.toISOString(),
        },
        verification: undefined,
        // The gate is over for this trial (the refusal says why); the state machine must not wait again.
        approval: undefined,
      },
      'Remediate',
    );

  // Only this trial's approval counts; one of an earlier trial is history.
  const approval = state.approval?.digest.actionId === actionId ? state.approval : undefined;
  let approvedDigest: string | undefined;
  let approvedBy: string | undefined;
  if (approval?.grant) {
    const record = await deps.memory.approvals.get(approval.grant.digest);
    if (!record || record.status !== 'approved' || record.digest.actionId !== actionId || record.digest.digest !== approval.grant.digest) {
      deps.logger.warn('approval in the document is not an approved record', { digest: approval.grant.digest, status: record?.status });
      return refused('approval-unverified', `approval-unverified: no approved record for ${approval.grant.digest} of ${actionId}; nothing written`);
    }
    approvedDigest = record.digest.digest;
    approvedBy = record.decidedBy;
  }

  const policy = await policyForWrite(deps, state.mode);
  try {
    const remediation = boundedForState(
      await executeAction(
        { cluster, policy, clock: deps.clock, logger: deps.logger, locks: deps.memory.locks, episodes: deps.memory.episodes },
        decision.action,
        { actionId, reason: decision.why, trial: state.trial, ...(approvedDigest ? { approvedDigest } : {}) },
      ),
    );
    if (approvedDigest) remediation.details = { ...remediation.details, approval: { digest: approvedDigest, by: approvedBy } };
    deps.logger.info('remediation', { action: remediation.action, applied: remediation.applied, noop: remediation.noop, dryRun: remediation.dryRun });
    return checkState(
      // Granted: the record of it stays in the document; otherwise no gate is open (a re-plan may need none).
      { ...state, remediation, verification: undefined, approval: approval && approvedDigest ? { ...approval, status: 'granted' as const, stale: undefined } : undefined },
      'Remediate',
    );
  } catch (error) {
    if (error instanceof ApprovalNeeded) {
      const requests = (approval?.requests ?? 0) + 1;
      if (requests > MAX_APPROVAL_REQUESTS) {
        return refused('approval-stale', `approval-stale: the object kept changing under ${MAX_APPROVAL_REQUESTS} approval requests; nothing written`);
      }
      const digest = buildDigest({
        actionId,
        executionId: state.executionId,
        trial: state.trial,
        signature: state.incident.signature,
        changeSet: error.changeSet,
        why: decision.why,
        statistics: statisticsOf(decision, state.incident.signature),
        now,
        timeoutSeconds: policy.approvalTimeoutSeconds,
      });
      deps.logger.info('approval required', { digest: digest.digest, action: decision.action.action, requests });
      return checkState(
        {
          ...state,
          approval: { status: 'requested', digest, requests },
          remediation: {
            action: decision.action.action,
            target: error.changeSet.target,
            applied: false,
            dryRun: false,
            noop: false,
            message: `waiting for an operator's approval of ${digest.digest}: ${error.message}`.slice(0, 2000),
            details: { awaitingApproval: digest.digest },
            at: now.toISOString(),
          },
          verification: undefined,
        },
        'Remediate',
      );
    }
    if (!(error instanceof PolicyViolation)) throw error;
    deps.logger.warn('policy refused the action', { rule: error.rule, action: decision.action.action });
    return refused(error.rule, error.message);
  }
}

/** The chosen strategy's record so far, with its credible interval: the evidence an approver gets. */
function statisticsOf(decision: Decision, signature: string) {
  const chosen = decision.candidates.find((c) => c.strategyId === decision.strategyId);
  const successes = chosen?.successes ?? decision.strategy?.successes ?? 0;
  const failures = chosen?.failures ?? decision.strategy?.failures ?? 0;
  return {
    ...rateEstimate(successes, failures, chosen ? { alpha: chosen.alpha, beta: chosen.beta } : {}),
    strategyId: decision.strategyId,
    context: `strategy ${decision.strategyId} for ${signature}, every namespace (Beta posterior of its recorded outcomes)`.slice(0, 300),
  };
}
