/**
 * The simulated cluster's storage and verb semantics: what the real
 * apiserver's generic registry does between decoding a request and writing
 * etcd (defaulting, admission, validation, optimistic concurrency, graceful
 * deletion, dry run), over in-memory maps with one global resourceVersion
 * counter. The HTTP router and the in-process controllers both go through
 * here, so a controller write is indistinguishable from a client's.
 *
 * Stored objects are never mutated in place: every write stores a new object.
 * Callers that read through `get`/`list` get the stored object itself and must
 * treat it as read-only (clone before changing), which is what keeps lists,
 * snapshots and watch history cheap.
 */
import type { SimClock } from '../clock';
import { isObject, type Json } from './defaults';
import { LogBuffers, type ReadLogOptions } from './logs';
import { applyPatch, type PatchKind } from './patch';
import { createRng, randomSuffix, uuid, type Rng } from './random';
import { apiVersionOf, resourceDef, RESOURCES, type ResourceDef } from './registry';
import { labelSelector, labelSelectorString, matchesFields, parseFieldSelector, selectorMatches, type FieldRequirement } from './selectors';
import { ApiError, errors, successStatus, type StatusBody, type StatusCause } from './status';
import { validateMetadata } from './validation';
import { WatchHub, type Change } from './watch';

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface WriteOptions {
  dryRun?: boolean;
}

export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
}

export type DeleteResult = { kind: 'object'; object: Json } | { kind: 'status'; status: StatusBody };

export const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function metaOf(object: Json): Json {
  return isObject(object.metadata) ? object.metadata : {};
}

function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Everything but metadata and status: a change here bumps generation. */
function specPart(object: Json): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = object;
  return JSON.stringify(rest);
}

export class ObjectStore {
  readonly hub = new WatchHub();
  readonly logs = new LogBuffers();
  readonly rng: Rng;
  private rv = 1;
  /** resource → namespace ('' for cluster scope) → name → object */
  private readonly data = new Map<string, Map<string, Map<string, Json>>>();

  constructor(readonly clock: SimClock, options: { seed?: number; namespaces?: string[] } = {}) {
    this.rng = createRng(options.seed ?? 20_201);
    for (const def of RESOURCES) this.data.set(def.resource, new Map());
    for (const name of options.namespaces ?? DEFAULT_NAMESPACES) this.create('namespaces', { metadata: { name } });
  }

  resourceVersion(): string {
    return String(this.rv);
  }

  currentRv(): number {
    return this.rv;
  }

  /* ---------- reads ---------- */

  get(resource: string, namespace: string | undefined, name: string): Json | undefined {
    const def = resourceDef(resource);
    return this.data.get(resource)!.get(def.namespaced ? (namespace ?? '') : '')?.get(name);
  }

  mustGet(resource: string, namespace: string | undefined, name: string): Json {
    const found = this.get(resource, namespace, name);
    if (!found) {
      const def = resourceDef(resource);
      throw errors.notFound(def.group, def.resource, name);
    }
    return found;
  }

  /** Matching objects sorted like etcd keys (namespace, then name). Selectors are parsed here, so a bad one is a 400. */
  list(resource: string, options: ListOptions = {}): Json[] {
    const def = resourceDef(resource);
    const labels = labelSelector(options.labelSelector);
    const fields = this.fieldRequirements(def, options.fieldSelector);
    const byNamespace = this.data.get(resource)!;
    const namespaces = def.namespaced && options.namespace !== undefined ? [options.namespace] : [...byNamespace.keys()].sort();
    const out: Json[] = [];
    for (const ns of namespaces) {
      const names = byNamespace.get(ns);
      if (!names) continue;
      const sorted = [...names.keys()].sort();
      for (const name of sorted) {
        const object = names.get(name)!;
        if (!labels(metaOf(object).labels as Record<string, string> | undefined)) continue;
        if (fields.length && !matchesFields(fields, object, def.fieldGetter)) continue;
        out.push(object);
      }
    }
    return out;
  }

  fieldRequirements(def: ResourceDef, raw: string | undefined): FieldRequirement[] {
    return parseFieldSelector(raw, ['metadata.name', 'metadata.namespace', ...def.fieldSelectors]);
  }

  count(resource: string): number {
    let n = 0;
    for (const names of this.data.get(resource)!.values()) n += names.size;
    return n;
  }

