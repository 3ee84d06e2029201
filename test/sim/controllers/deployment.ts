/**
 * The Deployment controller (pkg/controller/deployment of v1.20, the parts
 * remediation depends on): one ReplicaSet per pod template named
 * `<deployment>-<pod-template-hash>`, the `deployment.kubernetes.io/revision`
 * annotation (an old template's ReplicaSet is re-used on rollback and becomes
 * the newest revision), RollingUpdate within maxSurge/maxUnavailable,
 * Recreate, revisionHistoryLimit cleanup, status counts, and the Progressing
 * (incl. ProgressDeadlineExceeded) and Available conditions.
 *
 * A replicas change in the middle of a rollout is spread over the active
 * ReplicaSets in proportion to their size, as the real controller does.
 */
import type { ObjectStore } from '../api/store';
import { fnv1a, safeEncode } from '../api/random';
import type { EventRecorder } from './events';
import {
  annotationsOf,
  canonical,
  controllerRef,
  findCondition,
  intOrPercent,
  isObject,
  isTerminating,
  labelsOf,
  meta,
  nameOf,
  namespaceOf,
  ownerReference,
  rfc3339,
  spec,
  status,
  uidOf,
  type Json,
} from './util';
import { selectorMatches } from '../api/selectors';

const COMPONENT = 'deployment-controller';
export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
const HASH_LABEL = 'pod-template-hash';

/** Annotations the controller never copies from a Deployment to its ReplicaSets (util.skipCopyAnnotation). */
const SKIP_COPY = new Set(['kubectl.kubernetes.io/last-applied-configuration', REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, 'deprecated.deployment.rollback.to']);

function templateWithoutHash(template: unknown): Json {
  const copy = structuredClone(isObject(template) ? template : {});
  const tmeta = isObject(copy.metadata) ? copy.metadata : {};
  if (isObject(tmeta.labels)) {
    delete tmeta.labels[HASH_LABEL];
    if (Object.keys(tmeta.labels).length === 0) delete tmeta.labels;
  }
  return copy;
}

/** pod-template-hash: FNV-1a of the template plus the collision count, in the safe alphabet. */
export function podTemplateHash(template: unknown, collisionCount = 0): string {
  return safeEncode(fnv1a(`${canonical(templateWithoutHash(template))}#${collisionCount}`));
}

function revisionOf(rs: Json): number {
  const raw = annotationsOf(rs)[REVISION];
  const n = raw === undefined ? 0 : Number(raw);
  return Number.isFinite(n) ? n : 0;
}

function replicasOf(rs: Json): number {
  return Number(spec(rs).replicas ?? 0);
}

function creationTime(o: Json): number {
  return typeof meta(o).creationTimestamp === 'string' ? new Date(meta(o).creationTimestamp as string).getTime() : 0;
}

interface RolloutParams {
  maxSurge: number;
  maxUnavailable: number;
}

function rolloutParams(d: Json): RolloutParams {
  const replicas = Number(spec(d).replicas ?? 1);
  const strategy = isObject(spec(d).strategy) ? (spec(d).strategy as Json) : {};
  if (strategy.type === 'Recreate') return { maxSurge: 0, maxUnavailable: replicas };
  const ru = isObject(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
  const maxSurge = intOrPercent(ru.maxSurge ?? '25%', replicas, true);
  let maxUnavailable = intOrPercent(ru.maxUnavailable ?? '25%', replicas, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas) };
}

export class DeploymentController {
  constructor(
    private readonly store: ObjectStore,
    private readonly events: EventRecorder,
  ) {}

