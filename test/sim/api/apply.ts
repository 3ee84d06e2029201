/**
 * PATCH with `application/apply-patch+yaml`: server-side apply on the main
 * resource, creating the object when it does not exist (as the real server
 * does), with field ownership and conflicts from ./managed-fields.
 */
import { isObject, type Json } from './defaults';
import type { FieldManagers } from './managed-fields';
import { apiVersionOf, type ResourceDef } from './registry';
import { errors } from './status';
import type { ObjectStore } from './store';

export interface ApplyRequest {
  def: ResourceDef;
  version: string;
  namespace?: string;
  name: string;
  subresource?: string;
  patch: unknown;
  query: URLSearchParams;
  dryRun: boolean;
}

export function serverSideApply(store: ObjectStore, fields: FieldManagers, req: ApplyRequest): { code: 200 | 201; object: Json } {
  const { def, namespace, name, query } = req;
  if (req.subresource !== undefined) throw errors.badRequest(`server-side apply to the ${req.subresource} subresource is not supported by the simulated API server; apply to the ${def.kind} itself`);
  const manager = query.get('fieldManager') ?? '';
  if (manager === '') throw errors.invalidOptions('PatchOptions', [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }]);
  const forceRaw = query.get('force');
  if (forceRaw !== null && forceRaw !== 'true' && forceRaw !== 'false') throw errors.badRequest(`force: invalid value "${forceRaw}": must be true or false`);
  const config = req.patch;
  if (!isObject(config)) throw errors.badRequest('an apply patch must be a JSON object (the applied configuration)');
  const apiVersion = apiVersionOf(def, req.version);
  if (config.apiVersion !== apiVersion || config.kind !== def.kind) {
    throw errors.badRequest(`the apply configuration is ${String(config.apiVersion ?? '(no apiVersion)')}/${String(config.kind ?? '(no kind)')}; this URL serves ${apiVersion}, Kind=${def.kind}`);
  }
  const meta = isObject(config.metadata) ? config.metadata : {};
  if (meta.name !== undefined && meta.name !== name) throw errors.badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
  if (def.namespaced && meta.namespace !== undefined && meta.namespace !== namespace) throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  const applied: Json = { ...config, metadata: { ...meta, name, ...(namespace !== undefined ? { namespace } : {}) } };
  const live = store.get(def.resource, namespace, name);
  const plan = fields.apply(def, apiVersion, live, applied, manager, forceRaw === 'true');
  const now = store.clock.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (!live) {
    const created = store.create(def.resource, plan.object, { dryRun: req.dryRun, ...(namespace !== undefined ? { namespace } : {}) });
    if (!req.dryRun) plan.commit(created, now);
    return { code: 201, object: created };
  }
  const next = plan.object;
  const nextMeta = (isObject(next.metadata) ? next.metadata : (next.metadata = {})) as Json;
  if (meta.resourceVersion === undefined) nextMeta.resourceVersion = (live.metadata as Json).resourceVersion;
  const updated = store.update(def.resource, next, { name, dryRun: req.dryRun, ...(namespace !== undefined ? { namespace } : {}) });
  if (!req.dryRun) plan.commit(updated, now);
  return { code: 200, object: updated };
}
