import { digestOf, fieldChanges, preImageHash, type ChangeSet, type FieldChange } from '../domain/approval';
import type { ActionRequest } from '../domain/actions';
import { PolicyViolation, ReflexionError } from '../domain/errors';
import type { PolicyDecision } from '../domain/policy';

/**
 * The executor's side of the approval gate. When the policy refuses with
 * `approval-required`, the executor asks here what to do:
 * - in observe and dry-run nothing is written, so nothing needs approving:
 *   the call goes on as approved (the result says approval would be needed);
 * - with an approved digest, the change about to be written must hash to
 *   exactly that digest (same execution and trial, target, request, pre-image
 *   and field-level change), else it is refused as `approval-stale`;
 * - otherwise ApprovalNeeded carries the change set out, and nothing is written.
 * Who may approve is decided elsewhere (approve_action, after the operator's
 * check); nothing the reasoner writes into a decision reaches this gate.
 */

/** The policy wants an operator's approval of this exact change before it is written. */
export class ApprovalNeeded extends ReflexionError {
  override readonly name = 'ApprovalNeeded' as const;
  constructor(
    message: string,
    readonly changeSet: ChangeSet,
  ) {
    super(message);
  }
}

export interface GateInput {
  refusal: Extract<PolicyDecision, { allowed: false }>;
  /** The same policy evaluation with approval granted: what applies once approved. */
  approvedDecision: PolicyDecision;
  actionId: string;
  /** The digest an operator approved for this action id (verified against the approval store by the caller). */
  approvedDigest?: string | undefined;
  changeSet: () => ChangeSet;
}

export interface GateOutcome {
  decision: PolicyDecision;
  /** Set when the policy asked for approval: what was approved, or that only a dry run/observation happened. */
  approval?: { digest?: string; waived?: string };
}

export function approvalGate(input: GateInput): GateOutcome {
  // Granted, the policy's only other answers are "dry run only" and "observe": both write nothing.
  const writes = input.approvedDecision.allowed && !input.approvedDecision.dryRunOnly;
  if (!writes) {
    const mode = input.approvedDecision.allowed ? 'dry-run' : 'observe';
    return { decision: input.approvedDecision, approval: { waived: `nothing is written in ${mode} mode; a real write would need approval` } };
  }
  const changeSet = input.changeSet();
  const digest = digestOf({ actionId: input.actionId, changeSet });
  if (input.approvedDigest !== undefined) {
    if (input.approvedDigest === digest) return { decision: input.approvedDecision, approval: { digest } };
    throw new PolicyViolation(
      `approval-stale: the change about to be written (${digest}) is not the approved one (${input.approvedDigest}): the object or the plan changed since approval; nothing written`,
      'approval-stale',
    );
  }
  throw new ApprovalNeeded(input.refusal.message, changeSet);
}

/** The change set of a planned JSON patch on an object (bookkeeping under /metadata is not part of the change). */
export function patchChangeSet(input: {
  cluster: string;
  target: { kind: string; namespace: string; name: string };
  action: ActionRequest;
  object: { metadata?: { namespace?: string; name?: string; uid?: string }; spec?: unknown };
  ops: readonly { op: string; path: string; value?: unknown }[];
  policyReason: string;
}): ChangeSet {
  const { change, truncated } = fieldChanges(input.object, input.ops, (path) => path.startsWith('/metadata/'));
  return {
    cluster: input.cluster,
    target: input.target,
    action: input.action,
    change,
    truncated,
    preImageHash: preImageHash(input.target.kind, input.object),
    policyReason: input.policyReason,
  };
}

/** restart_pod changes no field: the pod is deleted and its controller creates another. */
export function podDeletionChangeSet(input: {
  cluster: string;
  pod: { metadata?: { namespace?: string; name?: string; uid?: string }; spec?: unknown };
  action: ActionRequest;
  controller: string;
  policyReason: string;
}): ChangeSet {
  const name = input.pod.metadata?.name ?? '';
  const change: FieldChange[] = [{ path: '(object)', before: `pod ${name} (uid ${input.pod.metadata?.uid ?? '?'})`, after: `deleted; ${input.controller} creates a replacement` }];
  return {
    cluster: input.cluster,
    target: { kind: 'Pod', namespace: input.pod.metadata?.namespace ?? '', name },
    action: input.action,
    change,
    truncated: false,
    preImageHash: preImageHash('Pod', input.pod),
    policyReason: input.policyReason,
  };
}
