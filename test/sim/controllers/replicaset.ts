/**
 * The ReplicaSet controller: keeps `spec.replicas` active pods from the
 * template (names `<rs>-<5 chars>` from a seeded RNG, controller owner
 * reference), adopts matching orphans, deletes the least valuable pods first
 * when scaling down, and reports replicas/ready/available (minReadySeconds).
 */
import type { ObjectStore } from '../api/store';
import { randomSuffix, type Rng } from '../api/random';
import { selectorMatches } from '../api/selectors';
import type { EventRecorder } from './events';
import { controllerRef, findCondition, isTerminating, labelsOf, meta, nameOf, namespaceOf, ownerReference, podActive, podAvailable, podReady, spec, status, uidOf, type Json } from './util';

const COMPONENT = 'replicaset-controller';

/** Pods the RS owns (adopting orphans its selector matches, as the real controller's ref manager does). */
export function claimPods(store: ObjectStore, rs: Json): Json[] {
  const selector = spec(rs).selector;
  const owned: Json[] = [];
  for (const pod of store.list('pods', { namespace: namespaceOf(rs) })) {
    const ref = controllerRef(pod);
    if (ref) {
      if (ref.uid === uidOf(rs)) owned.push(pod);
      continue;
    }
    if (isTerminating(rs) || isTerminating(pod) || !selectorMatches(selector, labelsOf(pod))) continue;
    const refs = Array.isArray(meta(pod).ownerReferences) ? (meta(pod).ownerReferences as Json[]) : [];
    try {
      owned.push(store.patch('pods', namespaceOf(pod), nameOf(pod), 'merge', { metadata: { ownerReferences: [...refs, ownerReference(rs, 'apps/v1', 'ReplicaSet')] } }));
    } catch {
      // The pod changed or went away: the next sync sees it again.
    }
  }
  return owned;
}

/** controller.ActivePods ordering: the pods to delete first come first. */
function deletionRank(pod: Json): number[] {
  const phaseRank: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
  const ready = findCondition(pod, 'Ready');
  const statuses = Array.isArray(status(pod).containerStatuses) ? (status(pod).containerStatuses as Json[]) : [];
  const restarts = statuses.reduce((n, s) => n + Number(s.restartCount ?? 0), 0);
  const readySince = typeof ready?.lastTransitionTime === 'string' ? new Date(ready.lastTransitionTime).getTime() : 0;
  const created = typeof meta(pod).creationTimestamp === 'string' ? new Date(meta(pod).creationTimestamp as string).getTime() : 0;
  return [spec(pod).nodeName ? 1 : 0, phaseRank[String(status(pod).phase)] ?? 0, podReady(pod) ? 1 : 0, -readySince, -restarts, -created];
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

export function syncReplicaSet(store: ObjectStore, rs: Json, rng: Rng, events: EventRecorder): void {
  if (isTerminating(rs)) return;
  const now = store.clock.now();
  const pods = claimPods(store, rs);
  const active = pods.filter(podActive);
  const desired = Number(spec(rs).replicas ?? 1);
  const diff = active.length - desired;
  const ns = namespaceOf(rs);
  if (diff < 0) {
    const template = (spec(rs).template ?? {}) as Json;
    const tmeta = (template.metadata ?? {}) as Json;
    for (let i = 0; i < -diff; i++) {
      let created: Json | undefined;
      for (let attempt = 0; attempt < 5 && !created; attempt++) {
        const name = `${nameOf(rs)}-${randomSuffix(rng)}`;
        if (store.get('pods', ns, name)) continue;
        try {
          created = store.create('pods', {
            metadata: {
              name,
              namespace: ns,
              labels: { ...((tmeta.labels as Json) ?? {}) },
              ...(tmeta.annotations ? { annotations: { ...(tmeta.annotations as Json) } } : {}),
              ownerReferences: [ownerReference(rs, 'apps/v1', 'ReplicaSet')],
            },
            spec: structuredClone(template.spec ?? {}),
          });
          events.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${name}`, COMPONENT);
        } catch (error) {
          events.record(rs, 'Warning', 'FailedCreate', `Error creating: ${(error as Error).message}`, COMPONENT);
          break;
        }
      }
      if (!created) break;
    }
  } else if (diff > 0) {
    const victims = [...active].sort((a, b) => compareRanks(deletionRank(a), deletionRank(b))).slice(0, diff);
    for (const pod of victims) {
      try {
        store.delete('pods', ns, nameOf(pod));
        events.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${nameOf(pod)}`, COMPONENT);
      } catch {
        // Already gone.
      }
    }
  }
  updateReplicaSetStatus(store, rs, now);
}

function updateReplicaSetStatus(store: ObjectStore, rs: Json, now: Date): void {
  const current = store.get('replicasets', namespaceOf(rs), nameOf(rs));
  if (!current) return;
  const pods = store.list('pods', { namespace: namespaceOf(rs) }).filter((p) => controllerRef(p)?.uid === uidOf(rs) && podActive(p));
  const minReadySeconds = Number(spec(current).minReadySeconds ?? 0);
  const templateLabels = labelsOf((spec(current).template ?? {}) as Json);
  const next: Json = {
    replicas: pods.length,
    fullyLabeledReplicas: pods.filter((p) => Object.entries(templateLabels).every(([k, v]) => labelsOf(p)[k] === v)).length,
    readyReplicas: pods.filter(podReady).length,
    availableReplicas: pods.filter((p) => podAvailable(p, minReadySeconds, now)).length,
    observedGeneration: meta(current).generation,
  };
  // omitempty, as the real API serializes these counters.
  for (const key of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas']) if (next[key] === 0) delete next[key];
  const previous = status(current);
  if (Array.isArray(previous.conditions)) next.conditions = previous.conditions;
  if (JSON.stringify(next) === JSON.stringify(previous)) return;
  store.update('replicasets', { ...current, status: next }, { namespace: namespaceOf(current), name: nameOf(current), subresource: 'status' });
}