  sync(d: Json): void {
    if (isTerminating(d)) return;
    const ns = namespaceOf(d);
    const allRs = this.claimReplicaSets(d);
    let newRs = this.findNewReplicaSet(d, allRs);
    const oldRs = allRs.filter((rs) => rs !== newRs);
    const paused = spec(d).paused === true;
    let deployment = d;

    // A replicas change (the desired-replicas annotation of an active ReplicaSet disagrees) or a paused
    // Deployment: scale proportionally, no rollout step (syncDeployment's isScalingEvent / sync path).
    if (paused || this.isScalingEvent(deployment, newRs, oldRs)) {
      this.scaleProportionally(deployment, newRs, oldRs);
      this.syncStatus(this.mustReload(deployment), this.reload(newRs), oldRs.map((r) => this.reload(r)).filter(Boolean) as Json[], { paused });
      return;
    }

    const ensured = this.ensureNewReplicaSet(deployment, newRs, oldRs);
    deployment = ensured.deployment;
    newRs = ensured.newRs;
    const strategy = isObject(spec(deployment).strategy) ? (spec(deployment).strategy as Json) : {};
    if (strategy.type === 'Recreate') this.rolloutRecreate(deployment, newRs, oldRs);
    else this.rolloutRolling(deployment, newRs, oldRs);
    const freshOld = oldRs.map((r) => this.reload(r)).filter(Boolean) as Json[];
    const freshNew = this.reload(newRs);
    const after = this.syncStatus(this.mustReload(deployment), freshNew, freshOld, { paused: false });
    if (isComplete(after)) this.cleanup(after, freshOld);
    void ns;
  }

  private reload(rs: Json | undefined): Json | undefined {
    return rs ? this.store.get('replicasets', namespaceOf(rs), nameOf(rs)) : undefined;
  }

  private mustReload(d: Json): Json {
    return this.store.get('deployments', namespaceOf(d), nameOf(d)) ?? d;
  }

  private claimReplicaSets(d: Json): Json[] {
    const out: Json[] = [];
    for (const rs of this.store.list('replicasets', { namespace: namespaceOf(d) })) {
      const ref = controllerRef(rs);
      if (ref) {
        if (ref.uid === uidOf(d)) out.push(rs);
        continue;
      }
      if (!selectorMatches(spec(d).selector, labelsOf(rs)) || isTerminating(rs)) continue;
      const refs = Array.isArray(meta(rs).ownerReferences) ? (meta(rs).ownerReferences as Json[]) : [];
      try {
        out.push(this.store.patch('replicasets', namespaceOf(rs), nameOf(rs), 'merge', { metadata: { ownerReferences: [...refs, ownerReference(d, 'apps/v1', 'Deployment')] } }));
      } catch {
        // Re-examined next sync.
      }
    }
    return out;
  }

  /** The oldest ReplicaSet whose template equals the Deployment's, ignoring the hash label (FindNewReplicaSet). */
  private findNewReplicaSet(d: Json, all: Json[]): Json | undefined {
    const wanted = canonical(templateWithoutHash(spec(d).template));
    return [...all].sort((a, b) => creationTime(a) - creationTime(b)).find((rs) => canonical(templateWithoutHash(spec(rs).template)) === wanted);
  }

