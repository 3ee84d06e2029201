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
} from '../../domain/errors';
import type { PolicyConfig } from '../../domain/policy-config';
import { describeZodIssueText } from '../../domain/zod-issue';
import { ActionNotApplicable, TargetNotFound } from '../actions/common';
import { API_ACTIONS, buildPayloadSchemas, type ActionApiResponse, type ApiActionName, type ErrorCode, type PayloadSchemas } from '../action-api-schema';
import type { AppDeps } from '../deps';
import { canonicalPayload } from './aliases';
import { APPROVALS } from './approvals';
import { COMMANDS } from './commands';
import { ApiError, type Handlers, type Outcome } from './outcome';
import { QUERIES } from './queries';

export type { ActionApiResponse } from '../action-api-schema';

/** Every action's handler; a name in API_ACTIONS without one is a compile error. */
const HANDLERS: Handlers<ApiActionName> = { ...QUERIES, ...COMMANDS, ...APPROVALS };

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

/** `field: problem`, in words an operator reads without knowing zod (functions/domain/zod-issue.ts). */
export const describeIssue = describeZodIssueText;

/**
 * The direct action API (docs/actions.md): validates the payload with its
 * action's schema, checks the cluster name, hands it to the action's query
 * or command, and answers `{ok: true, ...}` or `{ok: false, error: {code,
 * message}}`. It never throws.
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
    const parsed = schemasFor(deps.policy)[name].safeParse(canonicalPayload(payload as Record<string, unknown>));
    if (!parsed.success) return fail('INVALID_PAYLOAD', parsed.error.issues.slice(0, 5).map(describeIssue).join('; '));
    const data = parsed.data as { cluster_name?: string };
    if (data.cluster_name !== undefined && !deps.clusterNames.includes(data.cluster_name)) {
      return fail('UNKNOWN_CLUSTER', `cluster_name: '${data.cluster_name}' is not configured (configured: ${deps.clusterNames.join(', ')})`);
    }
    const handler = HANDLERS[name] as (deps: AppDeps, payload: unknown) => Promise<Outcome>;
    const { result, dryRun } = await handler(deps, parsed.data);
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

/**
 * The payload checks that need nothing but the policy (shape, aliases,
 * bounds): an error answer, or undefined when the payload is well formed.
 * `invoke` runs it before reading a kubeconfig, so a bad payload is answered
 * offline. Whether cluster_name is configured is left to the full check.
 */
export function checkPayloadOffline(policy: PolicyConfig, payload: unknown): ActionApiResponse | undefined {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return fail('INVALID_PAYLOAD', 'payload: expected a JSON object');
  const action = (payload as Record<string, unknown>).action;
  if (typeof action !== 'string') return fail('INVALID_PAYLOAD', 'action: expected a string naming the action');
  if (!(API_ACTIONS as readonly string[]).includes(action)) {
    return fail('UNKNOWN_ACTION', `action: '${action.slice(0, 100)}' is not an action (one of ${API_ACTIONS.join(', ')})`);
  }
  let canonical: Record<string, unknown>;
  try {
    canonical = canonicalPayload(payload as Record<string, unknown>);
  } catch (error) {
    return fail('INVALID_PAYLOAD', (error as Error).message);
  }
  const parsed = schemasFor(policy)[action as ApiActionName].safeParse(canonical);
  return parsed.success ? undefined : fail('INVALID_PAYLOAD', parsed.error.issues.slice(0, 5).map(describeIssue).join('; '));
}

function toErrorResponse(deps: AppDeps, error: unknown): ActionApiResponse {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ApiError) return fail(error.code, message);
  if (error instanceof ValidationError) return fail('INVALID_PAYLOAD', message);
  // A container that is not in the workload is a missing object (docs/actions.md), not a policy refusal.
  if (error instanceof PolicyViolation && error.rule === 'unknown-container') return fail('NOT_FOUND', message);
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
