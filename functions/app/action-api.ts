import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { ActionRequest } from '../domain/actions';
import { detectIncidents } from '../domain/detectors';
import {
  KubeConflict,
  KubeForbidden,
  KubeInvalid,
  KubeNotFound,
  KubeThrottled,
  KubeTimeout,
  KubeUnavailable,
  LockHeld,
  MemoryError,
  MemoryThrottled,
  PolicyViolation,
  ReflexionError,
  ValidationError,
} from '../domain/errors';
import type { Incident } from '../domain/incident';
import type { Pod } from '../domain/k8s';
import { effectiveMode, workloadKey } from '../domain/policy';
import { ALWAYS_PROTECTED_NAMESPACES, type PolicyConfig } from '../domain/policy-config';
import { seededStrategies } from '../domain/seeded-strategies';
import { instantiate } from '../domain/strategy-template';
import { podFailures, podRestarts } from '../domain/verify';
import type { Cluster } from '../ports/cluster';
import { ActionNotApplicable, TargetNotFound } from './actions/common';
import {
  API_ACTIONS,
  buildPayloadSchemas,
  type ActionApiResponse,
  type ActionPayload,
  type ApiActionName,
  type ErrorCode,
  type PayloadSchemas,
} from './action-api-schema';
import type { AppDeps } from './deps';
import { executeAction, podFacts, refuseNamespaceEarly, type ExecuteDeps } from './execute-action';
import { executionName, initialState } from './steps/detect';

export type { ActionApiResponse } from './action-api-schema';

type Payload<K extends ApiActionName> = z.infer<PayloadSchemas[K]>;

class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

// Schemas carry the policy's bounds; build them once per policy object, not per payload.
const schemaCache = new WeakMap<PolicyConfig, PayloadSchemas>();
function schemasFor(policy: PolicyConfig): PayloadSchemas {
  let schemas = schemaCache.get(policy);
  if (!schemas) {
    schemas = buildPayloadSchemas(policy);
    schemaCache.set(policy, schemas);
  }
  return schemas;
}

const fail = (code: ErrorCode, message: string): ActionApiResponse => ({ ok: false, error: { code, message: message.slice(0, 2000) || code } });

/** `field: problem`, in words an operator reads without knowing zod. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.map(String).join('.');
  let problem: string;
  switch (issue.code) {
    case 'too_big':
      problem = `must be <= ${String(issue.maximum)}${issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : ''}`;
      break;
    case 'too_small':
      problem = `must be >= ${String(issue.minimum)}${issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : ''}`;
      break;
    case 'invalid_type':
      problem = `expected ${issue.expected}`;
      break;
    case 'unrecognized_keys':
      return `${field ? `${field}: ` : ''}unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    default:
      problem = issue.message;
  }
  return `${field || 'payload'}: ${problem}`;
}

/**
 * The direct action API (DESIGN §6): validates the payload with its action's
 * schema, checks the cluster name, runs the action (writes through the same
 * policy-checked executor as the state machine, under the workload's lock)
 * and answers `{ok: true, ...}` or `{ok: false, error: {code, message}}`.
 * It never throws.
 */
export async function handleActionPayload(deps: AppDeps, payload: unknown): Promise<ActionApiResponse> {
  try {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      return fail('INVALID_PAYLOAD', 'payload: expected a JSON object');
    }
    const action = (payload as Record<string, unknown>).action;
    if (typeof action !== 'string') return fail('INVALID_PAYLOAD', 'action: expected a string naming the action');
    if (!(API_ACTIONS as readonly string[]).includes(action)) {
      return fail('UNKNOWN_ACTION', `action: '${action.slice(0, 100)}' is not an action (one of ${API_ACTIONS.join(', ')})`);
    }
    const name = action as ApiActionName;
    const schema = schemasFor(deps.policy)[name];
    const parsed = schema.safeParse(payload);
    if (!parsed.success) return fail('INVALID_PAYLOAD', parsed.error.issues.slice(0, 5).map(describeIssue).join('; '));
    const data = parsed.data as ActionPayload;
    if ('cluster_name' in data && data.cluster_name !== undefined && !deps.clusterNames.includes(data.cluster_name)) {
      return fail('UNKNOWN_CLUSTER', `cluster_name: '${data.cluster_name}' is not configured (configured: ${deps.clusterNames.join(', ')})`);
    }
    const { result, dryRun } = await dispatch(deps, data);
    return { ok: true, action: name, result, dry_run: dryRun, timestamp: deps.clock.now().toISOString() };
  } catch (error) {
    try {
      return toErrorResponse(deps, error);
    } catch {
      // Even a failing logger must not turn into a thrown error for the caller.
      return fail('INTERNAL', error instanceof Error ? `${error.name}: ${error.message}` : 'internal error');
    }
  }
}

