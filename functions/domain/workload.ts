import { ValidationError } from './errors';
import type { RolloutRevision } from './incident';
import type {
  Condition,
  ContainerStatus,
  Deployment,
  KubeObject,
  OwnerReference,
  Pod,
  PodTemplateSpec,
  ReplicaSet,
} from './k8s';

/**
 * Owner resolution and rollout history over plain Kubernetes JSON.
 *
 * Cluster data is untrusted: every reader here tolerates missing or
 * wrong-typed fields (a `null` status, `ownerReferences` that is not an array)
 * and answers "unknown" rather than guessing.
 */

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

/** Waiting reasons that mean a container cannot start (not merely starting). */
export const FAILING_WAITING_REASONS: ReadonlySet<string> = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

export function asArray<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function nonNegInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** The owner reference with `controller: true`, if any (there is at most one). */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  const refs = asArray<unknown>(asRecord(asRecord(obj)?.metadata)?.ownerReferences);
  for (const ref of refs) {
    const r = asRecord(ref);
    if (r?.controller === true && str(r.kind) && str(r.name)) return r as OwnerReference;
  }
  return undefined;
}

export interface ResolvedWorkload {
  /**
   * What the incident targets. A Pod whose controller is not a Deployment or
   * StatefulSet resolves to itself: a ReplicaSet without a Deployment owner,
   * a DaemonSet, a Job or an unknown controller are not targets the action
   * catalogue can act on as a workload, so the pod is the honest target and
   * `controller` says what owns it.
   */
  kind: 'Pod' | 'Deployment' | 'StatefulSet';
  namespace: string;
  name: string;
  /** The ReplicaSet between the Pod and its Deployment (or the bare owning ReplicaSet). */
  replicaSet?: string;
  /** The Pod's direct controller (kind/name) when it is not itself the target. */
  controller?: { kind: string; name: string };
}

/** The reference names this object: by uid when both carry one, else by name. */
export function sameOwner(ref: OwnerReference, obj: KubeObject): boolean {
  const uid = str(asRecord(obj.metadata)?.uid);
  if (str(ref.uid) && uid) return ref.uid === uid;
  return ref.name === str(asRecord(obj.metadata)?.name);
}

/**
 * Pod → ReplicaSet → Deployment via controller ownerReferences.
 * Throws ValidationError when the pod has no name or namespace (the only
 * input that leaves nothing to resolve).
 */
export function resolveWorkload(pod: Pod, replicaSets: ReplicaSet[]): ResolvedWorkload {
  const meta = asRecord(asRecord(pod)?.metadata);
  const name = str(meta?.name);
  const namespace = str(meta?.namespace);
  if (!name) throw new ValidationError('pod has no metadata.name', 'metadata.name');
  if (!namespace) throw new ValidationError(`pod ${name} has no metadata.namespace`, 'metadata.namespace');

  const self: ResolvedWorkload = { kind: 'Pod', namespace, name };
  const ctrl = controllerOf(pod);
  if (!ctrl) return self;
  const ctrlKind = ctrl.kind as string;
  const ctrlName = ctrl.name as string;
  if (ctrlKind === 'StatefulSet') return { kind: 'StatefulSet', namespace, name: ctrlName };
  if (ctrlKind !== 'ReplicaSet') return { ...self, controller: { kind: ctrlKind, name: ctrlName } };

  const rs = asArray<ReplicaSet>(replicaSets).find(
    (candidate) =>
      str(asRecord(asRecord(candidate)?.metadata)?.namespace) === namespace && sameOwner(ctrl, candidate),
  );
  const rsCtrl = rs ? controllerOf(rs) : undefined;
  if (rsCtrl?.kind === 'Deployment') {
    return { kind: 'Deployment', namespace, name: rsCtrl.name as string, replicaSet: ctrlName };
  }
  // ReplicaSet missing from the snapshot, or not owned by a Deployment: we
  // cannot name a Deployment without guessing, so the pod stays the target.
  return { ...self, replicaSet: ctrlName, controller: { kind: 'ReplicaSet', name: ctrlName } };
}

/** `deployment.kubernetes.io/revision` as a non-negative integer, else undefined. */
export function revisionOf(obj: KubeObject): number | undefined {
  const raw = asRecord(asRecord(asRecord(obj)?.metadata)?.annotations)?.[REVISION_ANNOTATION];
  if (typeof raw !== 'string' || !/^[0-9]{1,9}$/.test(raw)) return undefined;
  return Number(raw);
}

