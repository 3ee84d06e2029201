/**
 * HTTP → store: parses Kubernetes REST paths and query parameters, dispatches
 * to the store's verbs, and writes JSON (or Table, or a watch stream, or
 * plain-text logs). Every path or verb that is not served ends in a 404/405
 * Status, never a silent success.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isObject, type Json } from './defaults';
import { apiGroup, apiGroupList, apiVersions, resourceList, VERSION_INFO } from './discovery';
import { serverSideApply } from './apply';
import { FieldManagers, managerOf } from './managed-fields';
import { ListSnapshots } from './pagination';
import { readObject, readPatch } from './body';
import { applyPatch } from './patch';
import { apiVersionOf, findResource, type ResourceDef, type Subresource } from './registry';
import { followLog } from './log-follow';
import { review } from './reviews';
import { labelSelector } from './selectors';
import { ApiError, errors, successStatus } from './status';
import type { DeleteOptions, ObjectStore } from './store';
import { toTable, wantsTable, type IncludeObject } from './tables';
import { viewOf, type WatchFilter } from './watch';


interface Target {
  def: ResourceDef;
  version: string;
  namespace?: string;
  name?: string;
  subresource?: Subresource;
}

export interface RouterContext {
  store: ObjectStore;
  token: string;
  serverAddress: () => string;
  snapshots: ListSnapshots;
  /** Field ownership (managedFields) beside the store. */
  fields: FieldManagers;
  /** Open watch responses, closed by stop(). */
  watches: Set<ServerResponse>;
}

const UNAUTHENTICATED = new Set(['/healthz', '/livez', '/readyz', '/version']);

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const apiError = error instanceof ApiError ? error : errors.internal(error instanceof Error ? error.message : String(error));
  send(res, apiError.code, apiError.status);
}

const OPTIONS_KIND: Record<string, 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions'> = {
  POST: 'CreateOptions',
  PUT: 'UpdateOptions',
  PATCH: 'PatchOptions',
  DELETE: 'DeleteOptions',
};

function checkDryRunValues(values: unknown[], method: string): void {
  if (values.every((v) => v === 'All')) return;
  const goList = `[]string{${values.map((v) => JSON.stringify(String(v))).join(', ')}}`;
  throw errors.invalidOptions(OPTIONS_KIND[method] ?? 'CreateOptions', [{ reason: 'FieldValueNotSupported', message: `Unsupported value: ${goList}: supported values: "All"`, field: 'dryRun' }]);
}

function dryRunOf(query: URLSearchParams, method: string): boolean {
  const values = query.getAll('dryRun');
  if (values.length === 0) return false;
  checkDryRunValues(values, method);
  return true;
}

function intParam(query: URLSearchParams, name: string, min: number): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw) || Number(raw) < min) throw errors.badRequest(`${name}: invalid value "${raw}": must be an integer >= ${min}`);
  return Number(raw);
}

/**
 * Resources every Kubernetes serves that the simulator does not: a 404 as the real server
 * answers for an unknown resource, with the message naming what is missing (a real server
 * would have served it, so there is no body to match). Anything else keeps the real wording.
 */
const KUBERNETES_RESOURCES: Record<string, readonly string[]> = {
  '': ['endpoints', 'serviceaccounts', 'persistentvolumeclaims', 'persistentvolumes', 'resourcequotas', 'limitranges', 'podtemplates', 'replicationcontrollers', 'componentstatuses'],
  apps: ['controllerrevisions'],
  'networking.k8s.io': ['ingresses', 'networkpolicies', 'ingressclasses'],
  'rbac.authorization.k8s.io': ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'],
  'storage.k8s.io': ['storageclasses'],
  'coordination.k8s.io': ['leases'],
  'discovery.k8s.io': ['endpointslices'],
};

function notServed(group: string, version: string, resource: string): ApiError {
  const error = errors.unknownResource();
  if (!KUBERNETES_RESOURCES[group]?.includes(resource)) return error;
  const gv = group ? `${group}/${version}` : version;
  return new ApiError({ ...error.status, message: `${error.status.message}: the simulated API server does not serve ${resource} (${gv})` });
}

