import { PolicyViolation } from '../../domain/errors';
import type { Incident } from '../../domain/incident';
import type { Pod } from '../../domain/k8s';
import { namespaceRefusal } from '../../domain/policy';
import { ALWAYS_PROTECTED_NAMESPACES } from '../../domain/policy-config';
import { sanitise } from '../../domain/redact';
import { podFailures, podRestarts } from '../../domain/verify';
import type { AppDeps } from '../deps';
import { scanForIncidents } from '../incident-executions';
import { buildTrustReport, DEFAULT_TRUST_WINDOW_SECONDS } from '../trust/trust-report';
import { DEFAULT_PROMOTION_THRESHOLD } from '../../domain/trust';
import { configuredPolicy } from '../policy-source';
import { ApiError, read, type Handlers, type Payload } from './outcome';

/**
 * The action API's reads: nothing here writes to the cluster or to memory.
 * Reads obey the same namespace scope as writes (protected and opt-in), and
 * cluster text leaves only redacted.
 */

/** A read of one namespace is refused, before anything is read, where a write would be. */
async function refuseReadOutOfScope(deps: AppDeps, namespace: string | undefined): Promise<void> {
  if (namespace === undefined) return;
  const refusal = namespaceRefusal(await configuredPolicy(deps), namespace);
  if (refusal) throw new PolicyViolation(refusal.message, refusal.rule);
}

export type QueryName = 'detect_failures' | 'analyze_pod' | 'pod_status' | 'recent_events' | 'cluster_metrics' | 'list_strategies' | 'list_episodes' | 'trust_report';

export const QUERIES: Handlers<QueryName> = {
  detect_failures: async (deps, p) => {
    await refuseReadOutOfScope(deps, p.namespace);
    return read(await detectFailures(deps, p.cluster_name, p.namespace));
  },
  analyze_pod: async (deps, p) => {
    await refuseReadOutOfScope(deps, p.namespace);
    return read(await analyzePod(deps, p));
  },
  pod_status: async (deps, p) => {
    await refuseReadOutOfScope(deps, p.namespace);
    return read(await podStatus(deps, p));
  },
  recent_events: async (deps, p) => {
    await refuseReadOutOfScope(deps, p.namespace);
    return read(await recentEvents(deps, p));
  },
  cluster_metrics: async (deps, p) => {
    await refuseReadOutOfScope(deps, p.namespace);
    return read(await clusterMetrics(deps, p));
  },
  list_strategies: async (deps, p) => {
    const all = p.signature ? await deps.memory.strategies.listForSignature(p.signature) : await deps.memory.strategies.listAll();
    return read({ memoryNamespace: deps.memory.namespace, strategies: all.slice(0, p.limit ?? 100), total: all.length });
  },
  list_episodes: async (deps, p) => {
    const episodes = await deps.memory.episodes.list({
      ...(p.cluster_name ? { cluster: p.cluster_name } : {}),
      ...(p.namespace ? { namespace: p.namespace } : {}),
      ...(p.signature ? { signature: p.signature } : {}),
      ...(p.outcome ? { outcome: p.outcome } : {}),
      limit: p.limit ?? 50,
    });
    return read({ memoryNamespace: deps.memory.namespace, episodes });
  },
  trust_report: async (deps, p) => {
    await refuseReadOutOfScope(deps, p.namespace);
    const d = DEFAULT_PROMOTION_THRESHOLD;
    const report = await buildTrustReport(deps, {
      ...(p.since ? { since: new Date(p.since) } : {}),
      ...(p.cluster_name ? { cluster: p.cluster_name } : {}),
      ...(p.namespace ? { namespace: p.namespace } : {}),
      windowSeconds: p.window_seconds ?? DEFAULT_TRUST_WINDOW_SECONDS,
      threshold: { minN: p.min_n ?? d.minN, minAgreementLow: p.min_agreement_low ?? d.minAgreementLow, minRecoveryLow: p.min_recovery_low ?? d.minRecoveryLow },
    });
    return read({ memoryNamespace: deps.memory.namespace, ...report });
  },
};

