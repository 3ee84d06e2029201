import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import { executionBudget, type Mode } from '../../domain/policy-config';
import type { Clock } from '../../ports/clock';
import type { LockStore } from '../../ports/memory';
import { DEDUP_WINDOW_SECONDS, EARLY_END_BACKOFF_SECONDS, startClaimKey } from '../incident-executions';
import type { AppDeps } from '../deps';
import { configuredPolicy, refuseOutOfScope } from '../policy-source';
import { workloadKey } from '../../domain/policy';
import { lockTargetOfIncident } from '../execute-action';
import { checkState, describeIssue, parseState } from './state';

const LockInputSchema = z.object({ op: z.enum(['acquire', 'release']), state: z.unknown() });
// Release must work on whatever document a Catch produced: it needs only the lock.
const ReleaseStateSchema = z.object({
  lock: z.object({ key: z.string().min(1), owner: z.string().min(1), acquired: z.boolean() }).optional(),
});
// What the start claim needs; absent parts leave the claim to its TTL.
const ClaimStateSchema = z.object({
  executionId: z.string().min(1),
  mode: z.enum(['observe', 'dry-run', 'enforce']),
  startedAt: z.iso.datetime(),
  incident: z.object({ cluster: z.string().min(1), fingerprint: z.string().min(1) }),
  outcome: z.string().optional(),
  error: z.unknown().optional(),
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
    // A pod's incident locks its top controller (an HPA's its scale target), the workload the action API and
    // the actions' cooldown and cap key on: two pods of one StatefulSet never run two executions at once.
    const { cluster: clusterName, target } = state.incident;
    const lockOn = await lockTargetOfIncident(() => deps.cluster(clusterName), target);
    const key = workloadKey(clusterName, target.namespace, lockOn.kind, lockOn.name);
    const owner = state.executionId;
    // The lock outlives the execution's hard stop (same computation as the state
    // machine's timeout); the TTL only frees a workload whose execution died.
    const ttl = executionBudget(policy).lockTtlSeconds;
    const acquired = await deps.memory.locks.acquire(key, owner, ttl, deps.clock.now());
    deps.logger.info('lock acquire', { key, owner, acquired });
    // AlreadyInProgress ends the execution here, early: the failure may start again after a short back-off.
    if (!acquired) await settleStartClaim(deps.memory.locks, deps.clock, state, true);
    return checkState(
      { ...state, lock: { key, owner, acquired, ...(acquired ? {} : { reason: 'another remediation of this workload is in progress' }) } },
      'AcquireLock',
    );
  }

  const release = ReleaseStateSchema.safeParse(parsed.data.state);
  const lock = release.success ? release.data.lock : undefined;
  if (!lock || !lock.acquired) return { released: false, reason: 'no lock held by this execution' };
  const claim = ClaimStateSchema.safeParse(parsed.data.state);
  // An end by a Catch (error set) or without an outcome is early: the incident was not dealt with.
  if (claim.success) await settleStartClaim(deps.memory.locks, deps.clock, claim.data, claim.data.error !== undefined || claim.data.outcome === undefined);
  await deps.memory.locks.release(lock.key, lock.owner);
  deps.logger.info('lock released', { key: lock.key, owner: lock.owner });
  return { released: true, key: lock.key };
}

/**
 * Shortens this execution's start claim at its end (startIncidentExecution
 * took it for the whole run): after a normal end it lasts until the dedup
 * window from the start has passed, after an early end only a short back-off.
 * Re-acquiring as the same owner sets the new expiry; a claim another
 * execution holds is left alone.
 */
async function settleStartClaim(
  locks: LockStore,
  clock: Clock,
  state: { executionId: string; mode: Mode; startedAt: string; incident: { cluster: string; fingerprint: string } },
  early: boolean,
): Promise<void> {
  const key = startClaimKey(state.incident, state.mode);
  const now = clock.now();
  const until = early ? now.getTime() + EARLY_END_BACKOFF_SECONDS * 1000 : Date.parse(state.startedAt) + DEDUP_WINDOW_SECONDS * 1000;
  const seconds = Math.ceil((until - now.getTime()) / 1000);
  if (seconds <= 0) await locks.release(key, state.executionId);
  else await locks.acquire(key, state.executionId, seconds, now);
}