function toErrorResponse(deps: AppDeps, error: unknown): ActionApiResponse {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ApiError) return fail(error.code, message);
  if (error instanceof ValidationError) return fail('INVALID_PAYLOAD', message);
  if (error instanceof PolicyViolation) return fail('POLICY_VIOLATION', message);
  if (error instanceof KubeNotFound || error instanceof TargetNotFound) return fail('NOT_FOUND', message);
  if (error instanceof ActionNotApplicable || error instanceof KubeInvalid) return fail('INVALID_PAYLOAD', message);
  if (error instanceof KubeConflict || error instanceof LockHeld) return fail('CONFLICT', message);
  // The cluster's own RBAC said no: a policy, just not ours.
  if (error instanceof KubeForbidden) return fail('POLICY_VIOLATION', `the cluster refused: ${message}`);
  if (
    error instanceof KubeUnavailable ||
    error instanceof KubeTimeout ||
    error instanceof KubeThrottled ||
    error instanceof MemoryThrottled ||
    error instanceof MemoryError ||
    (error instanceof ReflexionError && error.retryable)
  ) {
    return fail('UNAVAILABLE', message);
  }
  deps.logger.error('action API internal error', { error: message, name: error instanceof Error ? error.name : typeof error });
  return fail('INTERNAL', `${error instanceof Error ? error.name : 'Error'}: ${message}`);
}

type Outcome = { result: unknown; dryRun: boolean };

async function dispatch(deps: AppDeps, p: ActionPayload): Promise<Outcome> {
  switch (p.action) {
    case 'detect_failures':
      return read(await detectFailures(deps, p.cluster_name, p.namespace));
    case 'analyze_pod':
      return read(await analyzePod(deps, p));
    case 'pod_status':
      return read(await podStatus(await deps.cluster(p.cluster_name), p));
    case 'recent_events':
      return read(await recentEvents(await deps.cluster(p.cluster_name), p));
    case 'cluster_metrics':
      return read(await clusterMetrics(await deps.cluster(p.cluster_name), p.namespace));
    case 'restart_pod':
    case 'rollout_restart':
    case 'rollback_deployment':
    case 'scale_deployment':
    case 'patch_resources':
    case 'patch_image':
    case 'patch_probe':
    case 'patch_hpa': {
      const { cluster_name, dry_run, reason, idempotency_key, ...request } = p;
      return write(deps, cluster_name, request as ActionRequest, { dryRun: dry_run, reason, key: idempotency_key });
    }
    case 'execute_strategy':
      return executeStrategy(deps, p);
    case 'start_remediation':
      return read(await startRemediation(deps, p));
    case 'list_strategies': {
      const all = p.signature ? await deps.memory.strategies.listForSignature(p.signature) : await deps.memory.strategies.listAll();
      return read({ memoryNamespace: deps.memory.namespace, strategies: all.slice(0, p.limit ?? 100), total: all.length });
    }
    case 'list_episodes': {
      const episodes = await deps.memory.episodes.list({
        ...(p.cluster_name ? { cluster: p.cluster_name } : {}),
        ...(p.namespace ? { namespace: p.namespace } : {}),
        ...(p.signature ? { signature: p.signature } : {}),
        ...(p.outcome ? { outcome: p.outcome } : {}),
        limit: p.limit ?? 50,
      });
      return read({ memoryNamespace: deps.memory.namespace, episodes });
    }
    case 'clear_memory': {
      const strategies = p.scope === 'episodes' ? 0 : await deps.memory.strategies.clear();
      const episodes = p.scope === 'strategies' ? 0 : await deps.memory.episodes.clear();
      return read({ memoryNamespace: deps.memory.namespace, deleted: { strategies, episodes } });
    }
  }
}

const read = (result: unknown): Outcome => ({ result, dryRun: false });

function callPolicy(deps: AppDeps, dryRun: boolean | undefined): PolicyConfig {
  return { ...deps.policy, mode: effectiveMode(deps.policy.mode, dryRun ? 'dry-run' : undefined) };
}