function labelsMatch(selector: unknown, labels: unknown): boolean {
  const match = asRecord(asRecord(selector)?.matchLabels);
  const have = asRecord(labels);
  if (!match || Object.keys(match).length === 0 || !have) return false;
  return Object.entries(match).every(([k, v]) => have[k] === v);
}

/**
 * ReplicaSets controlled by the Deployment: by uid when both sides carry one,
 * else by owner name plus the Deployment's selector matching the ReplicaSet's
 * template labels (a same-named Deployment recreated with other labels is not
 * claimed).
 */
export function replicaSetsOf(deployment: Deployment, replicaSets: ReplicaSet[]): ReplicaSet[] {
  const dMeta = asRecord(asRecord(deployment)?.metadata);
  const dName = str(dMeta?.name);
  const dNamespace = str(dMeta?.namespace);
  const dUid = str(dMeta?.uid);
  if (!dName) return [];
  return asArray<ReplicaSet>(replicaSets).filter((rs) => {
    const rsMeta = asRecord(asRecord(rs)?.metadata);
    if (!rsMeta || str(rsMeta.namespace) !== dNamespace) return false;
    const ctrl = controllerOf(rs);
    if (!ctrl || ctrl.kind !== 'Deployment') return false;
    if (dUid && str(ctrl.uid)) return ctrl.uid === dUid;
    const templateLabels = asRecord(asRecord(asRecord(rs.spec)?.template)?.metadata)?.labels;
    return ctrl.name === dName && labelsMatch(asRecord(deployment.spec)?.selector, templateLabels);
  });
}

/**
 * Container name → image for a pod template, init containers included
 * (container names are unique across both lists in a pod).
 */
export function podTemplateImages(template: PodTemplateSpec | undefined): Record<string, string> {
  const spec = asRecord(asRecord(template)?.spec);
  const images: Record<string, string> = {};
  for (const list of [spec?.initContainers, spec?.containers]) {
    for (const c of asArray<unknown>(list)) {
      const name = str(asRecord(c)?.name);
      const image = str(asRecord(c)?.image);
      if (name && image) images[name] = image;
    }
  }
  return images;
}

function conditionTrue(conditions: unknown, type: string): boolean {
  return asArray<Condition>(conditions).some((c) => asRecord(c)?.type === type && asRecord(c)?.status === 'True');
}

/** Ready condition is True. */
export function isPodReady(pod: Pod): boolean {
  return conditionTrue(asRecord(asRecord(pod)?.status)?.conditions, 'Ready');
}

function containerStatuses(pod: Pod): ContainerStatus[] {
  const status = asRecord(asRecord(pod)?.status);
  return [...asArray<ContainerStatus>(status?.initContainerStatuses), ...asArray<ContainerStatus>(status?.containerStatuses)];
}

/**
 * The pod shows a failure (not merely starting): Failed phase, a container
 * waiting for a failing reason, or an OOM kill while not ready.
 */
export function isPodFailing(pod: Pod): boolean {
  const status = asRecord(asRecord(pod)?.status);
  if (status?.phase === 'Failed') return true;
  return containerStatuses(pod).some((cs) => {
    const c = asRecord(cs);
    const waiting = str(asRecord(asRecord(c?.state)?.waiting)?.reason);
    if (waiting && FAILING_WAITING_REASONS.has(waiting)) return true;
    const lastTerm = str(asRecord(asRecord(c?.lastState)?.terminated)?.reason);
    return lastTerm === 'OOMKilled' && c?.ready !== true;
  });
}

/** Pods controlled by the ReplicaSet (same namespace; by uid when both sides have one, else by name). */
export function podsOfReplicaSet(rs: ReplicaSet, pods: Pod[]): Pod[] {
  const rsMeta = asRecord(asRecord(rs)?.metadata);
  const ns = str(rsMeta?.namespace);
  return asArray<Pod>(pods).filter((p) => {
    if (str(asRecord(asRecord(p)?.metadata)?.namespace) !== ns) return false;
    const ctrl = controllerOf(p);
    return ctrl?.kind === 'ReplicaSet' && sameOwner(ctrl, rs);
  });
}

/**
 * Health of one revision from what the snapshot shows: available replicas now
 * → healthy; otherwise its pods decide (any failing → false; all Ready →
 * true); a ReplicaSet scaled to zero without pods is unknown, because the
 * cluster keeps no record of whether it ever served.
 */
