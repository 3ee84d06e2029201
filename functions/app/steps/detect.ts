import type { Incident } from '../../domain/incident';
import type { AppDeps } from '../deps';
import { scanForIncidents, startIncidentExecution } from '../incident-executions';
import { noteRecurrenceBeforeStart } from '../recurrence';

export interface DetectSummary {
  cluster: string;
  incidents: number;
  started: { executionId: string; kind: Incident['kind']; signature: string; target: string }[];
  /** Pods in the scanned snapshot, and how long the scan (read + detectors) took: for the scan metrics. */
  podsScanned: number;
  scanMs: number;
  alreadyRunning: string[];
  skipped: { object: string; why: string }[];
  /** Resolved episodes whose failure this scan found again within the recurrence window (now counted as failures). */
  recurred: string[];
  errors: { cluster: string; error: string }[];
}

/**
 * The scheduled detector: scan every configured cluster, group failures into
 * incidents, count a failure that came back soon after a resolved trial as
 * that trial's failure (app/recurrence), and start one execution per incident. A cluster that cannot be
 * read is reported and does not stop the scan of the others.
 */
export async function detectStep(deps: AppDeps, source: Incident['source'] = 'schedule'): Promise<DetectSummary[]> {
  if (!deps.workflow) throw new Error('detect: no workflow starter configured');
  const summaries: DetectSummary[] = [];
  for (const clusterName of deps.clusterNames) {
    const summary: DetectSummary = { cluster: clusterName, incidents: 0, started: [], alreadyRunning: [], skipped: [], recurred: [], errors: [], podsScanned: 0, scanMs: 0 };
    summaries.push(summary);
    try {
      const cluster = await deps.cluster(clusterName);
      const scanStart = deps.clock.now().getTime();
      const { snapshot, incidents, skipped } = await scanForIncidents(deps, cluster, { source });
      summary.scanMs = deps.clock.now().getTime() - scanStart;
      summary.podsScanned = snapshot.pods.length;
      summary.incidents = incidents.length;
      summary.skipped = skipped;
      for (const object of skipped) deps.logger.info('skipped object', { ...object });
      for (const incident of incidents) {
        // Before the start: the new execution's selection already counts the masked success as a failure.
        summary.recurred.push(...(await noteRecurrenceBeforeStart(deps, incident)));
        const { started, name } = await startIncidentExecution(deps, incident);
        const target = `${incident.namespace}/${incident.target.kind}/${incident.target.name}`;
        if (started) {
          summary.started.push({ executionId: name, kind: incident.kind, signature: incident.signature, target });
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
