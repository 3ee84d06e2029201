import { detectIncidents } from '../../domain/detectors';
import { ALWAYS_PROTECTED_NAMESPACES } from '../../domain/policy-config';
import type { Incident } from '../../domain/incident';
import type { WorkflowStateInput } from '../../domain/workflow-state';
import type { AppDeps } from '../deps';

export interface DetectSummary {
  cluster: string;
  incidents: number;
  started: { executionId: string; signature: string; target: string }[];
  alreadyRunning: string[];
  skipped: { object: string; why: string }[];
  errors: { cluster: string; error: string }[];
}

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

/**
 * The scheduled detector: scan every configured cluster, group failures into
 * incidents, and start one execution per incident. A cluster that cannot be
 * read is reported and does not stop the scan of the others.
 */
export async function detectStep(deps: AppDeps, source: Incident['source'] = 'schedule'): Promise<DetectSummary[]> {
  if (!deps.workflow) throw new Error('detect: no workflow starter configured');
  const summaries: DetectSummary[] = [];
  for (const clusterName of deps.clusterNames) {
    const summary: DetectSummary = { cluster: clusterName, incidents: 0, started: [], alreadyRunning: [], skipped: [], errors: [] };
    summaries.push(summary);
    try {
      const cluster = await deps.cluster(clusterName);
      const snapshot = await cluster.snapshot(deps.policy.optInNamespaces.length > 0 ? { namespaces: deps.policy.optInNamespaces } : {});
      const { incidents, skipped } = detectIncidents(snapshot, {
        source,
        protectedNamespaces: [...ALWAYS_PROTECTED_NAMESPACES, ...deps.policy.protectedNamespaces],
        optInNamespaces: deps.policy.optInNamespaces,
      });
      summary.incidents = incidents.length;
      summary.skipped = skipped;
      for (const object of skipped) deps.logger.info('skipped object', { ...object });
      for (const incident of incidents) {
        const now = deps.clock.now();
        const name = executionName(incident, now);
        const { started } = await deps.workflow.start(name, initialState(deps, incident, name, now));
        const target = `${incident.namespace}/${incident.target.kind}/${incident.target.name}`;
        if (started) {
          summary.started.push({ executionId: name, signature: incident.signature, target });
          await deps.events.publish('IncidentDetected', {
            executionId: name,
            cluster: incident.cluster,
            target,
            signature: incident.signature,
            fingerprint: incident.fingerprint,
            message: incident.message.slice(0, 500),
          });
        } else {
          summary.alreadyRunning.push(name);
        }
      }
    } catch (error) {
      const e = error as Error;
      deps.logger.error('detection failed for cluster', { cluster: clusterName, error: e.name, message: e.message });
      summary.errors.push({ cluster: clusterName, error: `${e.name}: ${e.message}` });
    }
  }
  return summaries;
}
