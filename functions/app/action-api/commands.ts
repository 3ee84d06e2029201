import { randomUUID } from 'node:crypto';
import type { ActionRequest } from '../../domain/actions';
import { IdempotencyConflict, LockHeld, PolicyViolation } from '../../domain/errors';
import { workloadKey } from '../../domain/policy';
import type { PolicyConfig } from '../../domain/policy-config';
import { requestHash } from '../../domain/request-hash';
import { seededStrategies } from '../../domain/seeded-strategies';
import { instantiate } from '../../domain/strategy-template';
import type { AppDeps } from '../deps';
import { refuseNamespaceEarly } from '../actions/pipeline';
import { executeAction, lockTargetOf, type ExecuteDeps } from '../execute-action';
import { startIncidentExecution } from '../incident-executions';
import { policyForWrite } from '../policy-source';
import { ApiError, read, type Handlers, type Outcome, type Payload } from './outcome';
import { currentIncident } from './queries';

/**
 * The action API's commands: cluster writes (through the same
 * policy-checked executor as the state machine, under the workload's lock),
 * strategies, starting the state machine, clearing memory.
 */

export type WriteActionName =
  | 'restart_pod'
  | 'rollout_restart'
  | 'rollback_deployment'
  | 'scale_deployment'
  | 'patch_resources'
  | 'patch_image'
  | 'patch_probe'
  | 'patch_hpa';
export type CommandName = WriteActionName | 'execute_strategy' | 'start_remediation' | 'clear_memory';

/** A write payload: the catalogue request plus the API's extras. */
const writePayload = async (deps: AppDeps, p: Payload<WriteActionName>): Promise<Outcome> => {
  const { cluster_name, dry_run, reason, idempotency_key, requested_by, ...request } = p;
  return write(deps, cluster_name, request as ActionRequest, {
    dryRun: dry_run,
    reason,
    key: idempotency_key,
    requestHash: requestHash(p),
    requestedBy: requested_by,
  });
};

/**
 * A command with an `idempotency_key` runs once per key through the
 * idempotency store (Powertools Idempotency on DynamoDB in AWS): a repeat of
 * the same request answers what the first answered, without touching the
 * cluster; the same key with a different request is a CONFLICT. A failed
 * request leaves no record, so its retry runs.
 */
const idempotent =
  <P extends { idempotency_key?: string | undefined }>(handler: (deps: AppDeps, p: P) => Promise<Outcome>) =>
  async (deps: AppDeps, p: P): Promise<Outcome> => {
    const key = p.idempotency_key;
    if (key === undefined) return handler(deps, p);
    try {
      return await deps.memory.idempotency.once(key, p as Record<string, unknown>, () => handler(deps, p));
    } catch (error) {
      if (error instanceof IdempotencyConflict) throw new ApiError('CONFLICT', error.message);
      throw error;
    }
  };

/** `anonymous` is what a write without a caller is recorded as (never accepted in enforce). */
export const ANONYMOUS = 'anonymous';

/** The caller a write is attributed to: the payload's, else the configured default; none is refused in enforce. */
function callerOf(policy: PolicyConfig, requestedBy: string | undefined): string {
  const caller = requestedBy ?? policy.defaultRequestedBy;
  if (caller !== undefined) return caller;
  if (policy.mode === 'enforce') {
    throw new PolicyViolation(
      'anonymous-write: in enforce mode a write must name its caller (requested_by), and this deployment configures no defaultRequestedBy',
      'anonymous-write',
    );
  }
  return ANONYMOUS;
}

export const COMMANDS: Handlers<CommandName> = {
  restart_pod: idempotent(writePayload),
  rollout_restart: idempotent(writePayload),
  rollback_deployment: idempotent(writePayload),
  scale_deployment: idempotent(writePayload),
  patch_resources: idempotent(writePayload),
  patch_image: idempotent(writePayload),
  patch_probe: idempotent(writePayload),
  patch_hpa: idempotent(writePayload),
  execute_strategy: idempotent(executeStrategy),
  start_remediation: async (deps, p) => read(await startRemediation(deps, p)),
  clear_memory: async (deps, p) => {
    const strategies = p.scope === 'episodes' ? 0 : await deps.memory.strategies.clear();
    const episodes = p.scope === 'strategies' ? 0 : await deps.memory.episodes.clear();
    return read({ memoryNamespace: deps.memory.namespace, deleted: { strategies, episodes } });
  },
};

