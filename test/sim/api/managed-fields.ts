/**
 * Field ownership (metadata.managedFields) and server-side apply, after the
 * real server's structured-merge-diff, reduced to what kubectl and the action
 * catalogue exercise:
 *   - every write through the API records which manager set which fields
 *     (`fieldManager` query, else the User-Agent's product as the real server
 *     does), as an `Update` entry; a field changed by one manager leaves the others;
 *   - `application/apply-patch+yaml` merges the applied configuration into the
 *     live object (maps recursively, lists with a merge key — containers by
 *     name… — by key, other lists atomically), removes fields this manager
 *     applied before and no longer applies (unless another manager owns them),
 *     and answers 409 Conflict naming the other manager and the field when the
 *     applied value differs from one another manager set, unless `force=true`,
 *     which takes ownership;
 *   - ownership lives beside the store (keyed by object uid) and is shown as
 *     `metadata.managedFields` (fieldsV1) on objects served to clients.
 * LabelSelectors are atomic, as in the real schema. Simplifications
 * (documented in README): sets of scalars (finalizers) are atomic; list-map keys are the strategic-merge keys of ./patch; status
 * subresource writes are not tracked.
 */
import { isObject, type Json } from './defaults';
import { MERGE_KEYS } from './patch';
import type { ResourceDef } from './registry';
import { ApiError, errors } from './status';

const SEP = '\u0001';
const SYSTEM_META = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds']);

interface Entry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  /** path → true when the path is a keyed list item (not a leaf). */
  fields: Map<string, boolean>;
}

/** metav1.LabelSelector is `+structType=atomic`: owned and replaced as one value. */
function isAtomic(field: string | undefined, value: unknown): boolean {
  return field === 'selector' && isObject(value) && ('matchLabels' in value || 'matchExpressions' in value);
}

function itemSegment(item: Json, key: string): string {
  return `k:${JSON.stringify({ [key]: item[key] })}`;
}

/** Leaf paths (and keyed list items) set in an object, excluding status and system metadata. */
export function fieldPaths(object: Json): Map<string, boolean> {
  const out = new Map<string, boolean>();
  const walk = (value: unknown, path: string[], field: string | undefined): void => {
    if (isObject(value) && Object.keys(value).length > 0 && !isAtomic(field, value)) {
      for (const [k, v] of Object.entries(value)) walk(v, [...path, `f:${k}`], k);
      return;
    }
    const key = field !== undefined ? MERGE_KEYS[field] : undefined;
    if (Array.isArray(value) && key && value.length > 0 && value.every((i) => isObject(i) && i[key] !== undefined)) {
      for (const item of value as Json[]) {
        const itemPath = [...path, itemSegment(item, key)];
        out.set(itemPath.join(SEP), true);
        for (const [k, v] of Object.entries(item)) walk(v, [...itemPath, `f:${k}`], k);
      }
      return;
    }
    out.set(path.join(SEP), false);
  };
  for (const [k, v] of Object.entries(object)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'status') continue;
    if (k === 'metadata' && isObject(v)) {
      for (const [mk, mv] of Object.entries(v)) if (!SYSTEM_META.has(mk)) walk(mv, ['f:metadata', `f:${mk}`], mk);
      continue;
    }
    walk(v, [`f:${k}`], k);
  }
  return out;
}

function valueAt(object: unknown, path: string): unknown {
  let cur: unknown = object;
  for (const seg of path.split(SEP)) {
    if (seg.startsWith('f:')) cur = isObject(cur) ? cur[seg.slice(2)] : undefined;
    else {
      const [[k, v]] = Object.entries(JSON.parse(seg.slice(2)) as Json) as [[string, unknown]];
      cur = Array.isArray(cur) ? cur.find((i) => isObject(i) && JSON.stringify(i[k]) === JSON.stringify(v)) : undefined;
    }
    if (cur === undefined) return undefined;
  }
  return cur;
}

