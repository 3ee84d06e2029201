import { detectIncidents, type DetectResult } from '../domain/detectors';
import type { Incident } from '../domain/incident';
import { k8sgptFindings, withK8sgptEvidence } from '../domain/k8sgpt';
import { ALWAYS_PROTECTED_NAMESPACES, executionBudget, type Mode } from '../domain/policy-config';
import type { ClusterSnapshot } from '../domain/k8s';
import type { WorkflowStateInput } from '../domain/workflow-state';
import type { Cluster } from '../ports/cluster';
import type { AppDeps } from './deps';

/**
 * Incidents and their executions, shared by the scheduled detector and the
 * action API (detect_failures, start_remediation): one scan rule (opt-in
 * and protected namespaces), one execution name, one initial state.
 */

/** A persisting failure gets a new execution at most this often after one ended normally (the policy's cap still applies). */
export const DEDUP_WINDOW_SECONDS = 3600;
/** After an execution that ended early (workload locked by another, an error), the failure may start again this soon. */
export const EARLY_END_BACKOFF_SECONDS = 300;
/** Step Functions' limit on execution names. */
const MAX_NAME = 80;

const slug = (text: string, max: number) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/, '');

/**
 * Execution name for an incident, readable in the Step Functions console:
 * namespace, workload, signature, a short fingerprint, then the mode's
 * initial and the detection minute. Unique per detection pass and mode (an
 * observe run and a later enforce run never share a name, so neither's
 * episodes can be taken for the other's); whether a new execution may start
 * at all is the start claim's decision (startIncidentExecution), not the
 * name's. At most 80 characters of [a-z0-9-].
 */
export function executionName(incident: Pick<Incident, 'fingerprint' | 'namespace' | 'target' | 'signature'>, now: Date, mode: Mode): string {
  const tail = `-${incident.fingerprint.slice(0, 8)}-${mode.charAt(0)}${Math.floor(now.getTime() / 60_000).toString(36)}`;
  const room = MAX_NAME - tail.length;
  const parts = [slug(incident.namespace, 20), slug(incident.target.name, 30), slug(incident.signature, 40)].filter((p) => p.length > 0);
  return `${slug(parts.join('-'), room)}${tail}`;
}

/**
 * Key of an incident's start claim: one execution per failure and mode at a
 * time, held from its start until its end (the lock step shortens it then:
 * to the dedup window after a normal end, to a short back-off after an early
 * one), so neither a clock-hour boundary nor a repeated detection starts a
 * second execution, and an early end does not silence the failure for an hour.
 */
export function startClaimKey(incident: Pick<Incident, 'cluster' | 'fingerprint'>, mode: Mode): string {
  return `start/${incident.cluster}/${incident.fingerprint}/${mode}`;
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
  deps: Pick<AppDeps, 'policy' | 'clock' | 'workflow' | 'memory'>,
  incident: Incident,
): Promise<{ started: boolean; executionId: string; name: string }> {
  if (!deps.workflow) throw new Error('no workflow starter configured');
  const now = deps.clock.now();
  const name = executionName(incident, now, deps.policy.mode);
  // The claim outlives the execution's hard stop; its owner is the execution's name.
  const claimed = await deps.memory.locks.acquire(startClaimKey(incident, deps.policy.mode), name, executionBudget(deps.policy).lockTtlSeconds, now);
  if (!claimed) return { started: false, executionId: name, name };
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
  const { incidents: found, skipped } = detectIncidents(snapshot, {
    source: options.source,
    protectedNamespaces: [...ALWAYS_PROTECTED_NAMESPACES, ...policy.protectedNamespaces],
    optInNamespaces: policy.optInNamespaces,
  });
  // K8sGPT's findings add evidence to the incidents the detectors found; they never make one.
  const incidents = withK8sgptEvidence(found, k8sgptFindings(snapshot.k8sgptResults ?? []));
  return { snapshot, incidents, skipped };
}
