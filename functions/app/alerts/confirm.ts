import { ALWAYS_PROTECTED_NAMESPACES } from '../../domain/policy-config';
import type { Incident } from '../../domain/incident';
import type { Episode } from '../../domain/model';
import type { NormalizedAlert } from '../../domain/alerts/types';
import type { AppDeps } from '../deps';
import { executionName, scanForIncidents, startIncidentExecution } from '../incident-executions';
import { noteRecurrenceBeforeStart } from '../recurrence';

export interface StartedIncident {
  alert: { system: string; id: string };
  executionId: string;
  /** False when an execution of that name already exists: a duplicate delivery or a detection that came first. */
  started: boolean;
  signature: string;
  target: string;
}

export interface IgnoredAlert {
  alert: { system: string; id: string; title: string };
  why: string;
}

export interface ResolvedAlert {
  alert: { system: string; id: string };
  /** The incident it was about, when memory has an episode for the named workload. */
  incident?: { executionId: string; episodeId: string; outcome: string; signature: string };
}

export interface Confirmation {
  incidents: StartedIncident[];
  ignored: IgnoredAlert[];
  resolved: ResolvedAlert[];
  /** Resolved episodes whose failure an alert confirmed again within the recurrence window (now counted as failures, app/recurrence). */
  recurred: string[];
}

const ref = (a: NormalizedAlert) => ({ system: a.system, id: a.id });
const targetText = (i: Incident) => `${i.namespace}/${i.target.kind}/${i.target.name}`;

/** Does this incident concern what the alert names? A pod matches the workload incident it belongs to. */
function matches(incident: Incident, alert: NormalizedAlert): boolean {
  const { workload, pod } = alert.target;
  if (workload && incident.target.kind === workload.kind && incident.target.name === workload.name) return true;
  if (pod && (incident.pods.includes(pod) || (incident.target.kind === 'Pod' && incident.target.name === pod))) return true;
  return false;
}

/** Why an alert cannot lead to a targeted detection, or undefined when it can. */
function refusal(deps: AppDeps, alert: NormalizedAlert, cluster: string | undefined): string | undefined {
  const { namespace, workload, pod } = alert.target;
  if (!cluster) {
    return alert.target.cluster
      ? `cluster '${alert.target.cluster}' is not one this deployment watches (${deps.clusterNames.join(', ')})`
      : `no cluster label and ${deps.clusterNames.length} clusters are configured: add a cluster label (see the label mapping)`;
  }
  if (!namespace) return 'the alert names no namespace (no namespace label under the mapping)';
  if (!workload && !pod) return `the alert names no workload or pod in ${namespace} (no deployment, statefulset or pod label under the mapping)`;
  const protectedNs = [...ALWAYS_PROTECTED_NAMESPACES, ...deps.policy.protectedNamespaces];
  if (protectedNs.includes(namespace)) return `namespace ${namespace} is protected: never remediated`;
  if (deps.policy.optInNamespaces.length > 0 && !deps.policy.optInNamespaces.includes(namespace)) {
    return `namespace ${namespace} is not opted in (${deps.policy.optInNamespaces.join(', ')})`;
  }
  return undefined;
}

function clusterOf(deps: AppDeps, alert: NormalizedAlert): string | undefined {
  const named = alert.target.cluster;
  if (named) return deps.clusterNames.includes(named) ? named : undefined;
  return deps.clusterNames.length === 1 ? deps.clusterNames[0] : undefined;
}

/**
 * An alert never decides by itself: each firing alert that names a workload
 * leads to a targeted snapshot of its namespace, the detectors decide whether
 * there is an incident, and only their incidents start executions — with the
 * scheduler's idempotent names, so a duplicate delivery (or an alert about an
 * incident the schedule already found) starts nothing more. A confirmed
 * incident that comes back soon after a resolved trial counts as that
 * trial's failure, exactly as in detection (app/recurrence). One snapshot per
 * cluster/namespace per delivery.
 */