function removeAt(object: Json, path: string): void {
  const segs = path.split(SEP);
  const last = segs.pop()!;
  const parent = segs.length ? valueAt(object, segs.join(SEP)) : object;
  if (last.startsWith('f:')) {
    if (isObject(parent)) delete parent[last.slice(2)];
  } else if (Array.isArray(parent)) {
    const [[k, v]] = Object.entries(JSON.parse(last.slice(2)) as Json) as [[string, unknown]];
    const index = parent.findIndex((i) => isObject(i) && JSON.stringify(i[k]) === JSON.stringify(v));
    if (index >= 0) parent.splice(index, 1);
  }
}

/** The applied configuration merged into the live object (maps by key, keyed lists by key, the rest replaced). */
export function applyMerge(live: unknown, config: unknown, field?: string): unknown {
  if (isObject(live) && isObject(config) && !isAtomic(field, config)) {
    const out: Json = { ...live };
    for (const [k, v] of Object.entries(config)) out[k] = k in live ? applyMerge(live[k], v, k) : structuredClone(v);
    return out;
  }
  const key = field !== undefined ? MERGE_KEYS[field] : undefined;
  if (key && Array.isArray(live) && Array.isArray(config) && config.every((i) => isObject(i) && i[key] !== undefined)) {
    const out = live.map((i) => structuredClone(i) as unknown);
    for (const item of config as Json[]) {
      const index = out.findIndex((i) => isObject(i) && JSON.stringify(i[key]) === JSON.stringify(item[key]));
      if (index >= 0) out[index] = applyMerge(out[index], item);
      else out.push(structuredClone(item));
    }
    return out;
  }
  return structuredClone(config);
}

function humanPath(path: string): string {
  return path
    .split(SEP)
    .map((seg) => {
      if (seg.startsWith('f:')) return `.${seg.slice(2)}`;
      const [[k, v]] = Object.entries(JSON.parse(seg.slice(2)) as Json) as [[string, unknown]];
      return `[${k}=${JSON.stringify(v)}]`;
    })
    .join('');
}

/** fieldsV1 as the real server writes it: nested `f:`/`k:` keys, `.` marking a list item itself. */
function fieldsV1(fields: Map<string, boolean>): Json {
  const root: Json = {};
  for (const [path, item] of [...fields].sort(([a], [b]) => a.localeCompare(b))) {
    let node = root;
    for (const seg of path.split(SEP)) node = (node[seg] ??= {}) as Json;
    if (item) node['.'] = {};
  }
  return root;
}

/** The manager name the real server derives from a request: `fieldManager`, else the User-Agent up to "/". */
export function managerOf(query: URLSearchParams, userAgent: string | undefined): string {
  const explicit = query.get('fieldManager');
  if (explicit) return explicit;
  return (userAgent ?? 'unknown').split('/')[0]!.slice(0, 128) || 'unknown';
}

export class FieldManagers {
  private readonly byObject = new Map<string, { uid: string; entries: Entry[] }>();

  private key(def: ResourceDef, object: Json): { key: string; uid: string } {
    const meta = (object.metadata ?? {}) as Json;
    return { key: `${def.resource}/${String(meta.namespace ?? '')}/${String(meta.name)}`, uid: String(meta.uid ?? '') };
  }

  private entriesOf(def: ResourceDef, object: Json): Entry[] {
    const { key, uid } = this.key(def, object);
    const found = this.byObject.get(key);
    if (found && found.uid === uid) return found.entries;
    const fresh = { uid, entries: [] as Entry[] };
    this.byObject.set(key, fresh);
    return fresh.entries;
  }

  /** A create/update/patch by `manager`: it owns what it changed; nobody owns what was removed. */
  recordUpdate(def: ResourceDef, apiVersion: string, before: Json | undefined, after: Json, manager: string, now: string): void {
    const entries = this.entriesOf(def, after);
    const next = fieldPaths(after);
    const prev = before ? fieldPaths(before) : new Map<string, boolean>();
    // A list item is owned by the manager that added it; its fields by whoever changed them.
    const changed = [...next].filter(([p, item]) => !before || (item ? valueAt(before, p) === undefined : JSON.stringify(valueAt(before, p)) !== JSON.stringify(valueAt(after, p))));
    for (const entry of entries) {
      for (const [p] of changed) if (!next.get(p)) entry.fields.delete(p);
      for (const p of prev.keys()) if (!next.has(p)) entry.fields.delete(p);
    }
    if (changed.length) {
      let mine = entries.find((e) => e.manager === manager && e.operation === 'Update');
      if (!mine) entries.push((mine = { manager, operation: 'Update', apiVersion, time: now, fields: new Map() }));
      for (const [p, item] of changed) mine.fields.set(p, item);
      mine.time = now;
      mine.apiVersion = apiVersion;
    }
    this.prune(entries);
  }

