import { KubeNotFound } from '../../domain/errors';
import type { HorizontalPodAutoscaler, KubeObject, Pod } from '../../domain/k8s';
import type { Marked, WorkloadFacts } from '../../domain/policy';
import { controllerOf, sameOwner } from '../../domain/workload';
import { CONTROLLER_KINDS, type ClusterReader, type ControllerKind } from '../../ports/cluster';

/**
 * The top controller of a pod (or of an HPA's scale target), found through
 * controller ownerReferences: Pod → ReplicaSet → Deployment, Pod → Job →
 * CronJob, Pod → StatefulSet, Pod → DaemonSet, Pod → bare ReplicaSet. The
 * workload's facts (opt-out, GitOps markers, opt-in label), its lock key,
 * cooldown and hourly cap live on it, so two pods of one StatefulSet share
 * them as two pods of one Deployment do.
 */

/** One link of the chain: `object` is absent when it could not be read (a kind we do not read, gone, or a same-named successor). */
export interface ControllerLink {
  kind: string;
  name: string;
  object?: KubeObject;
}

/** Deeper than any built-in chain (Pod → Job → CronJob is 2); a cycle in cluster data must not loop. */
const MAX_DEPTH = 5;

const isControllerKind = (kind: string): kind is ControllerKind => (CONTROLLER_KINDS as readonly string[]).includes(kind);

const metaOf = (o: KubeObject | undefined): Marked => ({
  ...(o?.metadata?.labels ? { labels: o.metadata.labels } : {}),
  ...(o?.metadata?.annotations ? { annotations: o.metadata.annotations } : {}),
});

/**
 * The controllers above `object`, nearest first (empty: it has none). A link
 * whose kind is not one we read, or whose object is gone or was replaced by
 * another of the same name (uid differs), ends the chain unread: its kind and
 * name still key the lock, but it contributes no facts.
 */
export async function controllerChain(cluster: ClusterReader, namespace: string, object: KubeObject): Promise<ControllerLink[]> {
  const chain: ControllerLink[] = [];
  let ref = controllerOf(object);
  while (ref?.kind && ref.name && chain.length < MAX_DEPTH) {
    const link: ControllerLink = { kind: ref.kind, name: ref.name };
    chain.push(link);
    if (!isControllerKind(ref.kind)) break;
    let owner: KubeObject;
    try {
      owner = await cluster.getController(namespace, ref.kind, ref.name);
    } catch (error) {
      if (error instanceof KubeNotFound) break;
      throw error;
    }
    if (!sameOwner(ref, owner)) break;
    link.object = owner;
    ref = controllerOf(owner);
  }
  return chain;
}

/** What restart_pod's policy check, lock and marker need about a pod. */
export interface PodWorkload {
  facts: WorkloadFacts;
  /** The lock store key's kind and name: the top controller (the pod itself when it has none). */
  lock: { kind: string; name: string };
  /** The top controller's object when it was read (a Deployment carries restart_pod's marker). */
  top?: ControllerLink;
}

export async function podWorkload(cluster: ClusterReader, pod: Pod): Promise<PodWorkload> {
  const namespace = pod.metadata?.namespace ?? '';
  const chain = await controllerChain(cluster, namespace, pod);
  const direct = chain[0];
  const top = chain.at(-1);
  // A controller of a kind we do not read (it ends the chain unread): its opt-out cannot be checked.
  const unread = chain.find((l) => !isControllerKind(l.kind));
  const current = {
    ...(direct ? { podController: { kind: direct.kind, name: direct.name } } : {}),
    ...(pod.metadata?.annotations ? { podAnnotations: pod.metadata.annotations } : {}),
    ...(unread ? { unreadController: { kind: unread.kind, name: unread.name } } : {}),
  };
  if (!top) return { facts: { kind: 'Pod', name: pod.metadata?.name ?? '', ...metaOf(pod), current }, lock: { kind: 'Pod', name: pod.metadata?.name ?? '' } };
  // Controllers between the pod and the top (a Deployment's ReplicaSet, a CronJob's Job): their opt-out counts too.
  const between = chain.slice(0, -1).filter((l) => l.object).map((l) => ({ what: `${l.kind} '${l.name}'`, ...metaOf(l.object) }));
  return {
    facts: { kind: top.kind, name: top.name, ...metaOf(top.object), current, ...(between.length > 0 ? { related: between } : {}) },
    lock: { kind: top.kind, name: top.name },
    top,
  };
}

/**
 * patch_hpa's facts and lock: those of its scale target's top controller (the
 * HPA's own labels and annotations count beside them), so an opted-out or
 * GitOps-managed Deployment cannot be widened through its HPA, and an HPA
 * patch and a scale of the same Deployment share one lock and cooldown.
 */
export async function hpaWorkload(cluster: ClusterReader, hpa: HorizontalPodAutoscaler): Promise<{ facts: WorkloadFacts; lock: { kind: string; name: string } }> {
  const namespace = hpa.metadata?.namespace ?? '';
  const name = hpa.metadata?.name ?? '';
  const current = hpa.spec?.maxReplicas !== undefined ? { hpaMaxReplicas: hpa.spec.maxReplicas } : {};
  const ref = hpa.spec?.scaleTargetRef;
  const self = { what: `HorizontalPodAutoscaler '${name}'`, ...metaOf(hpa) };
  if (!ref?.kind || !ref.name) return { facts: { kind: 'HorizontalPodAutoscaler', name, ...metaOf(hpa), current }, lock: { kind: 'HorizontalPodAutoscaler', name } };
  let target: ControllerLink = { kind: ref.kind, name: ref.name };
  const chain: ControllerLink[] = [target];
  if (isControllerKind(ref.kind)) {
    try {
      target.object = await cluster.getController(namespace, ref.kind, ref.name);
    } catch (error) {
      if (!(error instanceof KubeNotFound)) throw error;
    }
    if (target.object) chain.push(...(await controllerChain(cluster, namespace, target.object)));
  }
  target = chain.at(-1) ?? target;
  const between = chain.slice(0, -1).filter((l) => l.object).map((l) => ({ what: `${l.kind} '${l.name}'`, ...metaOf(l.object) }));
  return {
    facts: { kind: target.kind, name: target.name, ...metaOf(target.object), current, related: [self, ...between] },
    lock: { kind: target.kind, name: target.name },
  };
}
