import { describeChange, preImageHash } from '../../domain/approval';
import { KubeNotFound } from '../../domain/errors';
import type { ApprovalRecord } from '../../ports/approvals';
import type { Cluster } from '../../ports/cluster';
import type { AppDeps } from '../deps';
import { ApiError, read, type Handlers, type Outcome, type Payload } from './outcome';

/**
 * The approval tools of the action API: look at a request, approve it, deny
 * it. An approval names a digest and is good for that digest only; it is
 * refused when the object changed since the digest was made (the waiting
 * execution is told to re-plan and ask again), when it expired, or when it
 * was already decided. The task token never leaves the approval store.
 */

export type ApprovalActionName = 'approval_status' | 'approve_action' | 'deny_action';

export const APPROVALS: Handlers<ApprovalActionName> = {
  approval_status: async (deps, p) => read(view(await recordOf(deps, p.digest))),
  approve_action: approve,
  deny_action: deny,
};

/** What anyone may see of a request: everything but the task token. */
function view(record: ApprovalRecord) {
  return {
    ...record.digest,
    summary: describeChange(record.digest.change),
    status: record.status,
    ...(record.decidedBy !== undefined ? { decidedBy: record.decidedBy } : {}),
    ...(record.decidedAt !== undefined ? { decidedAt: record.decidedAt } : {}),
    ...(record.note !== undefined ? { note: record.note } : {}),
  };
}

async function recordOf(deps: AppDeps, digest: string): Promise<ApprovalRecord> {
  const record = await deps.memory.approvals.get(digest);
  if (!record) throw new ApiError('NOT_FOUND', `digest: no approval request ${digest}`);
  return record;
}

/** A request that can still be decided, or the reason it cannot. */
async function pendingOf(deps: AppDeps, digest: string): Promise<ApprovalRecord> {
  if (!deps.taskTokens) throw new ApiError('UNAVAILABLE', 'this deployment cannot resume executions (no task-token client configured)');
  const record = await recordOf(deps, digest);
  if (record.status !== 'pending') {
    throw new ApiError('CONFLICT', `digest: ${digest} was already ${record.status}${record.decidedBy ? ` by ${record.decidedBy}` : ''}${record.decidedAt ? ` at ${record.decidedAt}` : ''}`);
  }
  if (deps.clock.now().getTime() >= Date.parse(record.digest.expiresAt)) {
    throw new ApiError('CONFLICT', `digest: ${digest} expired at ${record.digest.expiresAt}; the execution escalated with nothing written`);
  }
  return record;
}

async function currentHash(cluster: Cluster, target: ApprovalRecord['digest']['target']): Promise<string | undefined> {
  try {
    switch (target.kind) {
      case 'Deployment':
        return preImageHash('Deployment', await cluster.getDeployment(target.namespace, target.name));
      case 'HorizontalPodAutoscaler':
        return preImageHash('HorizontalPodAutoscaler', await cluster.getHpa(target.namespace, target.name));
      case 'Pod':
        return preImageHash('Pod', await cluster.getPod(target.namespace, target.name));
      default:
        return undefined;
    }
  } catch (error) {
    if (error instanceof KubeNotFound) return undefined;
    throw error;
  }
}

async function approve(deps: AppDeps, p: Payload<'approve_action'>): Promise<Outcome> {
  const record = await pendingOf(deps, p.digest);
  const { digest } = record;
  const now = deps.clock.now();
  const cluster = await deps.cluster(digest.cluster);
  const hash = await currentHash(cluster, digest.target);
  if (hash !== digest.preImageHash) {
    // What was approved is not what would be written: nothing is, and the execution re-plans.
    const note = hash === undefined ? `${digest.target.kind} ${digest.target.namespace}/${digest.target.name} no longer exists` : `${digest.target.kind} ${digest.target.namespace}/${digest.target.name} changed since the digest (pre-image ${digest.preImageHash}, now ${hash})`;
    if (await deps.memory.approvals.decide(p.digest, { status: 'stale', by: p.approver, at: now, note })) {
      await resume(() => deps.taskTokens!.fail(record.taskToken, 'ApprovalStale', `${note}; re-plan and ask again`));
      await announce(deps, record, 'stale', p.approver, now, note);
    }
    throw new ApiError('CONFLICT', `digest: stale: ${note}. Nothing was approved; the execution re-plans and asks again with a new digest`);
  }
  if (!(await deps.memory.approvals.decide(p.digest, { status: 'approved', by: p.approver, at: now, ...(p.note ? { note: p.note } : {}) }))) {
    throw new ApiError('CONFLICT', `digest: ${p.digest} was decided by someone else first`);
  }
  await resume(() => deps.taskTokens!.succeed(record.taskToken, { digest: digest.digest, by: p.approver, at: now.toISOString() }));
  await announce(deps, record, 'approved', p.approver, now, p.note);
  deps.logger.info('approval granted', { digest: digest.digest, by: p.approver, executionId: digest.executionId });
  return read({ digest: digest.digest, status: 'approved', by: p.approver, at: now.toISOString(), executionId: digest.executionId, change: digest.change });
}

async function deny(deps: AppDeps, p: Payload<'deny_action'>): Promise<Outcome> {
  const record = await pendingOf(deps, p.digest);
  const now = deps.clock.now();
  if (!(await deps.memory.approvals.decide(p.digest, { status: 'denied', by: p.approver, at: now, ...(p.note ? { note: p.note } : {}) }))) {
    throw new ApiError('CONFLICT', `digest: ${p.digest} was decided by someone else first`);
  }
  await resume(() => deps.taskTokens!.fail(record.taskToken, 'ApprovalDenied', `denied by ${p.approver}${p.note ? `: ${p.note}` : ''}`));
  await announce(deps, record, 'denied', p.approver, now, p.note);
  deps.logger.info('approval denied', { digest: p.digest, by: p.approver });
  return read({ digest: p.digest, status: 'denied', by: p.approver, at: now.toISOString(), executionId: record.digest.executionId });
}

/** The execution may have stopped waiting (timed out, aborted): the decision stands, the caller is told. */
async function resume(send: () => Promise<void>): Promise<void> {
  try {
    await send();
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TaskTimedOut' || name === 'TaskDoesNotExist' || name === 'InvalidToken') {
      throw new ApiError('CONFLICT', `the execution no longer waits for this approval (${name}); the decision is recorded, nothing was written`);
    }
    throw error;
  }
}

async function announce(deps: AppDeps, record: ApprovalRecord, status: string, by: string, at: Date, note: string | undefined): Promise<void> {
  try {
    await deps.events.publish('ApprovalDecided', {
      digest: record.digest.digest,
      executionId: record.digest.executionId,
      status,
      by,
      at: at.toISOString(),
      ...(note ? { note } : {}),
      target: record.digest.target,
      action: record.digest.action.action,
    });
  } catch (error) {
    deps.logger.warn('could not publish ApprovalDecided', { error: (error as Error).message });
  }
}