/** The workload the lock is taken on: the same key the state machine's AcquireLock uses. */
async function lockTarget(cluster: Cluster, request: ActionRequest): Promise<{ kind: string; name: string } | undefined> {
  switch (request.action) {
    case 'escalate':
      return undefined;
    case 'restart_pod': {
      const { facts } = await podFacts(cluster, await cluster.getPod(request.namespace, request.pod));
      return { kind: facts.kind, name: facts.name };
    }
    case 'patch_hpa':
      return { kind: 'HorizontalPodAutoscaler', name: request.hpa };
    default:
      return { kind: 'Deployment', name: request.deployment };
  }
}

async function write(
  deps: AppDeps,
  clusterName: string,
  request: ActionRequest,
  options: { dryRun: boolean | undefined; reason: string | undefined; key: string | undefined },
): Promise<Outcome> {
  const cluster = await deps.cluster(clusterName);
  const policy = callPolicy(deps, options.dryRun);
  const actionId = options.key ? `api-${options.key}` : `api-${randomUUID()}`;
  const execDeps: ExecuteDeps = { cluster, policy, clock: deps.clock, logger: deps.logger, locks: deps.memory.locks };
  const reason = options.reason ?? 'requested through the action API';
  // A protected namespace is refused before the lock lookup reads anything in it.
  if (request.action !== 'escalate') refuseNamespaceEarly(execDeps, request.namespace);
  // Observe and dry-run write nothing, so they need no lock and must not block a running remediation.
  if (policy.mode !== 'enforce' || request.action === 'escalate') {
    const result = await executeAction(execDeps, request, { actionId, reason });
    return { result, dryRun: result.dryRun || policy.mode === 'dry-run' };
  }
  const target = await lockTarget(cluster, request);
  const key = target ? workloadKey(clusterName, request.namespace ?? '', target.kind, target.name) : undefined;
  const owner = `api:${actionId}`;
  if (key && !(await deps.memory.locks.acquire(key, owner, deps.policy.lockTtlSeconds, deps.clock.now()))) {
    throw new LockHeld(`${key}: another remediation of this workload is in progress; try again when it ends`);
  }
  try {
    const result = await executeAction(execDeps, request, { actionId, reason });
    return { result, dryRun: result.dryRun };
  } finally {
    if (key) await deps.memory.locks.release(key, owner);
  }
}

async function detectFailures(deps: AppDeps, clusterName: string, namespace?: string): Promise<unknown> {
  const cluster = await deps.cluster(clusterName);
  const snapshot = await cluster.snapshot(namespace ? { namespaces: [namespace] } : deps.policy.optInNamespaces.length > 0 ? { namespaces: deps.policy.optInNamespaces } : {});
  const { incidents, skipped } = detectIncidents(snapshot, {
    source: 'direct',
    protectedNamespaces: [...ALWAYS_PROTECTED_NAMESPACES, ...deps.policy.protectedNamespaces],
    optInNamespaces: deps.policy.optInNamespaces,
  });
  return { cluster: clusterName, takenAt: snapshot.takenAt, incidents, skipped };
}

async function incidentFor(deps: AppDeps, clusterName: string, namespace: string, match: (i: Incident) => boolean, what: string): Promise<Incident> {
  const { incidents } = (await detectFailures(deps, clusterName, namespace)) as { incidents: Incident[] };
  const incident = incidents.find(match);
  if (!incident) throw new ApiError('NOT_FOUND', `${what}: no current failure detected in namespace ${namespace}`);
  return incident;
}

async function analyzePod(deps: AppDeps, p: Payload<'analyze_pod'>): Promise<unknown> {
  const cluster = await deps.cluster(p.cluster_name);
  const pod = await cluster.getPod(p.namespace, p.pod);
  const { incidents } = (await detectFailures(deps, p.cluster_name, p.namespace)) as { incidents: Incident[] };
  const incident = incidents.find((i) => i.pods.includes(p.pod) || (i.target.kind === 'Pod' && i.target.name === p.pod));
  if (!incident) return { pod: summarisePod(pod), incident: null, analysis: null, message: 'no failure detected for this pod' };
  const lessons = await deps.memory.episodes.lessonsFor({ signature: incident.signature, kind: incident.kind, limit: 5 });
  const analysis = await deps.reasoner.analyse({ incident, lessons });
  return { pod: summarisePod(pod), incident, analysis, lessons };
}