  private ensureNewReplicaSet(d: Json, existing: Json | undefined, oldRs: Json[]): { deployment: Json; newRs: Json } {
    const ns = namespaceOf(d);
    const maxOld = oldRs.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
    const newRevision = String(maxOld + 1);
    const now = rfc3339(this.store.clock.now());
    const params = rolloutParams(d);
    const desired = Number(spec(d).replicas ?? 1);
    const copied = Object.fromEntries(Object.entries(annotationsOf(d)).filter(([k]) => !SKIP_COPY.has(k)));
    let newRs = existing;
    let conditionUpdate: Json | undefined;

    if (existing) {
      const annotations = { ...annotationsOf(existing), ...copied };
      const oldRevision = annotations[REVISION];
      if (revisionOf(existing) < maxOld + 1) {
        annotations[REVISION] = newRevision;
        // The revision this ReplicaSet had before a rollback re-used it, kept like the real controller does.
        if (oldRevision) annotations[REVISION_HISTORY] = annotations[REVISION_HISTORY] ? `${annotations[REVISION_HISTORY]},${oldRevision}` : oldRevision;
      }
      annotations[DESIRED_REPLICAS] = String(desired);
      annotations[MAX_REPLICAS] = String(desired + params.maxSurge);
      const minReady = spec(d).minReadySeconds;
      const needsSpec = minReady !== undefined && spec(existing).minReadySeconds !== minReady;
      if (canonical(annotations) !== canonical(annotationsOf(existing)) || needsSpec) {
        const next = structuredClone(existing);
        (next.metadata as Json).annotations = annotations;
        if (needsSpec) (next.spec as Json).minReadySeconds = minReady;
        newRs = this.store.update('replicasets', next, { namespace: ns, name: nameOf(existing) });
      }
      if (!findCondition(d, 'Progressing') && spec(d).progressDeadlineSeconds !== undefined) {
        conditionUpdate = condition('Progressing', 'True', 'FoundNewReplicaSet', `Found new replica set "${nameOf(existing)}"`, now);
      }
    } else {
      let collisions = Number(status(d).collisionCount ?? 0);
      for (let attempt = 0; attempt < 10 && !newRs; attempt++) {
        const hash = podTemplateHash(spec(d).template, collisions);
        const name = `${nameOf(d)}-${hash}`;
        const clash = this.store.get('replicasets', ns, name);
        if (clash) {
          collisions++;
          continue;
        }
        const template = structuredClone(spec(d).template as Json);
        const tmeta = isObject(template.metadata) ? template.metadata : (template.metadata = {});
        tmeta.labels = { ...(isObject(tmeta.labels) ? tmeta.labels : {}), [HASH_LABEL]: hash };
        const selector = structuredClone(spec(d).selector as Json);
        selector.matchLabels = { ...(isObject(selector.matchLabels) ? selector.matchLabels : {}), [HASH_LABEL]: hash };
        const strategy = isObject(spec(d).strategy) ? (spec(d).strategy as Json) : {};
        const allReplicas = oldRs.reduce((n, rs) => n + replicasOf(rs), 0);
        // NewRSNewReplicas: a brand new ReplicaSet starts at what the surge allows (all of it for Recreate, which scales up later).
        const initial = strategy.type === 'Recreate' ? 0 : Math.max(0, Math.min(desired, desired + params.maxSurge - allReplicas));
        newRs = this.store.create('replicasets', {
          metadata: {
            name,
            namespace: ns,
            labels: { ...(tmeta.labels as Json) },
            annotations: { ...copied, [REVISION]: newRevision, [DESIRED_REPLICAS]: String(desired), [MAX_REPLICAS]: String(desired + params.maxSurge) },
            ownerReferences: [ownerReference(d, 'apps/v1', 'Deployment')],
          },
          spec: { replicas: initial, minReadySeconds: spec(d).minReadySeconds ?? 0, selector, template },
        });
        if (initial > 0) this.events.record(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} to ${initial}`, COMPONENT);
        conditionUpdate = condition('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${name}"`, now);
      }
      if (!newRs) throw new Error(`deployment ${ns}/${nameOf(d)}: could not find a free ReplicaSet name after 10 hash collisions`);
      if (collisions !== Number(status(d).collisionCount ?? 0)) status(d).collisionCount = collisions;
    }