  /* ---------- writes ---------- */

  create(resource: string, body: unknown, options: WriteOptions & { namespace?: string } = {}): Json {
    const def = resourceDef(resource);
    if (!isObject(body)) throw errors.badRequest(`the body of a ${def.kind} create must be a JSON object`);
    const object = structuredClone(body);
    this.checkTypeMeta(def, object);
    const meta = isObject(object.metadata) ? object.metadata : (object.metadata = {});
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== '') throw errors.bareInternal('resourceVersion should not be set on objects to be created');
    const namespace = this.resolveNamespace(def, meta, options.namespace);
    if ((meta.name === undefined || meta.name === '') && typeof meta.generateName === 'string' && meta.generateName !== '') {
      meta.name = `${meta.generateName}${randomSuffix(this.rng)}`;
    }
    const name = typeof meta.name === 'string' ? meta.name : '';
    if (def.namespaced) this.checkNamespaceWritable(def, namespace!, name);
    def.defaults?.(object);
    def.admit?.(object);
    def.prepareForCreate?.(object);
    this.validate(def, object, name);
    if (this.get(resource, namespace, name)) throw errors.alreadyExists(def.group, def.resource, name);
    meta.uid = uuid(this.rng);
    meta.creationTimestamp = rfc3339(this.clock.now());
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.managedFields;
    delete meta.selfLink;
    if (def.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    const typed = withTypeMeta(def, object);
    if (options.dryRun) return typed;
    return this.commit(def, namespace, name, typed, 'ADDED');
  }