interface Detected {
  cluster: string;
  takenAt: string;
  incidents: Incident[];
  skipped: { object: string; why: string }[];
}

async function detectFailures(deps: AppDeps, clusterName: string, namespace?: string): Promise<Detected> {
  const cluster = await deps.cluster(clusterName);
  const { snapshot, incidents, skipped } = await scanForIncidents(deps, cluster, { source: 'direct', ...(namespace ? { namespace } : {}) });
  return { cluster: clusterName, takenAt: snapshot.takenAt, incidents, skipped };
}

/** The target's current incident, or NOT_FOUND (execute_strategy and start_remediation act on it). */
export async function currentIncident(deps: AppDeps, p: { cluster_name: string; namespace: string; target_kind: string; target_name: string }): Promise<Incident> {
  const { incidents } = await detectFailures(deps, p.cluster_name, p.namespace);
  const incident = incidents.find((i) => i.target.kind === p.target_kind && i.target.name === p.target_name);
  if (!incident) throw new ApiError('NOT_FOUND', `target_name: no current failure detected in namespace ${p.namespace}`);
  return incident;
}

async function analyzePod(deps: AppDeps, p: Payload<'analyze_pod'>): Promise<unknown> {
  const cluster = await deps.cluster(p.cluster_name);
  const pod = await cluster.getPod(p.namespace, p.pod);
  const { incidents } = await detectFailures(deps, p.cluster_name, p.namespace);
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

async function podStatus(deps: AppDeps, p: Payload<'pod_status'>): Promise<unknown> {
  const cluster = await deps.cluster(p.cluster_name);
  if (p.pod) return { pods: [summarisePod(await cluster.getPod(p.namespace, p.pod))] };
  const pods = await cluster.listPods(p.namespace, p.label_selector);
  // An empty list from a namespace that does not exist is NOT_FOUND, as docs/actions.md says, not "ok, 0 pods".
  if (pods.length === 0) await cluster.getNamespace(p.namespace);
  return { pods: pods.slice(0, 200).map(summarisePod), total: pods.length };
}

async function recentEvents(deps: AppDeps, p: Payload<'recent_events'>): Promise<unknown> {
  const cluster = await deps.cluster(p.cluster_name);
  const limit = p.limit ?? 50;
  const events = p.kind && p.name ? await cluster.eventsFor(p.namespace, p.kind, p.name) : await cluster.listEvents(p.namespace);
  const time = (e: (typeof events)[number]) => Date.parse(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '') || 0;
  const newest = [...events].sort((a, b) => time(a) - time(b)).slice(-limit);
  return {
    events: newest.map((e) => ({
      object: `${e.involvedObject?.kind ?? '?'}/${e.involvedObject?.name ?? '?'}`,
      type: e.type,
      reason: e.reason,
      message: e.message === undefined ? undefined : sanitise(e.message, 1000),
      count: e.count,
      lastTimestamp: e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp,
    })),
  };
}

async function clusterMetrics(deps: AppDeps, p: Payload<'cluster_metrics'>): Promise<unknown> {
  const cluster = await deps.cluster(p.cluster_name);
  const namespace = p.namespace;
  const policy = await configuredPolicy(deps);
  const s = await cluster.snapshot(namespace ? { namespaces: [namespace] } : policy.optInNamespaces.length > 0 ? { namespaces: [...policy.optInNamespaces] } : {});
  // A whole-cluster count leaves protected namespaces out, as every other read does.
  const protectedNames = new Set<string>([...ALWAYS_PROTECTED_NAMESPACES, ...policy.protectedNamespaces]);
  const inScope = <T extends { metadata?: { namespace?: string } }>(items: T[]) => items.filter((o) => !protectedNames.has(o.metadata?.namespace ?? ''));
  s.pods = inScope(s.pods);
  s.deployments = inScope(s.deployments);
  s.hpas = inScope(s.hpas);
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
