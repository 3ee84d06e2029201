/**
 * The StatefulSet controller, the part a remediation can observe: pods
 * `<sts>-<ordinal>` with stable names, OrderedReady (create in order, each
 * after the previous is Running and Ready; remove from the highest ordinal)
 * or Parallel management, RollingUpdate from the highest ordinal down to
 * `partition` one pod at a time, OnDelete, failed pods replaced, and the
 * status counters and revisions (`<sts>-<hash>`, label
 * `controller-revision-hash`).
 *
 * Not simulated: ControllerRevision objects (so `kubectl rollout history
 * statefulset` has nothing to show), volumeClaimTemplates.
 */
import { fnv1a } from '../api/random';
import type { ObjectStore } from '../api/store';
import type { EventRecorder } from './events';
import { canonical, controllerRef, isObject, isTerminating, labelsOf, meta, nameOf, namespaceOf, ownerReference, podReady, spec, status, uidOf, type Json } from './util';

const COMPONENT = 'statefulset-controller';
const REVISION_LABEL = 'controller-revision-hash';
const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';

export function statefulSetRevision(sts: Json): string {
  return `${nameOf(sts)}-${fnv1a(canonical(spec(sts).template ?? {})).toString(16)}`;
}

function ordinalOf(sts: Json, pod: Json): number {
  const suffix = nameOf(pod).slice(nameOf(sts).length + 1);
  return /^\d+$/.test(suffix) ? Number(suffix) : -1;
}

export function syncStatefulSet(store: ObjectStore, sts: Json, events: EventRecorder): void {
  if (isTerminating(sts)) return;
  const ns = namespaceOf(sts);
  const replicas = Number(spec(sts).replicas ?? 1);
  const parallel = spec(sts).podManagementPolicy === 'Parallel';
  const updateRevision = statefulSetRevision(sts);
  const pods = store
    .list('pods', { namespace: ns })
    .filter((p) => controllerRef(p)?.uid === uidOf(sts) && ordinalOf(sts, p) >= 0)
    .sort((a, b) => ordinalOf(sts, a) - ordinalOf(sts, b));
  const byOrdinal = new Map(pods.map((p) => [ordinalOf(sts, p), p]));
  const healthy = (p: Json | undefined): boolean => !!p && !isTerminating(p) && status(p).phase === 'Running' && podReady(p);

  // Failed pods are deleted so they can be recreated with the same identity.
  for (const pod of pods) {
    if (status(pod).phase === 'Failed' && !isTerminating(pod)) {
      store.delete('pods', ns, nameOf(pod));
      events.record(sts, 'Warning', 'RecreatingFailedPod', `StatefulSet ${ns}/${nameOf(sts)} is recreating failed Pod ${nameOf(pod)}`, COMPONENT);
    }
  }

  // Create missing ordinals (in order, waiting for each unless Parallel).
  for (let i = 0; i < replicas; i++) {
    const existing = byOrdinal.get(i);
    if (existing) {
      if (!parallel && !healthy(existing)) break;
      continue;
    }
    const template = (spec(sts).template ?? {}) as Json;
    const tmeta = (template.metadata ?? {}) as Json;
    const name = `${nameOf(sts)}-${i}`;
    if (store.get('pods', ns, name)) break; // terminating pod of the same identity: wait for it to go
    store.create('pods', {
      metadata: {
        name,
        namespace: ns,
        labels: { ...((tmeta.labels as Json) ?? {}), [REVISION_LABEL]: updateRevision, [POD_NAME_LABEL]: name },
        ...(tmeta.annotations ? { annotations: { ...(tmeta.annotations as Json) } } : {}),
        ownerReferences: [ownerReference(sts, 'apps/v1', 'StatefulSet')],
      },
      spec: { ...structuredClone((template.spec ?? {}) as Json), hostname: name, ...(spec(sts).serviceName ? { subdomain: spec(sts).serviceName } : {}) },
    });
    events.record(sts, 'Normal', 'SuccessfulCreate', `create Pod ${name} in StatefulSet ${nameOf(sts)} successful`, COMPONENT);
    if (!parallel) break;
  }

  const live = pods.filter((p) => !isTerminating(p));
  const allHealthy = live.length > 0 && live.every(healthy);
  // Scale down from the highest ordinal, one at a time unless Parallel.
  const surplus = live.filter((p) => ordinalOf(sts, p) >= replicas).reverse();
  for (const pod of surplus) {
    if (!parallel && !allHealthy) break;
    store.delete('pods', ns, nameOf(pod));
    events.record(sts, 'Normal', 'SuccessfulDelete', `delete Pod ${nameOf(pod)} in StatefulSet ${nameOf(sts)} successful`, COMPONENT);
    if (!parallel) break;
  }

  // RollingUpdate: replace the highest-ordinal outdated pod once everything is healthy.
  const strategy = isObject(spec(sts).updateStrategy) ? (spec(sts).updateStrategy as Json) : {};
  if (strategy.type !== 'OnDelete' && surplus.length === 0 && allHealthy && live.length >= replicas) {
    const partition = Number((isObject(strategy.rollingUpdate) ? strategy.rollingUpdate.partition : 0) ?? 0);
    const outdated = live.filter((p) => ordinalOf(sts, p) >= partition && labelsOf(p)[REVISION_LABEL] !== updateRevision).reverse()[0];
    if (outdated) store.delete('pods', ns, nameOf(outdated));
  }

  const fresh = store.list('pods', { namespace: ns }).filter((p) => controllerRef(p)?.uid === uidOf(sts) && ordinalOf(sts, p) >= 0 && !isTerminating(p));
  const previous = status(sts);
  const updated = fresh.filter((p) => labelsOf(p)[REVISION_LABEL] === updateRevision).length;
  const currentRevision = updated === replicas && fresh.length === replicas ? updateRevision : String(previous.currentRevision ?? updateRevision);
  const next: Json = {
    observedGeneration: meta(sts).generation,
    replicas: fresh.length,
    readyReplicas: fresh.filter(podReady).length,
    currentReplicas: fresh.filter((p) => labelsOf(p)[REVISION_LABEL] === currentRevision).length,
    updatedReplicas: updated,
    currentRevision,
    updateRevision,
    collisionCount: 0,
  };
  for (const key of ['readyReplicas', 'currentReplicas', 'updatedReplicas']) if (next[key] === 0) delete next[key];
  if (canonical(next) === canonical(previous)) return;
  const current = store.get('statefulsets', ns, nameOf(sts));
  if (current) store.update('statefulsets', { ...current, status: next }, { namespace: ns, name: nameOf(sts), subresource: 'status' });
}
