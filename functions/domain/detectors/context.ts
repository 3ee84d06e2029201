import type { RolloutRevision } from '../incident';
import type { ClusterSnapshot, Deployment, KubeEvent, KubeObject, Pod } from '../k8s';
import { resolveWorkload, rolloutHistory, type ResolvedWorkload } from '../workload';
import { eventTime } from './common';
import type { DetectContext } from './types';

function byNamespace<T extends KubeObject>(objects: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const o of objects) {
    const ns = o.metadata?.namespace ?? '';
    const list = out.get(ns);
    if (list) list.push(o);
    else out.set(ns, [o]);
  }
  return out;
}

// Indexes keep a 10 000-pod scan linear: owner lookups and rollout history
// only ever look inside one namespace (owners cannot cross namespaces).
export function buildContext(snapshot: ClusterSnapshot): DetectContext {
  const events = new Map<string, KubeEvent[]>();
  for (const e of snapshot.events) {
    const io = e.involvedObject;
    const key = `${io?.kind}/${io?.namespace ?? e.metadata?.namespace ?? ''}/${io?.name}`;
    const list = events.get(key);
    if (list) list.push(e);
    else events.set(key, [e]);
  }
  for (const list of events.values()) list.sort((a, b) => (eventTime(a) ?? 0) - (eventTime(b) ?? 0));
  const deployments = new Map(snapshot.deployments.map((d) => [`${d.metadata?.namespace}/${d.metadata?.name}`, d]));
  const replicaSets = new Map(snapshot.replicaSets.map((r) => [`${r.metadata?.namespace}/${r.metadata?.name}`, r]));
  const replicaSetsByNs = byNamespace(snapshot.replicaSets);
  const podsByNs = byNamespace(snapshot.pods);
  const workloads = new Map<Pod, ResolvedWorkload>();
  const histories = new Map<Deployment, RolloutRevision[]>();
  return {
    snapshot,
    now: Date.parse(snapshot.takenAt),
    eventsFor: (kind, namespace, name) => events.get(`${kind}/${namespace}/${name}`) ?? [],
    workloadOf(pod) {
      let w = workloads.get(pod);
      if (!w) {
        const ns = pod.metadata?.namespace ?? '';
        const ctrl = pod.metadata?.ownerReferences?.find((r) => r.controller === true && r.kind === 'ReplicaSet');
        const owner = ctrl ? replicaSets.get(`${ns}/${ctrl.name}`) : undefined;
        w = resolveWorkload(pod, owner ? [owner] : []);
        workloads.set(pod, w);
      }
      return w;
    },
    deployment: (namespace, name) => deployments.get(`${namespace}/${name}`),
    historyOf(deployment) {
      let h = histories.get(deployment);
      if (!h) {
        const ns = deployment.metadata?.namespace ?? '';
        h = rolloutHistory(deployment, replicaSetsByNs.get(ns) ?? [], podsByNs.get(ns) ?? []);
        histories.set(deployment, h);
      }
      return h;
    },
    replicaSetsIn: (namespace) => replicaSetsByNs.get(namespace) ?? [],
    podsIn: (namespace) => podsByNs.get(namespace) ?? [],
  };
}

