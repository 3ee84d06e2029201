import { detectIncidents, type DetectResult } from '../domain/detectors';
import type { Incident } from '../domain/incident';
import { ALWAYS_PROTECTED_NAMESPACES } from '../domain/policy-config';
import type { ClusterSnapshot } from '../domain/k8s';
import type { WorkflowStateInput } from '../domain/workflow-state';
import type { Cluster } from '../ports/cluster';
import type { AppDeps } from './deps';

/**
 * Incidents and their executions, shared by the scheduled detector and the
 * action API (detect_failures, start_remediation): one scan rule (opt-in
 * and protected namespaces), one execution name, one initial state.
 */

/** One hour: a persisting failure may be retried at most once an hour (and the policy's cap still applies). */
const DEDUP_WINDOW_SECONDS = 3600;

/**
 * Execution name for an incident: the same failure on the same workload
 * within the dedup window always gets the same name, so repeated detections
 * cannot start a second execution (Step Functions refuses duplicate names).
 */
export function executionName(incident: Pick<Incident, 'fingerprint'>, now: Date): string {
  const bucket = Math.floor(now.getTime() / 1000 / DEDUP_WINDOW_SECONDS);
  return `inc-${incident.fingerprint.slice(0, 32)}-${bucket}`;
}

export function initialState(deps: Pick<AppDeps, 'policy'>, incident: Incident, executionId: string, now: Date): WorkflowStateInput {
  return {
    executionId,
    incident,
    mode: deps.policy.mode,
    trial: 1,
    maxTrials: deps.policy.maxTrials,
    startedAt: now.toISOString(),
    reflections: [],
    tried: [],
  };
}

/** Starts (or finds already running) the execution for an incident; `executionId` is what the starter answers (an ARN on AWS). */
export async function startIncidentExecution(
  deps: Pick<AppDeps, 'policy' | 'clock' | 'workflow'>,
  incident: Incident,
): Promise<{ started: boolean; executionId: string; name: string }> {
  if (!deps.workflow) throw new Error('no workflow starter configured');
  const now = deps.clock.now();
  const name = executionName(incident, now);
  const { started, executionId } = await deps.workflow.start(name, initialState(deps, incident, name, now));
  return { started, executionId, name };
}

export interface ScanResult extends DetectResult {
  snapshot: ClusterSnapshot;
}

/**
 * Snapshot of the opt-in namespaces (or of one namespace) and the incidents
 * in it; objects in protected or not-opted-in namespaces are skipped.
 */
export async function scanForIncidents(
  deps: Pick<AppDeps, 'policy'>,
  cluster: Cluster,
  options: { source: Incident['source']; namespace?: string },
): Promise<ScanResult> {
  const { policy } = deps;
  const scope = options.namespace ? { namespaces: [options.namespace] } : policy.optInNamespaces.length > 0 ? { namespaces: policy.optInNamespaces } : {};
  const snapshot = await cluster.snapshot(scope);
  const { incidents, skipped } = detectIncidents(snapshot, {
    source: options.source,
    protectedNamespaces: [...ALWAYS_PROTECTED_NAMESPACES, ...policy.protectedNamespaces],
    optInNamespaces: policy.optInNamespaces,
  });
  return { snapshot, incidents, skipped };
}