  /**
   * PUT. `subresource: 'status'` replaces only the status; otherwise the
   * stored status is kept (for resources with a status subresource).
   */
  update(resource: string, body: unknown, options: WriteOptions & { namespace?: string; name: string; subresource?: 'status' }): Json {
    const def = resourceDef(resource);
    if (!isObject(body)) throw errors.badRequest(`the body of a ${def.kind} update must be a JSON object`);
    const incoming = structuredClone(body);
    this.checkTypeMeta(def, incoming);
    const meta = isObject(incoming.metadata) ? incoming.metadata : (incoming.metadata = {});
    if (meta.name !== undefined && meta.name !== options.name)
      throw errors.badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${options.name})`);
    meta.name = options.name;
    const namespace = this.resolveNamespace(def, meta, options.namespace);
    const current = this.mustGet(resource, namespace, options.name);
    const currentMeta = metaOf(current);
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== '' && meta.resourceVersion !== currentMeta.resourceVersion) {
      throw errors.staleResourceVersion(def.group, def.resource, options.name);
    }
    if (meta.uid !== undefined && meta.uid !== '' && meta.uid !== currentMeta.uid) {
      throw errors.conflict(def.group, def.resource, options.name, `Precondition failed: UID in precondition: ${String(meta.uid)}, UID in object meta: ${String(currentMeta.uid)}`);
    }
    const next = this.prepareUpdate(def, current, incoming, options.subresource);
    return this.finishUpdate(def, namespace, current, next, options.dryRun ?? false, options.subresource === 'status');
  }

  patch(resource: string, namespace: string | undefined, name: string, kind: PatchKind, patch: unknown, options: WriteOptions & { subresource?: 'status' } = {}): Json {
    const def = resourceDef(resource);
    const current = this.mustGet(resource, namespace, name);
    const patched = applyPatch(kind, structuredClone(current), patch);
    const pmeta = isObject(patched.metadata) ? patched.metadata : (patched.metadata = {});
    if (pmeta.name !== name) throw errors.badRequest(`the name of the object (${String(pmeta.name)}) does not match the name on the URL (${name})`);
    if (def.namespaced && pmeta.namespace !== namespace) throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    const currentMeta = metaOf(current);
    // A patch that carries metadata.resourceVersion is a precondition (how clients do optimistic patches).
    if (pmeta.resourceVersion !== currentMeta.resourceVersion) throw errors.staleResourceVersion(def.group, def.resource, name);
    if (pmeta.uid !== currentMeta.uid) {
      throw errors.conflict(def.group, def.resource, name, `Precondition failed: UID in precondition: ${String(pmeta.uid)}, UID in object meta: ${String(currentMeta.uid)}`);
    }
    const next = this.prepareUpdate(def, current, patched, options.subresource);
    return this.finishUpdate(def, namespace, current, next, options.dryRun ?? false, options.subresource === 'status');
  }

  /**
   * The real strategies' PrepareForUpdate: a main-resource write keeps the
   * stored status; a status write keeps the stored spec (and owner
   * references, labels for apps/v1) but may change annotations — which is how
   * the Deployment controller sets the revision annotation without bumping
   * generation.
   */
  private prepareUpdate(def: ResourceDef, current: Json, candidate: Json, subresource: 'status' | undefined): Json {
    const next = candidate;
    if (subresource === 'status') {
      if (current.spec === undefined) delete next.spec;
      else next.spec = structuredClone(current.spec);
      const meta = metaOf(next);
      const currentMeta = metaOf(current);
      for (const key of ['ownerReferences', ...(def.group === 'apps' ? ['labels'] : [])]) {
        if (currentMeta[key] === undefined) delete meta[key];
        else meta[key] = structuredClone(currentMeta[key]);
      }
      if (next.status === undefined) next.status = {};
      return next;
    }
    if (def.statusSubresource) {
      if (current.status === undefined) delete next.status;
      else next.status = structuredClone(current.status);
    }
    def.defaults?.(next);
    return next;
  }

  private finishUpdate(def: ResourceDef, namespace: string | undefined, current: Json, candidate: Json, dryRun: boolean, statusWrite = false): Json {
    let next = candidate;
    const currentMeta = metaOf(current);
    const meta = isObject(next.metadata) ? next.metadata : (next.metadata = {});
    // System-owned metadata cannot be changed by a client.
    for (const key of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'namespace'] as const) {
      if (currentMeta[key] === undefined) delete meta[key];
      else meta[key] = currentMeta[key];
    }
    delete meta.managedFields;
    delete meta.selfLink;
    meta.resourceVersion = currentMeta.resourceVersion;
    next = withTypeMeta(def, next);
    const name = String(meta.name);
    const causes: StatusCause[] = [];
    validateMetadata(meta, def.nameRule, causes);
    def.validate?.(next, causes);
    def.validateUpdate?.(next, current, causes);
    if (causes.length) throw errors.invalid(def.group, def.kind, name, causes);
    if (def.tracksGeneration && !statusWrite) {
      const annotationsChanged = def.resource === 'deployments' && JSON.stringify(meta.annotations ?? {}) !== JSON.stringify(currentMeta.annotations ?? {});
      if (specPart(next) !== specPart(current) || annotationsChanged) meta.generation = Number(currentMeta.generation ?? 0) + 1;
    }
    // A write that changes nothing is not a write: no new resourceVersion, no watch event (as the real server).
    if (JSON.stringify(next) === JSON.stringify(current)) return current;
    if (dryRun) return next;
    const finalizers = Array.isArray(meta.finalizers) ? meta.finalizers : [];
    if (meta.deletionTimestamp !== undefined && finalizers.length === 0 && (def.resource !== 'pods' || meta.deletionGracePeriodSeconds === 0)) {
      return this.remove(def, namespace, name, current);
    }
    return this.commit(def, namespace, name, next, 'MODIFIED', current);
  }

  delete(resource: string, namespace: string | undefined, name: string, options: DeleteOptions = {}): DeleteResult {
    const def = resourceDef(resource);
    const current = this.mustGet(resource, namespace, name);
    const meta = metaOf(current);
    const pre = options.preconditions;
    if (pre?.uid !== undefined && pre.uid !== meta.uid) {
      throw errors.conflict(def.group, def.resource, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${String(meta.uid)}`);
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== meta.resourceVersion) {
      throw errors.conflict(def.group, def.resource, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in meta: ${String(meta.resourceVersion)}`);
    }
    if (options.gracePeriodSeconds !== undefined && (!Number.isInteger(options.gracePeriodSeconds) || options.gracePeriodSeconds < 0)) {
      throw errors.badRequest(`gracePeriodSeconds must be a non-negative integer, got ${options.gracePeriodSeconds}`);
    }
    const dryRun = options.dryRun ?? false;
    const next = structuredClone(current);
    const nmeta = metaOf(next);
    const finalizers = Array.isArray(nmeta.finalizers) ? [...(nmeta.finalizers as string[])] : [];
    const now = this.clock.now();

    if (def.resource === 'namespaces') {
      if (['default', 'kube-system', 'kube-public'].includes(name)) throw errors.forbidden('', 'namespaces', name, 'this namespace may not be deleted');
      // Namespaces always finalize: the namespace controller empties them, then removes them.
      if (nmeta.deletionTimestamp === undefined) {
        nmeta.deletionTimestamp = rfc3339(now);
        next.status = { ...(isObject(next.status) ? next.status : {}), phase: 'Terminating' };
        if (!dryRun) this.commit(def, namespace, name, next, 'MODIFIED', current);
      }
      return { kind: 'object', object: next };
    }

    if (options.propagationPolicy === 'Orphan' && !dryRun) this.orphanDependents(meta.uid as string);
    if (options.propagationPolicy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');

    let grace = 0;
    if (def.resource === 'pods') {
      const spec = isObject(current.spec) ? current.spec : {};
      const status = isObject(current.status) ? current.status : {};
      grace = options.gracePeriodSeconds ?? Number(spec.terminationGracePeriodSeconds ?? 30);
      // Unbound or finished pods have no kubelet to wait for: the real registry deletes them at once.
      if (!spec.nodeName || status.phase === 'Succeeded' || status.phase === 'Failed') grace = 0;
      const already = nmeta.deletionGracePeriodSeconds;
      if (typeof already === 'number' && already < grace) grace = already;
    }

    if (finalizers.length > 0 || grace > 0) {
      if (nmeta.deletionTimestamp === undefined || grace < Number(nmeta.deletionGracePeriodSeconds ?? Infinity)) {
        nmeta.deletionTimestamp = rfc3339(new Date(now.getTime() + grace * 1000));
        nmeta.deletionGracePeriodSeconds = grace;
      }
      if (finalizers.length) nmeta.finalizers = finalizers;
      if (finalizers.length === 0 && grace === 0) {
        if (!dryRun) this.remove(def, namespace, name, current);
      } else if (!dryRun && JSON.stringify(next) !== JSON.stringify(current)) {
        return { kind: 'object', object: this.commit(def, namespace, name, next, 'MODIFIED', current) };
      }
      return { kind: 'object', object: next };
    }

    if (def.resource === 'pods') {
      // The last state of a pod deleted at once carries deletionTimestamp=now and a zero grace period, as from the real registry.
      const stamped = { ...current, metadata: { ...meta, deletionTimestamp: meta.deletionTimestamp ?? rfc3339(now), deletionGracePeriodSeconds: 0 } };
      return { kind: 'object', object: dryRun ? stamped : this.remove(def, namespace, name, stamped) };
    }
    if (!dryRun) this.remove(def, namespace, name, current);
    return { kind: 'status', status: successStatus(undefined, { name, group: def.group || undefined, kind: def.resource, uid: meta.uid as string }) };
  }

  /* ---------- subresources ---------- */

  getScale(resource: string, namespace: string, name: string): Json {
    const object = this.mustGet(resource, namespace, name);
    return scaleOf(object);
  }

  updateScale(resource: string, namespace: string, name: string, scale: unknown, options: WriteOptions = {}): Json {
    const def = resourceDef(resource);
    if (!isObject(scale)) throw errors.badRequest('the body of a Scale update must be a JSON object');
    const current = this.mustGet(resource, namespace, name);
    const smeta = isObject(scale.metadata) ? scale.metadata : {};
    if (smeta.name !== undefined && smeta.name !== name) throw errors.badRequest(`the name of the object (${String(smeta.name)}) does not match the name on the URL (${name})`);
    if (smeta.resourceVersion !== undefined && smeta.resourceVersion !== '' && smeta.resourceVersion !== metaOf(current).resourceVersion) {
      throw errors.staleResourceVersion(def.group, def.resource, name);
    }
    const replicas = isObject(scale.spec) ? scale.spec.replicas : undefined;
    if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)) {
      throw errors.invalid('autoscaling', 'Scale', name, [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, field: 'spec.replicas' }]);
    }
    const next = structuredClone(current);
    (next.spec as Json).replicas = replicas ?? 0;
    return scaleOf(this.finishUpdate(def, namespace, current, next, options.dryRun ?? false));
  }

  /** pods/{name}/binding: what the scheduler does; the only way to set spec.nodeName after creation. */
  bind(namespace: string, name: string, binding: unknown, options: WriteOptions = {}): void {
    if (!isObject(binding)) throw errors.badRequest('the body of a Binding must be a JSON object');
    const target = binding.target;
    if (!isObject(target) || typeof target.name !== 'string' || target.name === '') {
      throw errors.invalid('', 'Binding', name, [{ reason: 'FieldValueRequired', message: 'Required value', field: 'target.name' }]);
    }
    if (target.kind !== undefined && target.kind !== 'Node' && target.kind !== '') {
      throw errors.invalid('', 'Binding', name, [{ reason: 'FieldValueNotSupported', message: `Unsupported value: "${String(target.kind)}": supported values: "Node"`, field: 'target.kind' }]);
    }
    const current = this.mustGet('pods', namespace, name);
    const meta = metaOf(current);
    const bmeta = isObject(binding.metadata) ? binding.metadata : {};
    if (bmeta.uid !== undefined && bmeta.uid !== meta.uid) throw errors.conflict('', 'pods/binding', name, `Precondition failed: UID in precondition: ${String(bmeta.uid)}, UID in object meta: ${String(meta.uid)}`);
    if (meta.deletionTimestamp !== undefined) throw errors.conflict('', 'pods/binding', name, `pod ${name} is being deleted, cannot be assigned to a host`);
    const spec = current.spec as Json;
    if (spec.nodeName) throw errors.conflict('', 'pods/binding', name, `pod ${name} is already assigned to node "${String(spec.nodeName)}"`);
    if (options.dryRun) return;
    const next = structuredClone(current);
    (next.spec as Json).nodeName = target.name;
    const status = isObject(next.status) ? next.status : (next.status = {});
    const conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter((c) => !(isObject(c) && c.type === 'PodScheduled'));
    conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(this.clock.now()) });
    status.conditions = conditions;
    if (isObject(bmeta.annotations)) metaOf(next).annotations = { ...((metaOf(next).annotations as Json) ?? {}), ...bmeta.annotations };
    this.commit(resourceDef('pods'), namespace, name, next, 'MODIFIED', current);
  }

  /** pods/{name}/eviction. No PodDisruptionBudgets are served, so an eviction is always allowed: it is a delete. */
  evict(namespace: string, name: string, eviction: unknown, options: WriteOptions = {}): void {
    if (!isObject(eviction)) throw errors.badRequest('the body of an Eviction must be a JSON object');
    const emeta = isObject(eviction.metadata) ? eviction.metadata : {};
    if (emeta.name !== undefined && emeta.name !== name) throw errors.badRequest(`name in URL does not match name in Eviction object`);
    this.checkDisruptionBudget(namespace, this.mustGet('pods', namespace, name));
    const deleteOptions = isObject(eviction.deleteOptions) ? eviction.deleteOptions : {};
    const grace = deleteOptions.gracePeriodSeconds;
    this.delete('pods', namespace, name, {
      ...(typeof grace === 'number' ? { gracePeriodSeconds: grace } : {}),
      ...(options.dryRun ? { dryRun: true } : {}),
    });
  }

  /**
   * The disruption controller's arithmetic, done at eviction time (no
   * disruption controller runs): healthy pods the budget selects minus what it
   * requires must stay above zero, else 429 as from the real server.
   */
  private checkDisruptionBudget(namespace: string, pod: Json): void {
    const labels = metaOf(pod).labels as Record<string, string> | undefined;
    const budgets = this.list('poddisruptionbudgets', { namespace }).filter((b) => selectorMatches((b.spec as Json)?.selector, labels));
    if (budgets.length === 0) return;
    if (budgets.length > 1) throw errors.internal('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    const budget = budgets[0]!;
    const spec = budget.spec as Json;
    const selected = this.list('pods', { namespace }).filter((p) => metaOf(p).deletionTimestamp === undefined && selectorMatches(spec.selector, metaOf(p).labels as Record<string, string> | undefined));
    const healthy = selected.filter((p) => {
      const conditions = isObject(p.status) && Array.isArray(p.status.conditions) ? p.status.conditions : [];
      return conditions.some((c) => isObject(c) && c.type === 'Ready' && c.status === 'True');
    }).length;
    const resolve = (v: unknown): number => (typeof v === 'string' && v.endsWith('%') ? Math.ceil((Number(v.slice(0, -1)) * selected.length) / 100) : Number(v));
    const desired = spec.minAvailable !== undefined ? resolve(spec.minAvailable) : spec.maxUnavailable !== undefined ? selected.length - resolve(spec.maxUnavailable) : selected.length;
    if (healthy - desired > 0) return;
    const budgetName = String(metaOf(budget).name);
    throw new ApiError({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      reason: 'TooManyRequests',
      details: { causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${budgetName} needs ${desired} healthy pods and has ${healthy} currently` }] },
      code: 429,
    });
  }

  /* ---------- logs (in-process API for the kubelet side) ---------- */

  appendLog(namespace: string, pod: string, container: string, text: string, options: { previous?: boolean } = {}): void {
    this.checkContainer(namespace, pod, container);
    this.logs.append(namespace, pod, container, text, this.clock.now(), options.previous ?? false);
  }

  rotateLog(namespace: string, pod: string, container: string): void {
    this.checkContainer(namespace, pod, container);
    this.logs.rotate(namespace, pod, container);
  }

  /**
   * pods/{name}/log with the real server's errors for a missing, ambiguous or
   * not-yet-started container. `undefined` for a pod not bound to a node: the
   * real server has no kubelet to ask and answers 204 No Content.
   */
  readLog(namespace: string, pod: string, container: string | undefined, options: ReadLogOptions = {}): string | undefined {
    const object = this.mustGet('pods', namespace, pod);
    const spec = object.spec as Json;
    const names = [...(Array.isArray(spec.containers) ? spec.containers : []), ...(Array.isArray(spec.initContainers) ? spec.initContainers : [])].map((c) => String((c as Json).name));
    let chosen = container;
    if (!chosen) {
      if (names.length !== 1 && Array.isArray(spec.containers) && spec.containers.length !== 1)
        throw errors.badRequest(`a container name must be specified for pod ${pod}, choose one of: [${(spec.containers as Json[]).map((c) => c.name).join(' ')}]`);
      chosen = String((spec.containers as Json[])[0]!.name);
    }
    if (!names.includes(chosen)) throw errors.badRequest(`container ${chosen} is not valid for pod ${pod}`);
    if (!spec.nodeName) return undefined;
    if (options.previous) {
      if (!this.logs.has(namespace, pod, chosen, true)) throw errors.badRequest(`previous terminated container "${chosen}" in pod "${pod}" not found`);
    } else if (!this.logs.has(namespace, pod, chosen, false)) {
      const statuses = [...(Array.isArray((object.status as Json)?.containerStatuses) ? ((object.status as Json).containerStatuses as Json[]) : [])];
      const status = statuses.find((s) => s.name === chosen);
      const waiting = isObject(status?.state) && isObject(status.state.waiting) ? status.state.waiting : undefined;
      if (!status || waiting) {
        const reason = waiting?.reason ? String(waiting.reason) : 'ContainerCreating';
        throw errors.badRequest(`container "${chosen}" in pod "${pod}" is waiting to start: ${reason}`);
      }
    }
    return this.logs.read(namespace, pod, chosen, options);
  }

  private checkContainer(namespace: string, pod: string, container: string): void {
    const object = this.mustGet('pods', namespace, pod);
    const spec = object.spec as Json;
    const all = [...(Array.isArray(spec.containers) ? spec.containers : []), ...(Array.isArray(spec.initContainers) ? spec.initContainers : [])];
    if (!all.some((c) => isObject(c) && c.name === container)) throw errors.badRequest(`container ${container} is not valid for pod ${pod}`);
  }

  /* ---------- internals ---------- */

  private checkTypeMeta(def: ResourceDef, object: Json): void {
    if (object.kind !== undefined && object.kind !== def.kind) {
      throw errors.badRequest(`the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${apiVersionOf(def)}) or kind ${String(object.kind)} is not ${def.kind}`);
    }
    if (object.apiVersion !== undefined && !def.versions.some((v) => apiVersionOf(def, v) === object.apiVersion)) {
      throw errors.badRequest(`the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${apiVersionOf(def)})`);
    }
  }

  private resolveNamespace(def: ResourceDef, meta: Json, fromUrl: string | undefined): string | undefined {
    if (!def.namespaced) {
      delete meta.namespace;
      return undefined;
    }
    const inBody = typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : undefined;
    if (fromUrl !== undefined && inBody !== undefined && inBody !== fromUrl) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const namespace = fromUrl ?? inBody;
    if (namespace === undefined) throw errors.badRequest(`a namespace is required to write a ${def.kind}`);
    meta.namespace = namespace;
    return namespace;
  }

  private checkNamespaceWritable(def: ResourceDef, namespace: string, name: string): void {
    const ns = this.get('namespaces', undefined, namespace);
    if (!ns) throw errors.notFound('', 'namespaces', namespace);
    // Events may still be recorded in a terminating namespace (the real NamespaceLifecycle plugin allows it).
    if (metaOf(ns).deletionTimestamp !== undefined && def.resource !== 'events') {
      throw errors.forbidden(def.group, def.resource, name || '', `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  private validate(def: ResourceDef, object: Json, name: string): void {
    const causes: StatusCause[] = [];
    validateMetadata(metaOf(object), def.nameRule, causes);
    def.validate?.(object, causes);
    if (causes.length) throw errors.invalid(def.group, def.kind, name, causes);
  }

  private commit(def: ResourceDef, namespace: string | undefined, name: string, object: Json, type: 'ADDED' | 'MODIFIED', previous?: Json): Json {
    this.rv += 1;
    metaOf(object).resourceVersion = String(this.rv);
    const byNamespace = this.data.get(def.resource)!;
    const nsKey = namespace ?? '';
    let names = byNamespace.get(nsKey);
    if (!names) byNamespace.set(nsKey, (names = new Map()));
    names.set(name, object);
    const change: Change = { rv: this.rv, resource: def.resource, namespace, type, object };
    if (previous) change.previous = previous;
    this.hub.publish(change);
    return object;
  }

  private remove(def: ResourceDef, namespace: string | undefined, name: string, current: Json): Json {
    this.rv += 1;
    const removed = { ...current, metadata: { ...metaOf(current), resourceVersion: String(this.rv) } };
    const names = this.data.get(def.resource)!.get(namespace ?? '');
    names?.delete(name);
    if (names && names.size === 0) this.data.get(def.resource)!.delete(namespace ?? '');
    if (def.resource === 'pods') this.logs.deletePod(namespace!, name);
    this.hub.publish({ rv: this.rv, resource: def.resource, namespace, type: 'DELETED', object: removed });
    return removed;
  }

  /** Orphan propagation: dependents lose their owner reference instead of being collected. */
  private orphanDependents(uid: string): void {
    for (const def of RESOURCES) {
      if (!def.namespaced) continue;
      for (const object of this.list(def.resource)) {
        const refs = metaOf(object).ownerReferences;
        if (!Array.isArray(refs) || !refs.some((r) => isObject(r) && r.uid === uid)) continue;
        const next = structuredClone(object);
        metaOf(next).ownerReferences = refs.filter((r) => !(isObject(r) && r.uid === uid));
        const meta = metaOf(next);
        this.commit(def, meta.namespace as string, meta.name as string, next, 'MODIFIED', object);
      }
    }
  }

  /** Removes an object whose finalization is complete (used by the namespace and GC controllers). */
  finalize(resource: string, namespace: string | undefined, name: string): void {
    const def = resourceDef(resource);
    const current = this.get(resource, namespace, name);
    if (current) this.remove(def, namespace, name, current);
  }
}

/** kind and apiVersion first, as the real server serializes objects. */
function withTypeMeta(def: ResourceDef, object: Json): Json {
  const { kind: _k, apiVersion: _a, ...rest } = object;
  return { kind: def.kind, apiVersion: apiVersionOf(def), ...rest };
}

/** The autoscaling/v1 Scale view of a workload, as the scale subresource serves it. */
export function scaleOf(object: Json): Json {
  const meta = metaOf(object);
  const spec = isObject(object.spec) ? object.spec : {};
  const status = isObject(object.status) ? object.status : {};
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: meta.name,
      namespace: meta.namespace,
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
      creationTimestamp: meta.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: labelSelectorString(spec.selector) },
  };
}