    if (!newRs) throw new Error(`deployment ${ns}/${nameOf(d)}: no new ReplicaSet`);
    const resolved: Json = newRs;
    // The Deployment carries the newest revision (and new conditions) through a status write, as the real controller does.
    const nextAnnotations = { ...annotationsOf(d), [REVISION]: annotationsOf(resolved)[REVISION] ?? newRevision };
    if (canonical(nextAnnotations) !== canonical(annotationsOf(d)) || conditionUpdate || status(d).collisionCount !== undefined) {
      const next = structuredClone(d);
      (next.metadata as Json).annotations = nextAnnotations;
      const st = isObject(next.status) ? next.status : (next.status = {});
      if (conditionUpdate) st.conditions = setCondition(Array.isArray(st.conditions) ? (st.conditions as Json[]) : [], conditionUpdate, true);
      const written = this.store.update('deployments', next, { namespace: ns, name: nameOf(d), subresource: 'status' });
      return { deployment: written, newRs: resolved };
    }
    return { deployment: d, newRs: resolved };
  }

  /** scaleReplicaSetAndRecordEvent: sets the size and the desired/max-replicas annotations; an event only when the size changes. */
  private scale(d: Json, rs: Json, replicas: number): Json {
    const current = replicasOf(rs);
    const desired = Number(spec(d).replicas ?? 1);
    const annotations = { ...annotationsOf(rs), [DESIRED_REPLICAS]: String(desired), [MAX_REPLICAS]: String(desired + rolloutParams(d).maxSurge) };
    if (current === replicas && canonical(annotations) === canonical(annotationsOf(rs))) return rs;
    const next = structuredClone(rs);
    (next.spec as Json).replicas = replicas;
    (next.metadata as Json).annotations = annotations;
    const written = this.store.update('replicasets', next, { namespace: namespaceOf(rs), name: nameOf(rs) });
    if (current !== replicas) this.events.record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${replicas > current ? 'up' : 'down'} replica set ${nameOf(rs)} to ${replicas}`, COMPONENT);
    return written;
  }

  private rolloutRolling(d: Json, newRs: Json, oldRs: Json[]): void {
    const desired = Number(spec(d).replicas ?? 1);
    const { maxSurge, maxUnavailable } = rolloutParams(d);
    const activeOld = oldRs.filter((rs) => replicasOf(rs) > 0);
    // Nothing else running: a pure scale, applied at once.
    if (activeOld.length === 0) {
      this.scale(d, newRs, desired);
      return;
    }
    // Scale up the new ReplicaSet within the surge.
    let current = this.reload(newRs) ?? newRs;
    if (replicasOf(current) > desired) current = this.scale(d, current, desired);
    else if (replicasOf(current) < desired) {
      const total = replicasOf(current) + activeOld.reduce((n, rs) => n + replicasOf(rs), 0);
      const room = desired + maxSurge - total;
      if (room > 0) current = this.scale(d, current, Math.min(desired, replicasOf(current) + room));
    }
    // Scale down old ReplicaSets without going under minAvailable.
    const olds = activeOld.map((rs) => this.reload(rs) ?? rs);
    const allPods = replicasOf(current) + olds.reduce((n, rs) => n + replicasOf(rs), 0);
    const minAvailable = desired - maxUnavailable;
    const newUnavailable = replicasOf(current) - Number(status(current).availableReplicas ?? 0);
    let budget = allPods - minAvailable - newUnavailable;
    if (budget <= 0) return;
    // First the old pods that are not available anyway (cleanupUnhealthyReplicas).
    const sorted = [...olds].sort((a, b) => creationTime(a) - creationTime(b));
    for (let i = 0; i < sorted.length && budget > 0; i++) {
      const rs = sorted[i]!;
      const unhealthy = replicasOf(rs) - Number(status(rs).availableReplicas ?? 0);
      if (unhealthy <= 0) continue;
      const cut = Math.min(unhealthy, budget);
      sorted[i] = this.scale(d, rs, replicasOf(rs) - cut);
      budget -= cut;
    }
    // Then available old pods, while the total available stays above minAvailable.
    const available = Number(status(current).availableReplicas ?? 0) + sorted.reduce((n, rs) => n + Math.min(replicasOf(rs), Number(status(rs).availableReplicas ?? 0)), 0);
    let toRemove = Math.min(available - minAvailable, budget);
    for (let i = 0; i < sorted.length && toRemove > 0; i++) {
      const rs = sorted[i]!;
      const cut = Math.min(replicasOf(rs), toRemove);
      if (cut <= 0) continue;
      sorted[i] = this.scale(d, rs, replicasOf(rs) - cut);
      toRemove -= cut;
    }
  }

  private rolloutRecreate(d: Json, newRs: Json, oldRs: Json[]): void {
    const desired = Number(spec(d).replicas ?? 1);
    let oldRunning = 0;
    for (const rs of oldRs) {
      if (replicasOf(rs) > 0) this.scale(d, rs, 0);
      oldRunning += Number(status(this.reload(rs) ?? rs).replicas ?? 0);
    }
    if (oldRunning === 0) this.scale(d, this.reload(newRs) ?? newRs, desired);
  }

  private isScalingEvent(d: Json, newRs: Json | undefined, oldRs: Json[]): boolean {
    const desired = String(Number(spec(d).replicas ?? 1));
    return [...(newRs ? [newRs] : []), ...oldRs].some((rs) => {
      if (replicasOf(rs) <= 0) return false;
      const annotated = annotationsOf(rs)[DESIRED_REPLICAS];
      return annotated !== undefined && annotated !== desired;
    });
  }

  /** The real controller's scale(): one active ReplicaSet takes the full count; several share the change in proportion to their size. */
  private scaleProportionally(d: Json, newRs: Json | undefined, oldRs: Json[]): void {
    const desired = Number(spec(d).replicas ?? 1);
    const all = [...(newRs ? [newRs] : []), ...oldRs];
    const active = all.filter((rs) => replicasOf(rs) > 0);
    if (all.length === 0) return;
    if (active.length <= 1) {
      const target = active[0] ?? newRs ?? [...oldRs].sort((a, b) => creationTime(b) - creationTime(a))[0]!;
      this.scale(d, target, desired);
      return;
    }
    if (newRs && replicasOf(newRs) === desired && annotationsOf(newRs)[DESIRED_REPLICAS] === String(desired) && Number(status(newRs).availableReplicas ?? 0) === desired) {
      for (const rs of oldRs) if (replicasOf(rs) > 0) this.scale(d, rs, 0);
      return;
    }
    const strategy = isObject(spec(d).strategy) ? (spec(d).strategy as Json) : {};
    if (strategy.type === 'Recreate') return;
    const { maxSurge } = rolloutParams(d);
    const allowed = desired > 0 ? desired + maxSurge : 0;
    const toAdd = allowed - active.reduce((n, rs) => n + replicasOf(rs), 0);
    // Larger first; on a tie newer first when growing, older first when shrinking.
    const sorted = [...active].sort((a, b) => replicasOf(b) - replicasOf(a) || (toAdd > 0 ? creationTime(b) - creationTime(a) : creationTime(a) - creationTime(b)));
    let added = 0;
    const sizes = sorted.map((rs) => {
      if (toAdd === 0) return replicasOf(rs);
      const proportion = this.proportion(rs, d, toAdd, added);
      added += proportion;
      return replicasOf(rs) + proportion;
    });
    if (toAdd !== 0) sizes[0] = Math.max(0, sizes[0]! + toAdd - added);
    sorted.forEach((rs, i) => this.scale(d, rs, sizes[i]!));
  }

  /** GetProportion / getReplicaSetFraction, with the max-replicas annotation as the size the ReplicaSet was sized for. */
  private proportion(rs: Json, d: Json, toAdd: number, added: number): number {
    if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
    const desired = Number(spec(d).replicas ?? 1);
    let fraction: number;
    if (desired === 0) fraction = -replicasOf(rs);
    else {
      const deploymentReplicas = desired + rolloutParams(d).maxSurge;
      const annotated = Number(annotationsOf(rs)[MAX_REPLICAS] ?? status(d).replicas ?? 0);
      fraction = annotated > 0 ? Math.round((replicasOf(rs) * deploymentReplicas) / annotated) - replicasOf(rs) : 0;
    }
    const allowed = toAdd - added;
    return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
  }

  private syncStatus(d: Json, newRs: Json | undefined, oldRs: Json[], options: { paused: boolean }): Json {
    const all = [...(newRs ? [newRs] : []), ...oldRs];
    const desired = Number(spec(d).replicas ?? 1);
    const { maxUnavailable } = rolloutParams(d);
    const sum = (key: string, list: Json[]): number => list.reduce((n, rs) => n + Number(status(rs)[key] ?? 0), 0);
    const replicas = sum('replicas', all);
    const available = sum('availableReplicas', all);
    const prev = status(d);
    const next: Json = {
      observedGeneration: meta(d).generation,
      replicas,
      updatedReplicas: newRs ? Number(status(newRs).replicas ?? 0) : 0,
      readyReplicas: sum('readyReplicas', all),
      availableReplicas: available,
      // calculateStatus: the ReplicaSets' spec replicas minus what is available (so a surge pod that never starts counts).
      unavailableReplicas: Math.max(0, all.reduce((n, rs) => n + replicasOf(rs), 0) - available),
    };
    if (prev.collisionCount !== undefined) next.collisionCount = prev.collisionCount;
    const now = rfc3339(this.store.clock.now());
    let conditions = Array.isArray(prev.conditions) ? (prev.conditions as Json[]).map((c) => ({ ...c })) : [];
    conditions = setCondition(
      conditions,
      available >= desired - maxUnavailable
        ? condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', now)
        : condition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', now),
      false,
    );
    const deadline = spec(d).progressDeadlineSeconds;
    const progressing = conditions.find((c) => c.type === 'Progressing');
    if (options.paused) {
      if (progressing?.reason !== 'DeploymentPaused') conditions = setCondition(conditions, condition('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', now), false);
    } else if (typeof deadline === 'number' && newRs) {
      const rsName = nameOf(newRs);
      const candidate = { ...next };
      if (completeStatus(d, candidate)) {
        conditions = setCondition(conditions, condition('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`, now), false);
      } else if (madeProgress(prev, candidate, oldRs)) {
        const c = condition('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`, now);
        if (progressing?.status === 'True') c.lastTransitionTime = progressing.lastTransitionTime;
        conditions = [...conditions.filter((x) => x.type !== 'Progressing'), c];
      } else if (timedOut(progressing, deadline, this.store.clock.now())) {
        conditions = setCondition(conditions, condition('Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${rsName}" has timed out progressing.`, now), false);
      } else if (progressing?.reason === 'DeploymentPaused') {
        conditions = setCondition(conditions, condition('Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed', now), false);
      }
    }
    next.conditions = conditions;
    for (const key of ['updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas']) if (next[key] === 0) delete next[key];
    if (canonical(next) === canonical(prev)) return d;
    return this.store.update('deployments', { ...d, status: next }, { namespace: namespaceOf(d), name: nameOf(d), subresource: 'status' });
  }

  /** revisionHistoryLimit: delete the oldest fully scaled-down ReplicaSets beyond the limit. */
  private cleanup(d: Json, oldRs: Json[]): void {
    const limit = Number(spec(d).revisionHistoryLimit ?? 10);
    const candidates = oldRs.filter((rs) => replicasOf(rs) === 0 && Number(status(rs).replicas ?? 0) === 0 && !isTerminating(rs)).sort((a, b) => revisionOf(a) - revisionOf(b));
    const excess = candidates.length - limit;
    for (let i = 0; i < excess; i++) {
      try {
        this.store.delete('replicasets', namespaceOf(d), nameOf(candidates[i]!));
      } catch {
        // Already gone.
      }
    }
  }
}