function summarisePod(pod: Pod) {
  return {
    name: pod.metadata?.name,
    namespace: pod.metadata?.namespace,
    phase: pod.status?.phase,
    ready: pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
    restarts: podRestarts(pod),
    failures: podFailures(pod),
    node: pod.spec?.nodeName,
    containers: (pod.status?.containerStatuses ?? []).map((c) => ({
      name: c.name,
      image: c.image,
      ready: c.ready,
      restartCount: c.restartCount,
      state: c.state?.waiting ? `waiting: ${c.state.waiting.reason ?? ''}` : c.state?.terminated ? `terminated: ${c.state.terminated.reason ?? ''}` : c.state?.running ? 'running' : 'unknown',
      lastTermination: c.lastState?.terminated ? { reason: c.lastState.terminated.reason, exitCode: c.lastState.terminated.exitCode } : undefined,
    })),
  };
}

async function podStatus(cluster: Cluster, p: Payload<'pod_status'>): Promise<unknown> {
  if (p.pod) return { pods: [summarisePod(await cluster.getPod(p.namespace, p.pod))] };
  const pods = await cluster.listPods(p.namespace, p.label_selector);
  return { pods: pods.slice(0, 200).map(summarisePod), total: pods.length };
}

async function recentEvents(cluster: Cluster, p: Payload<'recent_events'>): Promise<unknown> {
  const limit = p.limit ?? 50;
  const events =
    p.kind && p.name
      ? await cluster.eventsFor(p.namespace, p.kind, p.name)
      : await cluster.listEvents(p.namespace);
  const time = (e: (typeof events)[number]) => Date.parse(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '') || 0;
  const newest = [...events].sort((a, b) => time(a) - time(b)).slice(-limit);
  return {
    events: newest.map((e) => ({
      object: `${e.involvedObject?.kind ?? '?'}/${e.involvedObject?.name ?? '?'}`,
      type: e.type,
      reason: e.reason,
      message: e.message?.slice(0, 1000),
      count: e.count,
      lastTimestamp: e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp,
    })),
  };
}

async function clusterMetrics(cluster: Cluster, namespace?: string): Promise<unknown> {
  const s = await cluster.snapshot(namespace ? { namespaces: [namespace] } : {});
  const phases: Record<string, number> = {};
  let restarts = 0;
  let failing = 0;
  for (const pod of s.pods) {
    const phase = pod.status?.phase ?? 'Unknown';
    phases[phase] = (phases[phase] ?? 0) + 1;
    restarts += podRestarts(pod);
    if (podFailures(pod).length > 0) failing += 1;
  }
  const nodesReady = s.nodes.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
  const deploymentsAvailable = s.deployments.filter((d) => (d.status?.availableReplicas ?? 0) >= (d.spec?.replicas ?? 1)).length;
  return {
    cluster: s.cluster,
    takenAt: s.takenAt,
    ...(namespace ? { namespace } : {}),
    nodes: { total: s.nodes.length, ready: nodesReady },
    pods: { total: s.pods.length, byPhase: phases, failing, restarts },
    deployments: { total: s.deployments.length, available: deploymentsAvailable },
    hpas: { total: s.hpas.length, atMax: s.hpas.filter((h) => (h.status?.currentReplicas ?? 0) >= (h.spec?.maxReplicas ?? Infinity)).length },
  };
}

const matchesTarget = (kind: string, name: string) => (i: Incident) => i.target.kind === kind && i.target.name === name;

async function executeStrategy(deps: AppDeps, p: Payload<'execute_strategy'>): Promise<Outcome> {
  const incident = await incidentFor(deps, p.cluster_name, p.namespace, matchesTarget(p.target_kind, p.target_name), 'target_name');
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
  const outcome = await write(deps, p.cluster_name, request, { dryRun: p.dry_run, reason: p.reason ?? `strategy ${strategy.id} for ${incident.signature}`, key: p.idempotency_key });
  return { result: { strategy: { id: strategy.id, action: strategy.action, source: strategy.source }, request, remediation: outcome.result }, dryRun: outcome.dryRun };
}

async function startRemediation(deps: AppDeps, p: Payload<'start_remediation'>): Promise<unknown> {
  if (!deps.workflow) throw new ApiError('UNAVAILABLE', 'start_remediation: this deployment has no workflow starter configured');
  const incident = await incidentFor(deps, p.cluster_name, p.namespace, matchesTarget(p.target_kind, p.target_name), 'target_name');
  const now = deps.clock.now();
  const name = executionName(incident, now);
  const { started, executionId } = await deps.workflow.start(name, initialState(deps, incident, name, now));
  return { started, executionId, signature: incident.signature, fingerprint: incident.fingerprint };
}