async function write(
  deps: AppDeps,
  clusterName: string,
  request: ActionRequest,
  options: { dryRun: boolean | undefined; reason: string | undefined; key: string | undefined; requestHash: string; requestedBy: string | undefined },
): Promise<Outcome> {
  const policy = await policyForWrite(deps, options.dryRun ? 'dry-run' : undefined);
  const requestedBy = callerOf(policy, options.requestedBy);
  const cluster = await deps.cluster(clusterName);
  // The cluster-side marker (the last-action annotation) protects the write itself; bound to the
  // request too, so a reused key with another request can never read as "already done".
  const actionId = options.key ? `api-${options.key}-${options.requestHash.slice(0, 12)}` : `api-${randomUUID()}`;
  const execDeps: ExecuteDeps = { cluster, policy, clock: deps.clock, logger: deps.logger, locks: deps.memory.locks, episodes: deps.memory.episodes };
  const reason = options.reason ?? 'requested through the action API';
  // A protected namespace is refused before the lock lookup reads anything in it.
  if (request.action !== 'escalate') refuseNamespaceEarly(execDeps, request.namespace);
  // Observe and dry-run write nothing, so they need no lock and must not block a running remediation.
  if (policy.mode !== 'enforce' || request.action === 'escalate') {
    const result = await executeAction(execDeps, request, { actionId, reason, requestedBy });
    return { result, dryRun: result.dryRun || policy.mode === 'dry-run' };
  }
  const target = await lockTargetOf(cluster, request);
  const key = target ? workloadKey(clusterName, request.namespace ?? '', target.kind, target.name) : undefined;
  const owner = `api:${actionId}`;
  if (key && !(await deps.memory.locks.acquire(key, owner, policy.lockTtlSeconds, deps.clock.now()))) {
    throw new LockHeld(`${key}: another remediation of this workload is in progress; try again when it ends`);
  }
  try {
    const result = await executeAction(execDeps, request, { actionId, reason, requestedBy });
    return { result, dryRun: result.dryRun };
  } finally {
    if (key) await deps.memory.locks.release(key, owner);
  }
}

async function executeStrategy(deps: AppDeps, p: Payload<'execute_strategy'>): Promise<Outcome> {
  const incident = await currentIncident(deps, p);
  const stored = await deps.memory.strategies.listForSignature(incident.signature);
  const strategy = [...stored, ...seededStrategies(incident.signature, incident.kind)].find((s) => s.id === p.strategy_id);
  if (!strategy) throw new ApiError('NOT_FOUND', `strategy_id: '${p.strategy_id}' is not a strategy for signature ${incident.signature}`);
  const cluster = await deps.cluster(p.cluster_name);
  const deployment = p.target_kind === 'Deployment' ? await cluster.getDeployment(p.namespace, p.target_name) : undefined;
  const hpa = p.target_kind === 'HorizontalPodAutoscaler' ? await cluster.getHpa(p.namespace, p.target_name) : undefined;
  let request: ActionRequest;
  try {
    request = instantiate(strategy, incident, {
      ...(deployment ? { deployment } : {}),
      ...(hpa ? { hpa } : {}),
      bounds: deps.policy.limits,
    });
  } catch (error) {
    throw new ApiError('INVALID_PAYLOAD', `strategy_id: '${p.strategy_id}' does not apply to this incident (${(error as Error).message})`);
  }
  const outcome = await write(deps, p.cluster_name, request, {
    dryRun: p.dry_run,
    reason: p.reason ?? `strategy ${strategy.id} for ${incident.signature}`,
    key: p.idempotency_key,
    requestHash: requestHash(p),
    requestedBy: p.requested_by,
  });
  return { result: { strategy: { id: strategy.id, action: strategy.action, source: strategy.source }, request, remediation: outcome.result }, dryRun: outcome.dryRun };
}

async function startRemediation(deps: AppDeps, p: Payload<'start_remediation'>): Promise<unknown> {
  if (!deps.workflow) throw new ApiError('UNAVAILABLE', 'start_remediation: this deployment has no workflow starter configured');
  const incident = await currentIncident(deps, p);
  const { started, executionId } = await startIncidentExecution(deps, incident);
  return { started, executionId, signature: incident.signature, fingerprint: incident.fingerprint };
}
