import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import { longestRunSeconds } from '../../domain/policy-config';
import type { AppDeps } from '../deps';
import { configuredPolicy, refuseOutOfScope } from '../policy-source';
import { checkState, describeIssue, parseState, workloadKey } from './state';

const LockInputSchema = z.object({ op: z.enum(['acquire', 'release']), state: z.unknown() });
// Release must work on whatever document a Catch produced: it needs only the lock.
const ReleaseStateSchema = z.object({
  lock: z.object({ key: z.string().min(1), owner: z.string().min(1), acquired: z.boolean() }).optional(),
});

/**
 * AcquireLock / ReleaseLock*: one active remediation per workload, with a TTL
 * so that a lost execution cannot hold a workload forever.
 */
export async function lockStep(deps: AppDeps, input: unknown): Promise<unknown> {
  const parsed = LockInputSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(`lock: ${describeIssue(parsed.error).message}`, describeIssue(parsed.error).field);

  if (parsed.data.op === 'acquire') {
    const state = parseState(parsed.data.state, 'AcquireLock');
    const policy = await configuredPolicy(deps);
    // Before any step reads the cluster (Analyse reads logs into the execution history): refuse what is out of scope.
    refuseOutOfScope(deps, policy, { cluster: state.incident.cluster, namespace: state.incident.namespace });
    const key = workloadKey(state);
    const owner = state.executionId;
    // The lock must outlive the longest execution (every trial verifying to its
    // deadline); the TTL only frees a workload whose execution died.
    const ttl = Math.max(policy.lockTtlSeconds, longestRunSeconds({ maxTrials: state.maxTrials, verify: policy.verify }));
    const acquired = await deps.memory.locks.acquire(key, owner, ttl, deps.clock.now());
    deps.logger.info('lock acquire', { key, owner, acquired });
    return checkState(
      { ...state, lock: { key, owner, acquired, ...(acquired ? {} : { reason: 'another remediation of this workload is in progress' }) } },
      'AcquireLock',
    );
  }

  const release = ReleaseStateSchema.safeParse(parsed.data.state);
  const lock = release.success ? release.data.lock : undefined;
  if (!lock || !lock.acquired) return { released: false, reason: 'no lock held by this execution' };
  await deps.memory.locks.release(lock.key, lock.owner);
  deps.logger.info('lock released', { key: lock.key, owner: lock.owner });
  return { released: true, key: lock.key };
}