/** Splits a path under /api/v1 or /apis/{g}/{v} into resource, namespace, name, subresource. */
function parseTarget(group: string, version: string, segments: string[]): Target {
  let namespace: string | undefined;
  let rest = segments;
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length === 0 || rest.length > 3 || rest.some((s) => s === '')) throw errors.unknownResource();
  const def = findResource(group, version, rest[0]!);
  if (!def) throw notServed(group, version, rest[0]!);
  if (namespace !== undefined && !def.namespaced) throw errors.unknownResource();
  const target: Target = { def, version };
  if (namespace !== undefined) target.namespace = namespace;
  if (rest[1] !== undefined) target.name = rest[1];
  if (rest[2] !== undefined) {
    if (!def.subresources.includes(rest[2] as Subresource)) throw errors.unknownResource();
    target.subresource = rest[2] as Subresource;
  }
  // A named namespaced object needs its namespace in the path.
  if (def.namespaced && target.name !== undefined && namespace === undefined) throw errors.unknownResource();
  return target;
}

/** The object as served at the requested version (only apiVersion differs between served versions). */
function served(ctx: RouterContext, target: Target, object: Json): Json {
  const apiVersion = apiVersionOf(target.def, target.version);
  const conversion = target.def.conversions?.[target.version];
  const view = conversion ? conversion.fromStored(object) : object.apiVersion === apiVersion ? object : { ...object, apiVersion };
  return ctx.fields.show(target.def, view);
}

/** A request body at the requested version, in the stored version's shape. */
function toStored(target: Target, body: unknown): unknown {
  const conversion = target.def.conversions?.[target.version];
  return conversion && isObject(body) ? conversion.toStored(body) : body;
}

/** Ownership of what a non-apply write changed (skipped for dry runs and status writes, see managed-fields.ts). */
function recordWrite(ctx: RouterContext, req: IncomingMessage, target: Target, query: URLSearchParams, before: Json | undefined, after: Json, dryRun: boolean): void {
  if (dryRun || target.subresource !== undefined) return;
  ctx.fields.recordUpdate(target.def, apiVersionOf(target.def, target.version), before, after, managerOf(query, req.headers['user-agent']), rfc3339Seconds(ctx.store.clock.now()));
}

function rfc3339Seconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export async function handle(ctx: RouterContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', 'https://sim.invalid');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (!UNAUTHENTICATED.has(path)) {
      const auth = req.headers.authorization ?? '';
      if (auth !== `Bearer ${ctx.token}`) throw errors.unauthorized();
    }
    const method = req.method ?? 'GET';
    if (['/healthz', '/livez', '/readyz'].includes(path)) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    const segments = path.split('/').slice(1);
    if (path === '/version') return requireGet(method, () => send(res, 200, VERSION_INFO));
    if (path === '/api') return requireGet(method, () => send(res, 200, apiVersions(ctx.serverAddress())));
    if (path === '/apis') return requireGet(method, () => send(res, 200, apiGroupList()));
    if (path === '/openapi/v2') return requireGet(method, () => sendOpenApiV2(req, res));
    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === 'api' && segments.length >= 2) {
      group = '';
      version = segments[1]!;
      rest = segments.slice(2);
    } else if (segments[0] === 'apis' && segments.length >= 2) {
      group = segments[1]!;
      if (segments.length === 2) {
        const doc = apiGroup(group);
        if (!doc) throw errors.unknownResource();
        return requireGet(method, () => send(res, 200, doc));
      }
      version = segments[2]!;
      rest = segments.slice(3);
    } else throw errors.unknownResource();
    if (group === 'authorization.k8s.io' && version === 'v1' && rest.length > 0) {
      const answer = await review(req, method, rest);
      return send(res, answer.code, answer.body);
    }
    if (rest.length === 0) {
      const doc = resourceList(group, version);
      if (!doc) throw errors.unknownResource();
      return requireGet(method, () => send(res, 200, doc));
    }
    // Legacy watch paths: /api/v1/watch/namespaces/{ns}/pods[/{name}].
    let legacyWatch = false;
    if (rest[0] === 'watch') {
      legacyWatch = true;
      rest = rest.slice(1);
    }
    const target = parseTarget(group, version, rest);
    if (legacyWatch) {
      if (method !== 'GET' || target.subresource) throw errors.methodNotAllowed();
      if (target.name !== undefined) url.searchParams.append('fieldSelector', `metadata.name=${target.name}`);
      return startWatch(ctx, req, res, { ...target, name: undefined } as Target, url.searchParams);
    }
    await dispatch(ctx, req, res, method, target, url.searchParams);
  } catch (error) {
    sendError(res, error);
  }

  function requireGet(method: string, serve: () => void): void {
    if (method !== 'GET') throw errors.methodNotAllowed();
    serve();
  }
}

