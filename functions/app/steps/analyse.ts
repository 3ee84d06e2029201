import type { Incident } from '../../domain/incident';
import { KubeError } from '../../domain/errors';
import type { Cluster } from '../../ports/cluster';
import { lastRuns, observeRollout, specDigests, teamOf, type ObservedContext } from '../../domain/features';
import { incidentFeatures } from '../../domain/lessons';
import { sanitise } from '../../domain/redact';
import type { AppDeps } from '../deps';
import { selectorOf } from '../../domain/workload';
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
  const reasoned = await deps.reasoner.analyse({ incident, lessons });
  const analysis = { ...reasoned, context: await observe(deps, cluster, incident) };
  deps.logger.info('analysed', { signature: incident.signature, hypotheses: analysis.hypotheses.length, lessons: lessons.length });
  return checkState({ ...state, incident, analysis, lessons, usage: addUsage(state.usage, analysis.usage) }, 'Analyse');
}

const MAX_RUN_PODS = 4;

/**
 * What the detection snapshot lacks and selection conditions on
 * (domain/features): the namespace's team label, what the current revision
 * changed against the previous one, the workload's spec digests, and how long
 * the failing containers ran before they last ended. Bounded (a few reads,
 * categorical results, no free text). A read that is refused or finds nothing
 * leaves its part out: features then say `unknown`/`none`.
 */
async function observe(deps: AppDeps, cluster: Cluster, incident: Incident): Promise<ObservedContext> {
  const context: ObservedContext = { lastRunSeconds: [] };
  const tolerate = async (what: string, read: () => Promise<void>) => {
    try {
      await read();
    } catch (error) {
      if (!(error instanceof KubeError)) throw error;
      deps.logger.debug('context not observed', { what, error: error.name });
    }
  };
  await tolerate('namespace', async () => {
    const team = teamOf(await cluster.getNamespace(incident.namespace));
    if (team) context.team = team;
  });
  if (incident.target.kind === 'Deployment') {
    await tolerate('rollout', async () => {
      const deployment = await cluster.getDeployment(incident.namespace, incident.target.name);
      context.spec = specDigests(deployment);
      const selector = selectorOf(deployment);
      // Without a selector its ReplicaSets cannot be told from others: no rollout facts rather than a guess.
      if (!selector) return;
      const rollout = observeRollout(deployment, await cluster.listReplicaSets(incident.namespace, selector));
      if (rollout) context.rollout = rollout;
    });
  }
  const failing = incident.evidence.containers.filter((c) => !c.init && c.ready !== true).map((c) => c.container);
  for (const pod of incident.pods.slice(0, MAX_RUN_PODS)) {
    await tolerate('pod', async () => {
      context.lastRunSeconds.push(...lastRuns([await cluster.getPod(incident.namespace, pod)], failing));
    });
  }
  context.lastRunSeconds = context.lastRunSeconds.slice(0, 8);
  return context;
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
