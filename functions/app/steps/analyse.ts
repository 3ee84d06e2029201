import type { Incident } from '../../domain/incident';
import { KubeError } from '../../domain/errors';
import type { Cluster } from '../../ports/cluster';
import { incidentFeatures } from '../../domain/lessons';
import { sanitise } from '../../domain/redact';
import type { AppDeps } from '../deps';
import { addUsage, checkState, clusterFor, parseState } from './state';

const MAX_LOG_PODS = 2;
const LOG_BYTES = 4096;

/**
 * Analyse: completes the evidence with bounded log tails (logs are not in the
 * detection snapshot: they are expensive and only needed for real incidents),
 * retrieves lessons of similar past incidents, and asks the reasoner.
 */
export async function analyseStep(deps: AppDeps, input: unknown): Promise<unknown> {
  const state = parseState(input, 'Analyse');
  const cluster = await clusterFor(deps, state.incident.cluster);
  const incident = await withLogs(deps, cluster, state.incident);
  const lessons = await deps.memory.episodes.lessonsFor({
    signature: incident.signature,
    kind: incident.kind,
    features: incidentFeatures(incident),
    limit: 5,
  });
  const analysis = await deps.reasoner.analyse({ incident, lessons });
  deps.logger.info('analysed', { signature: incident.signature, hypotheses: analysis.hypotheses.length, lessons: lessons.length });
  return checkState({ ...state, incident, analysis, lessons, usage: addUsage(state.usage, analysis.usage) }, 'Analyse');
}

async function withLogs(deps: AppDeps, cluster: Cluster, incident: Incident): Promise<Incident> {
  if (incident.evidence.logs.length > 0) return incident;
  const logs: Incident['evidence']['logs'] = [];
  const failing = incident.evidence.containers.filter(
    (c) => incident.pods.slice(0, MAX_LOG_PODS).includes(c.pod) && (c.ready === false || (c.restartCount ?? 0) > 0),
  );
  for (const c of failing.slice(0, 4)) {
    // A container that restarted has its crash in the previous instance's log.
    const previous = (c.restartCount ?? 0) > 0;
    try {
      const text = await cluster.readLog(incident.namespace, c.pod, c.container, { previous, limitBytes: LOG_BYTES, tailLines: 50 });
      // Redacted as captured: the log enters the workflow state, the execution history and the episode.
      if (text.trim().length > 0) logs.push({ pod: c.pod, container: c.container, previous, text: sanitise(text, LOG_BYTES, 'tail') });
    } catch (error) {
      // No log (image never pulled, pod gone) is normal evidence, not a failure of the analysis.
      if (!(error instanceof KubeError)) throw error;
      deps.logger.debug('no log', { pod: c.pod, container: c.container, error: error.name });
    }
  }
  return { ...incident, evidence: { ...incident.evidence, logs } };
}