async function dispatch(ctx: RouterContext, req: IncomingMessage, res: ServerResponse, method: string, target: Target, query: URLSearchParams): Promise<void> {
  const { store } = ctx;
  const { def, namespace, name, subresource } = target;
  const dryRun = method === 'GET' ? false : dryRunOf(query, method);

  if (name === undefined) {
    if (method === 'GET') {
      const watch = query.get('watch');
      if (watch === 'true' || watch === '1') return startWatch(ctx, req, res, target, query);
      return sendList(ctx, req, res, target, query);
    }
    if (method === 'POST') {
      const body = toStored(target, await readObject(req, `${def.kind} create`));
      const created = store.create(def.resource, body, { dryRun, ...(namespace !== undefined ? { namespace } : {}) });
      recordWrite(ctx, req, target, query, undefined, created, dryRun);
      return send(res, 201, served(ctx, target, created));
    }
    if (method === 'DELETE') {
      const options = await deleteOptions(req, query, dryRun);
      const listOptions = { ...(namespace !== undefined ? { namespace } : {}), labelSelector: query.get('labelSelector') ?? '', fieldSelector: query.get('fieldSelector') ?? '' };
      const deleted: Json[] = [];
      for (const object of store.list(def.resource, listOptions)) {
        const meta = object.metadata as Json;
        const result = store.delete(def.resource, meta.namespace as string | undefined, String(meta.name), options);
        deleted.push(result.kind === 'object' ? result.object : object);
      }
      return send(res, 200, { kind: `${def.kind}List`, apiVersion: apiVersionOf(def, target.version), metadata: { resourceVersion: store.resourceVersion() }, items: deleted.map((o) => served(ctx, target, o)) });
    }
    throw errors.methodNotAllowed();
  }

  switch (subresource) {
    case undefined:
    case 'status': {
      if (method === 'GET') {
        const object = store.mustGet(def.resource, namespace, name);
        if (wantsTable(req.headers.accept) && subresource === undefined) {
          return send(res, 200, toTable(def, [served(ctx, target, object)], { resourceVersion: (object.metadata as Json).resourceVersion }, store.clock.now(), includeObject(query)));
        }
        return send(res, 200, served(ctx, target, object));
      }
      if (method === 'PUT') {
        const body = toStored(target, await readObject(req, `${def.kind} update`));
        const before = store.get(def.resource, namespace, name);
        const updated = store.update(def.resource, body, { name, dryRun, ...(namespace !== undefined ? { namespace } : {}), ...(subresource ? { subresource } : {}) });
        recordWrite(ctx, req, target, query, before, updated, dryRun);
        return send(res, 200, served(ctx, target, updated));
      }
      if (method === 'PATCH') {
        const { kind, patch } = await readPatch(req);
        if (kind === 'apply') {
          if (def.conversions?.[target.version]) throw errors.badRequest(`server-side apply of ${apiVersionOf(def, target.version)} ${def.kind} is not supported by the simulated API server; apply ${apiVersionOf(def)}`);
          const result = serverSideApply(store, ctx.fields, { def, version: target.version, name, patch, query, dryRun, ...(namespace !== undefined ? { namespace } : {}), ...(subresource ? { subresource } : {}) });
          return send(res, result.code, served(ctx, target, result.object));
        }
        const before = store.get(def.resource, namespace, name);
        const conversion = def.conversions?.[target.version];
        // A patch to a converted version applies to that version's view, then is stored as an update.
        const patched = conversion
          ? store.update(def.resource, conversion.toStored(applyPatch(kind, conversion.fromStored(store.mustGet(def.resource, namespace, name)), patch)), { name, dryRun, ...(namespace !== undefined ? { namespace } : {}), ...(subresource ? { subresource } : {}) })
          : store.patch(def.resource, namespace, name, kind, patch, { dryRun, ...(subresource ? { subresource } : {}) });
        recordWrite(ctx, req, target, query, before, patched, dryRun);
        return send(res, 200, served(ctx, target, patched));
      }
      if (method === 'DELETE' && subresource === undefined) {
        const result = store.delete(def.resource, namespace, name, await deleteOptions(req, query, dryRun));
        return send(res, 200, result.kind === 'object' ? served(ctx, target, result.object) : result.status);
      }
      throw errors.methodNotAllowed();
    }
    case 'scale': {
      if (method === 'GET') return send(res, 200, store.getScale(def.resource, namespace!, name));
      if (method === 'PUT') {
        const body = await readObject(req, 'Scale update');
        return send(res, 200, store.updateScale(def.resource, namespace!, name, body, { dryRun }));
      }
      if (method === 'PATCH') {
        const { kind, patch } = await readPatch(req);
        if (kind === 'apply') throw errors.badRequest('server-side apply to the scale subresource is not supported by the simulated API server; apply spec.replicas to the object itself');
        const current = store.getScale(def.resource, namespace!, name);
        const patched = applyPatch(kind, current, patch);
        return send(res, 200, store.updateScale(def.resource, namespace!, name, patched, { dryRun }));
      }
      throw errors.methodNotAllowed();
    }
    case 'binding': {
      if (method !== 'POST') throw errors.methodNotAllowed();
      store.bind(namespace!, name, await readObject(req, 'Binding'), { dryRun });
      return send(res, 201, successStatus(201));
    }
    case 'eviction': {
      if (method !== 'POST') throw errors.methodNotAllowed();
      store.evict(namespace!, name, await readObject(req, 'Eviction'), { dryRun });
      return send(res, 201, successStatus(201));
    }
    case 'log': {
      if (method !== 'GET') throw errors.methodNotAllowed();
      const sinceSeconds = intParam(query, 'sinceSeconds', 1);
      const sinceTime = query.get('sinceTime');
      const options = {
        previous: query.get('previous') === 'true',
        timestamps: query.get('timestamps') === 'true',
        ...(intParam(query, 'tailLines', 0) !== undefined ? { tailLines: intParam(query, 'tailLines', 0)! } : {}),
        ...(intParam(query, 'limitBytes', 1) !== undefined ? { limitBytes: intParam(query, 'limitBytes', 1)! } : {}),
        ...(sinceSeconds !== undefined ? { sinceTime: new Date(store.clock.now().getTime() - sinceSeconds * 1000) } : {}),
        ...(sinceTime ? { sinceTime: new Date(sinceTime) } : {}),
      };
      if (query.get('follow') === 'true') return followLog(store, ctx.watches, req, res, { namespace: namespace!, name, container: query.get('container') ?? undefined }, options);
      const text = store.readLog(namespace!, name, query.get('container') ?? undefined, options);
      if (text === undefined) {
        res.writeHead(204);
        res.end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    case 'simlog': {
      // Not Kubernetes: the kubelet emulator writes container output here. Body: {container, text?, previous?, rotate?}.
      if (method !== 'POST') throw errors.methodNotAllowed();
      const body = await readObject(req, 'simlog');
      if (!isObject(body) || typeof body.container !== 'string' || body.container === '') throw errors.badRequest('simlog: body must be {"container": string, "text"?: string, "previous"?: boolean, "rotate"?: boolean}');
      if (body.text !== undefined && typeof body.text !== 'string') throw errors.badRequest('simlog: "text" must be a string');
      if (body.rotate === true) store.rotateLog(namespace!, name, body.container);
      if (typeof body.text === 'string' && body.text !== '') store.appendLog(namespace!, name, body.container, body.text, { previous: body.previous === true });
      else store.mustGet('pods', namespace, name);
      return send(res, 201, successStatus(201));
    }
  }
}

/**
 * An OpenAPI v2 document with no definitions: the simulator publishes no
 * schemas. kubectl skips client-side validation for kinds the document does not
 * describe, so `kubectl create -f`/`apply` work; /openapi/v3 stays a 404.
 */
function sendOpenApiV2(req: IncomingMessage, res: ServerResponse): void {
  if ((req.headers.accept ?? '').includes('protobuf')) {
    // openapi_v2.Document{swagger: "2.0"} in protobuf wire format (field 1, length-delimited).
    const body = Buffer.from([0x0a, 0x03, 0x32, 0x2e, 0x30]);
    res.writeHead(200, { 'Content-Type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf', 'Content-Length': body.length });
    res.end(body);
    return;
  }
  send(res, 200, { swagger: '2.0', info: { title: 'Kubernetes (eks-reflexion simulator, no schemas published)', version: VERSION_INFO.gitVersion }, paths: {}, definitions: {} });
}

function includeObject(query: URLSearchParams): IncludeObject {
  const raw = query.get('includeObject') ?? 'Metadata';
  if (raw !== 'None' && raw !== 'Metadata' && raw !== 'Object') throw errors.badRequest(`includeObject: unsupported value "${raw}"`);
  return raw;
}

async function deleteOptions(req: IncomingMessage, query: URLSearchParams, dryRun: boolean): Promise<DeleteOptions> {
  const body = (await readObject(req, 'DeleteOptions', { optional: true })) ?? {};
  if (!isObject(body)) throw errors.badRequest('DeleteOptions must be a JSON object');
  const options: DeleteOptions = {};
  const grace = query.get('gracePeriodSeconds') !== null ? intParam(query, 'gracePeriodSeconds', 0) : body.gracePeriodSeconds;
  if (grace !== undefined && grace !== null) {
    if (typeof grace !== 'number' || !Number.isInteger(grace) || grace < 0) throw errors.badRequest(`gracePeriodSeconds must be a non-negative integer, got ${JSON.stringify(grace)}`);
    options.gracePeriodSeconds = grace;
  }
  const policy = query.get('propagationPolicy') ?? (typeof body.propagationPolicy === 'string' ? body.propagationPolicy : undefined);
  const orphan = query.get('orphanDependents') ?? (typeof body.orphanDependents === 'boolean' ? String(body.orphanDependents) : undefined);
  if (policy !== undefined && policy !== null) {
    if (!['Orphan', 'Background', 'Foreground'].includes(policy)) throw errors.badRequest(`propagationPolicy: unsupported value "${policy}": supported values: "Orphan", "Background", "Foreground"`);
    options.propagationPolicy = policy as DeleteOptions['propagationPolicy'] & string;
  } else if (orphan === 'true') options.propagationPolicy = 'Orphan';
  if (isObject(body.preconditions)) {
    options.preconditions = {};
    if (typeof body.preconditions.uid === 'string') options.preconditions.uid = body.preconditions.uid;
    if (typeof body.preconditions.resourceVersion === 'string') options.preconditions.resourceVersion = body.preconditions.resourceVersion;
  }
  const bodyDryRun = Array.isArray(body.dryRun) ? body.dryRun : [];
  if (bodyDryRun.length) checkDryRunValues(bodyDryRun, 'DELETE');
  if (dryRun || bodyDryRun.length) options.dryRun = true;
  return options;
}

function sendList(ctx: RouterContext, req: IncomingMessage, res: ServerResponse, target: Target, query: URLSearchParams): void {
  const { store, snapshots } = ctx;
  const { def } = target;
  const limit = intParam(query, 'limit', 0) || undefined;
  const token = query.get('continue');
  let page: { items: Json[]; resourceVersion: string; continue?: string; remainingItemCount?: number };
  if (token) {
    page = snapshots.nextPage(token, limit);
  } else {
    const items = store.list(def.resource, {
      ...(target.namespace !== undefined ? { namespace: target.namespace } : {}),
      labelSelector: query.get('labelSelector') ?? '',
      fieldSelector: query.get('fieldSelector') ?? '',
    });
    const resourceVersion = store.resourceVersion();
    page = { ...snapshots.firstPage(items, resourceVersion, limit), resourceVersion };
  }
  const metadata: Json = { resourceVersion: page.resourceVersion };
  if (page.continue) metadata.continue = page.continue;
  if (page.remainingItemCount !== undefined) metadata.remainingItemCount = page.remainingItemCount;
  const items = page.items.map((o) => served(ctx, target, o));
  if (wantsTable(req.headers.accept)) return send(res, 200, toTable(def, items, metadata, store.clock.now(), includeObject(query)));
  send(res, 200, { kind: `${def.kind}List`, apiVersion: apiVersionOf(def, target.version), metadata, items });
}

function startWatch(ctx: RouterContext, req: IncomingMessage, res: ServerResponse, target: Target, query: URLSearchParams): void {
  const { store } = ctx;
  const { def } = target;
  const filter: WatchFilter = {
    resource: def.resource,
    labels: labelSelector(query.get('labelSelector') ?? ''),
    fields: store.fieldRequirements(def, query.get('fieldSelector') ?? ''),
    fieldGetter: def.fieldGetter ?? ((o, f) => String(f.split('.').reduce<unknown>((x, k) => (isObject(x) ? x[k] : undefined), o) ?? '')),
  };
  if (target.namespace !== undefined) filter.namespace = target.namespace;
  const rvParam = query.get('resourceVersion') ?? '';
  if (rvParam !== '' && !/^\d+$/.test(rvParam)) throw errors.badRequest(`resourceVersion: invalid value "${rvParam}" for a watch`);
  const table = wantsTable(req.headers.accept);
  const include = includeObject(query);
  const timeoutSeconds = intParam(query, 'timeoutSeconds', 0);

  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  const write = (type: string, object: Json): void => {
    const payload = table && type !== 'ERROR' ? toTable(def, [served(ctx, target, object)], { resourceVersion: (object.metadata as Json)?.resourceVersion }, store.clock.now(), include) : type === 'ERROR' ? object : served(ctx, target, object);
    res.write(`${JSON.stringify({ type, object: payload })}\n`);
  };

  let unsubscribe = (): void => undefined;
  const close = (): void => {
    unsubscribe();
    ctx.watches.delete(res);
    clearTimeout(timer);
    if (!res.writableEnded) res.end();
  };
  const timer = timeoutSeconds ? setTimeout(close, timeoutSeconds * 1000) : undefined;
  ctx.watches.add(res);
  req.on('close', close);
  res.on('close', close);

  const startRv = rvParam === '' || rvParam === '0' ? undefined : Number(rvParam);
  if (startRv === undefined) {
    const objects = store.list(def.resource, { ...(target.namespace !== undefined ? { namespace: target.namespace } : {}) });
    for (const object of objects) {
      const view = viewOf({ rv: 0, resource: def.resource, namespace: target.namespace ?? ((object.metadata as Json).namespace as string | undefined), type: 'ADDED', object }, filter);
      if (view) write(view.type, view.object);
    }
  } else {
    const backlog = store.hub.since(startRv, store.currentRv());
    if (!backlog) {
      write('ERROR', errors.gone(`too old resource version: ${startRv} (${store.currentRv()})`).status as unknown as Json);
      close();
      return;
    }
    for (const change of backlog) {
      const view = viewOf(change, filter);
      if (view) write(view.type, view.object);
    }
  }
  unsubscribe = store.hub.subscribe((change) => {
    const view = viewOf(change, filter);
    if (view) write(view.type, view.object);
  });
}