function condition(type: string, statusValue: string, reason: string, message: string, now: string): Json {
  return { type, status: statusValue, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

/** SetDeploymentCondition: same status and reason → unchanged; same status → keep lastTransitionTime. */
function setCondition(conditions: Json[], next: Json, force: boolean): Json[] {
  const current = conditions.find((c) => c.type === next.type);
  if (current && current.status === next.status && current.reason === next.reason && !force) return conditions;
  if (current && current.status === next.status) next.lastTransitionTime = current.lastTransitionTime;
  return [...conditions.filter((c) => c.type !== next.type), next];
}

function completeStatus(d: Json, s: Json): boolean {
  const desired = Number(spec(d).replicas ?? 1);
  return s.updatedReplicas === desired && s.replicas === desired && s.availableReplicas === desired && Number(s.observedGeneration ?? 0) >= Number(meta(d).generation ?? 0);
}

function isComplete(d: Json): boolean {
  return findCondition(d, 'Progressing')?.reason === 'NewReplicaSetAvailable' && completeStatus(d, status(d));
}

function madeProgress(prev: Json, next: Json, oldRs: Json[]): boolean {
  const oldPods = oldRs.reduce((n, rs) => n + Number(status(rs).replicas ?? 0), 0);
  const prevOld = Number(prev.replicas ?? 0) - Number(prev.updatedReplicas ?? 0);
  return (
    Number(next.updatedReplicas ?? 0) > Number(prev.updatedReplicas ?? 0) ||
    oldPods < prevOld ||
    Number(next.readyReplicas ?? 0) > Number(prev.readyReplicas ?? 0) ||
    Number(next.availableReplicas ?? 0) > Number(prev.availableReplicas ?? 0)
  );
}

function timedOut(progressing: Json | undefined, deadlineSeconds: number, now: Date): boolean {
  if (!progressing) return false;
  if (progressing.reason === 'NewReplicaSetAvailable') return false;
  if (progressing.reason === 'ProgressDeadlineExceeded') return true;
  const from = typeof progressing.lastUpdateTime === 'string' ? new Date(progressing.lastUpdateTime).getTime() : now.getTime();
  return from + deadlineSeconds * 1000 < now.getTime();
}