function revisionHealth(rs: ReplicaSet, pods: Pod[] | undefined): boolean | undefined {
  const available = nonNegInt(asRecord(asRecord(rs)?.status)?.availableReplicas) ?? 0;
  if (available >= 1) return true;
  if (!pods) return undefined;
  const mine = podsOfReplicaSet(rs, pods);
  if (mine.length === 0) return undefined;
  if (mine.some(isPodFailing)) return false;
  if (mine.every(isPodReady)) return true;
  return undefined;
}

/** Revisions of a Deployment from its ReplicaSets, ascending by revision. */
export function rolloutHistory(deployment: Deployment, replicaSets: ReplicaSet[], pods?: Pod[]): RolloutRevision[] {
  const history: RolloutRevision[] = [];
  for (const rs of replicaSetsOf(deployment, replicaSets)) {
    const revision = revisionOf(rs);
    const name = str(asRecord(rs.metadata)?.name);
    if (revision === undefined || !name) continue;
    const entry: RolloutRevision = {
      revision,
      replicaSet: name,
      images: podTemplateImages(asRecord(rs.spec)?.template as PodTemplateSpec | undefined),
    };
    const createdAt = str(asRecord(rs.metadata)?.creationTimestamp);
    if (createdAt) entry.createdAt = createdAt;
    const replicas = nonNegInt(asRecord(rs.spec)?.replicas);
    if (replicas !== undefined) entry.replicas = replicas;
    const available = nonNegInt(asRecord(rs.status)?.availableReplicas);
    if (available !== undefined) entry.availableReplicas = available;
    const healthy = revisionHealth(rs, pods);
    if (healthy !== undefined) entry.healthy = healthy;
    history.push(entry);
  }
  return history.sort((a, b) => a.revision - b.revision);
}

/** The newest revision older than `currentRevision` known to be healthy; never the current one. */
export function lastHealthyRevision(history: RolloutRevision[], currentRevision: number): RolloutRevision | undefined {
  let best: RolloutRevision | undefined;
  for (const rev of history) {
    if (rev.revision < currentRevision && rev.healthy === true && (!best || rev.revision > best.revision)) best = rev;
  }
  return best;
}

/**
 * Where a rollback should go: the last healthy revision when one is known,
 * else the newest older revision not known to be failing (basis
 * `not-known-failing`, which the caller should state as an unknown).
 */
export function rollbackTarget(
  history: RolloutRevision[],
  currentRevision: number,
): { revision: RolloutRevision; basis: 'healthy' | 'not-known-failing' } | undefined {
  const healthy = lastHealthyRevision(history, currentRevision);
  if (healthy) return { revision: healthy, basis: 'healthy' };
  let best: RolloutRevision | undefined;
  for (const rev of history) {
    if (rev.revision < currentRevision && rev.healthy !== false && (!best || rev.revision > best.revision)) best = rev;
  }
  return best ? { revision: best, basis: 'not-known-failing' } : undefined;
}

/** The Deployment's current revision (its own revision annotation). */
export function currentRevisionOf(deployment: Deployment): number | undefined {
  return revisionOf(deployment);
}

/**
 * The ReplicaSet of the Deployment's current revision: the one whose revision
 * equals the Deployment's; failing that (annotation missing), the newest.
 */
export function currentReplicaSetOf(deployment: Deployment, replicaSets: ReplicaSet[]): ReplicaSet | undefined {
  const owned = replicaSetsOf(deployment, replicaSets);
  const current = revisionOf(deployment);
  if (current !== undefined) return owned.find((rs) => revisionOf(rs) === current);
  let newest: ReplicaSet | undefined;
  for (const rs of owned) {
    const r = revisionOf(rs);
    if (r !== undefined && (newest === undefined || r > (revisionOf(newest) ?? -1))) newest = rs;
  }
  return newest;
}

/** Every image a container has had in this workload's history (for patch_image's "seen before" rule). */
export function imagesSeenFor(history: RolloutRevision[], container: string): string[] {
  const seen = new Set<string>();
  for (const rev of history) {
    const image = rev.images[container];
    if (image) seen.add(image);
  }
  return [...seen];
}

/** `matchLabels` as a label selector string (the only selector form the catalogue's workloads need). */
export function selectorOf(deployment: Deployment): string | undefined {
  const labels = deployment.spec?.selector?.matchLabels;
  if (!labels || Object.keys(labels).length === 0) return undefined;
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