export async function confirmAlerts(deps: AppDeps, alerts: readonly NormalizedAlert[]): Promise<Confirmation> {
  if (!deps.workflow) throw new Error('alerts: no workflow starter configured');
  const out: Confirmation = { incidents: [], ignored: [], resolved: [], recurred: [] };
  const byScope = new Map<string, { cluster: string; namespace: string; alerts: NormalizedAlert[] }>();
  const episodesIn = onePerNamespace(deps);

  for (const alert of alerts) {
    const ignore = (why: string) => out.ignored.push({ alert: { ...ref(alert), title: alert.title }, why });
    if (alert.status === 'resolved') {
      out.resolved.push(await recordResolved(deps, alert, episodesIn));
      continue;
    }
    if (alert.status !== 'firing') {
      ignore(`status '${alert.vendorStatus}' is not a firing alert: nothing to confirm`);
      continue;
    }
    const cluster = clusterOf(deps, alert);
    const why = refusal(deps, alert, cluster);
    if (why || !cluster) {
      ignore(why ?? 'no cluster');
      continue;
    }
    const namespace = alert.target.namespace!;
    const key = `${cluster}\u001f${namespace}`;
    const scope = byScope.get(key) ?? { cluster, namespace, alerts: [] };
    scope.alerts.push(alert);
    byScope.set(key, scope);
  }

  const startedNames = new Set<string>();
  for (const scope of byScope.values()) {
    let incidents: Incident[];
    try {
      const cluster = await deps.cluster(scope.cluster);
      incidents = (await scanForIncidents(deps, cluster, { source: 'alert', namespace: scope.namespace })).incidents;
    } catch (error) {
      const e = error as Error;
      deps.logger.error('targeted detection failed', { cluster: scope.cluster, namespace: scope.namespace, error: e.name });
      for (const alert of scope.alerts) out.ignored.push({ alert: { ...ref(alert), title: alert.title }, why: `could not read ${scope.cluster}/${scope.namespace}: ${e.name}: ${e.message.slice(0, 200)}` });
      continue;
    }
    for (const alert of scope.alerts) {
      const found = incidents.filter((i) => matches(i, alert));
      if (found.length === 0) {
        const named = alert.target.workload ? `${alert.target.workload.kind} ${alert.target.workload.name}` : `pod ${alert.target.pod}`;
        out.ignored.push({ alert: { ...ref(alert), title: alert.title }, why: `the detectors find ${scope.namespace}/${named} healthy (no failure of a known kind): nothing started` });
        continue;
      }
      for (const found1 of found) {
        const name = executionName(found1, deps.clock.now(), deps.policy.mode);
        const incident: Incident = { ...found1, alert: { ...ref(alert), ...(alert.link ? { link: alert.link } : {}) } };
        // Two alerts of one delivery about one workload (a group of pods) start one execution.
        const first = !startedNames.has(name);
        // Before the start, as the detector does: a resolved trial of this fingerprint within the window counts as failed.
        if (first) out.recurred.push(...(await noteRecurrenceBeforeStart(deps, incident)));
        const started = first ? (await startIncidentExecution(deps, incident)).started : false;
        startedNames.add(name);
        out.incidents.push({ alert: ref(alert), executionId: name, started, signature: incident.signature, target: targetText(incident) });
        if (started) {
          await deps.events.publish('IncidentDetected', {
            executionId: name,
            cluster: incident.cluster,
            target: targetText(incident),
            signature: incident.signature,
            fingerprint: incident.fingerprint,
            message: incident.message.slice(0, 500),
            alert: incident.alert,
          });
        }
      }
    }
  }
  for (const ignored of out.ignored) await deps.events.publish('AlertIgnored', { alert: ignored.alert, why: ignored.why });
  return out;
}

type EpisodesIn = (cluster: string, namespace: string) => Promise<Episode[]>;

/** The newest episodes of a namespace, read once per delivery however many of its alerts resolve there. */
function onePerNamespace(deps: AppDeps): EpisodesIn {
  const read = new Map<string, Promise<Episode[]>>();
  return (cluster, namespace) => {
    const key = `${cluster}\u001f${namespace}`;
    let episodes = read.get(key);
    if (!episodes) read.set(key, (episodes = deps.memory.episodes.list({ cluster, namespace, limit: 50 })));
    return episodes;
  };
}

/** A resolved alert is recorded (bus event) against the newest episode of the workload it names, if any. */
async function recordResolved(deps: AppDeps, alert: NormalizedAlert, episodesIn: EpisodesIn): Promise<ResolvedAlert> {
  const cluster = clusterOf(deps, alert);
  const { namespace } = alert.target;
  let incident: ResolvedAlert['incident'];
  if (cluster && namespace && (alert.target.workload || alert.target.pod)) {
    const episodes = await episodesIn(cluster, namespace);
    const mine = episodes.filter((e) => matches(e.incident, alert)).sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1))[0];
    if (mine) incident = { executionId: mine.executionId, episodeId: mine.episodeId, outcome: mine.outcome, signature: mine.signature };
  }
  await deps.events.publish('AlertResolved', { alert: { ...ref(alert), ...(alert.link ? { link: alert.link } : {}) }, target: alert.target, ...(incident ? { incident } : {}) });
  return { alert: ref(alert), ...(incident ? { incident } : {}) };
}