  private prune(entries: Entry[]): void {
    for (let i = entries.length - 1; i >= 0; i--) if (entries[i]!.fields.size === 0) entries.splice(i, 1);
  }

  forget(def: ResourceDef, object: Json): void {
    this.byObject.delete(this.key(def, object).key);
  }

  /**
   * Server-side apply of `config` by `manager` onto `live` (undefined: the
   * object does not exist yet). Returns the object to store; `commit` is
   * called with the stored result to record ownership.
   */
  apply(def: ResourceDef, apiVersion: string, live: Json | undefined, config: Json, manager: string, force: boolean): { object: Json; commit(stored: Json, now: string): void } {
    const applied = fieldPaths(config);
    const entries = live ? this.entriesOf(def, live) : [];
    const mine = entries.find((e) => e.manager === manager && e.operation === 'Apply');
    const conflicts: { manager: string; apiVersion: string; path: string }[] = [];
    if (live) {
      for (const [p, item] of applied) {
        if (item) continue;
        if (JSON.stringify(valueAt(live, p)) === JSON.stringify(valueAt(config, p))) continue;
        for (const other of entries) if (other !== mine && other.fields.has(p)) conflicts.push({ manager: other.manager, apiVersion: other.apiVersion, path: p });
      }
    }
    if (conflicts.length && !force) throw conflictError(def, String((config.metadata as Json | undefined)?.name ?? ''), conflicts);
    let object = (live ? applyMerge(live, config) : structuredClone(config)) as Json;
    if (mine) {
      const ownedByOthers = (p: string): boolean => entries.some((e) => e !== mine && e.fields.has(p));
      const stale = [...mine.fields.keys()].filter((p) => !applied.has(p) && !ownedByOthers(p)).sort((a, b) => b.length - a.length);
      object = structuredClone(object);
      for (const p of stale) removeAt(object, p);
    }
    return {
      object,
      commit: (stored, now) => {
        const list = this.entriesOf(def, stored);
        if (force) for (const c of conflicts) list.find((e) => e.manager === c.manager && e.fields.has(c.path))?.fields.delete(c.path);
        const entry = list.find((e) => e.manager === manager && e.operation === 'Apply');
        if (entry) {
          entry.fields = applied;
          entry.time = now;
          entry.apiVersion = apiVersion;
        } else list.push({ manager, operation: 'Apply', apiVersion, time: now, fields: applied });
        this.prune(list);
      },
    };
  }

  /** The object with `metadata.managedFields` as clients see it (unchanged when nothing is tracked). */
  show(def: ResourceDef, object: Json): Json {
    const { key, uid } = this.key(def, object);
    const found = this.byObject.get(key);
    if (!found || found.uid !== uid || found.entries.length === 0) return object;
    const managedFields = found.entries.map((e) => ({ manager: e.manager, operation: e.operation, apiVersion: e.apiVersion, time: e.time, fieldsType: 'FieldsV1', fieldsV1: fieldsV1(e.fields) }));
    return { ...object, metadata: { ...(object.metadata as Json), managedFields } };
  }
}

function conflictError(def: ResourceDef, name: string, conflicts: { manager: string; apiVersion: string; path: string }[]): ApiError {
  const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}" using ${c.apiVersion}`, field: humanPath(c.path) }));
  const text =
    conflicts.length === 1
      ? `Apply failed with 1 conflict: ${causes[0]!.message}: ${causes[0]!.field}`
      : `Apply failed with ${conflicts.length} conflicts: ${causes.map((c) => `${c.message}: ${c.field}`).join('\n')}`;
  const err = errors.conflict(def.group, def.resource, name, '');
  return new ApiError({ ...err.status, message: text, details: { name, group: def.group || undefined, kind: def.resource, causes } });
}
