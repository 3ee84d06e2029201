/**
 * The three patch types the real apiserver accepts on every resource:
 * JSON merge patch (RFC 7386), strategic merge patch (lists merged by their
 * patchMergeKey, with the `$patch`, `$retainKeys`, `$setElementOrder` and
 * `$deleteFromPrimitiveList` directives), and JSON patch (RFC 6902, `test`
 * included). Server-side apply is not implemented: it is a 415, not a silent
 * merge.
 */
import { isObject, type Json } from './defaults';
import { ApiError, errors } from './status';

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
} as const;
export type PatchKind = keyof typeof PATCH_TYPES;

export function patchKindOf(contentType: string | undefined): PatchKind {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  for (const [kind, mime] of Object.entries(PATCH_TYPES)) if (mime === type) return kind as PatchKind;
  throw errors.unsupportedMediaType(type, Object.values(PATCH_TYPES));
}

export function applyPatch(kind: PatchKind, original: Json, patch: unknown): Json {
  switch (kind) {
    case 'merge':
      if (!isObject(patch)) throw errors.badRequest('a merge patch must be a JSON object');
      return mergePatch(original, patch) as Json;
    case 'strategic':
      if (!isObject(patch)) throw errors.badRequest('a strategic merge patch must be a JSON object');
      return strategicMerge(original, patch);
    case 'json':
      return jsonPatch(original, patch);
  }
}

/** RFC 7386: objects merge recursively, null deletes, everything else (lists included) replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: Json = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/**
 * patchMergeKey of list fields, by field name. Field names map to one merge
 * key across the served types (conditions are keyed by `type` everywhere), so
 * no per-type schema is needed. Lists not named here are replaced atomically,
 * as they are by the real server.
 */
export const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  addresses: 'type',
  podIPs: 'ip',
  topologySpreadConstraints: 'topologyKey',
};
/** Lists of scalars with patchStrategy "merge": the patch's values are added (set union). */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

function directiveError(message: string): ApiError {
  return errors.badRequest(`strategic merge patch: ${message}`);
}

export function strategicMerge(original: Json, patch: Json): Json {
  const merged = mergeMap(original, patch);
  return merged ?? {};
}

function mergeMap(original: Json | undefined, patch: Json): Json | undefined {
  const directive = patch.$patch;
  if (directive !== undefined) {
    if (directive === 'delete') return undefined;
    if (directive === 'replace') {
      const copy = structuredClone(patch);
      delete copy.$patch;
      return copy;
    }
    if (directive !== 'merge') throw directiveError(`unknown $patch value "${String(directive)}" (supported: merge, replace, delete)`);
  }
  const result: Json = isObject(original) ? { ...original } : {};
  const orders = new Map<string, unknown[]>();
  let retainKeys: string[] | undefined;
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch') continue;
    if (key === '$retainKeys') {
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw directiveError('$retainKeys must be a list of strings');
      retainKeys = value as string[];
      continue;
    }
    if (key.startsWith(SET_ORDER)) {
      if (!Array.isArray(value)) throw directiveError(`${key} must be a list`);
      orders.set(key.slice(SET_ORDER.length), value);
      continue;
    }
    if (key.startsWith(DELETE_PRIMITIVE)) {
      const field = key.slice(DELETE_PRIMITIVE.length);
      if (!Array.isArray(value)) throw directiveError(`${key} must be a list`);
      const current = result[field];
      if (Array.isArray(current)) result[field] = current.filter((x) => !value.some((v) => JSON.stringify(v) === JSON.stringify(x)));
      continue;
    }
    if (key.startsWith('$')) throw directiveError(`unsupported directive "${key}"`);
    if (value === null) {
      delete result[key];
      continue;
    }
    const current = result[key];
    if (Array.isArray(value)) {
      const mergeKey = MERGE_KEYS[key];
      if (mergeKey && value.every((v) => isObject(v))) result[key] = mergeList(Array.isArray(current) ? current : [], value as Json[], mergeKey, key);
      else if (MERGED_PRIMITIVE_LISTS.has(key) && Array.isArray(current)) result[key] = [...current, ...value.filter((v) => !current.includes(v))];
      else result[key] = structuredClone(value);
      continue;
    }
    if (isObject(value)) {
      const next = mergeMap(isObject(current) ? current : undefined, value);
      if (next === undefined) delete result[key];
      else result[key] = next;
      continue;
    }
    result[key] = value;
  }
  for (const [field, order] of orders) {
    const list = result[field];
    const mergeKey = MERGE_KEYS[field];
    if (Array.isArray(list)) result[field] = applyOrder(list, order, mergeKey);
  }
  if (retainKeys) {
    const keep = new Set(retainKeys);
    for (const key of Object.keys(result)) if (!keep.has(key)) delete result[key];
  }
  return result;
}

function mergeList(original: unknown[], patch: Json[], mergeKey: string, field: string): unknown[] {
  if (patch.some((item) => item.$patch === 'replace')) {
    return patch.filter((item) => item.$patch !== 'replace').map((item) => structuredClone(item));
  }
  const result = original.map((item) => item);
  for (const item of patch) {
    const keyValue = item[mergeKey];
    if (keyValue === undefined) throw directiveError(`map in list "${field}" is missing its merge key "${mergeKey}"`);
    const index = result.findIndex((x) => isObject(x) && x[mergeKey] === keyValue);
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (index >= 0) {
      const merged = mergeMap(result[index] as Json, item);
      if (merged === undefined) result.splice(index, 1);
      else result[index] = merged;
    } else {
      const copy = structuredClone(item);
      delete copy.$patch;
      result.push(copy);
    }
  }
  return result;
}

/** `$setElementOrder`: listed elements first in the given order, the rest after in their current order. */
function applyOrder(list: unknown[], order: unknown[], mergeKey: string | undefined): unknown[] {
  const keyOf = (x: unknown): string => JSON.stringify(mergeKey && isObject(x) ? x[mergeKey] : x);
  const position = new Map(order.map((o, i) => [keyOf(o), i]));
  const ranked = list.map((item, i) => ({ item, rank: position.get(keyOf(item)) ?? order.length + i }));
  ranked.sort((a, b) => a.rank - b.rank);
  return ranked.map((r) => r.item);
}

/* ---------- RFC 6902 ---------- */

interface Operation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

/** The real server's answer to a JSON patch it cannot apply: 422 Invalid with empty details (our message names the problem). */
function invalidPatch(message: string): ApiError {
  return new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Invalid', details: {}, code: 422 });
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw errors.badRequest(`json patch: path "${pointer}" must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function decodeOperations(patch: unknown): Operation[] {
  if (!Array.isArray(patch)) throw errors.badRequest('json patch: the body must be a JSON array of operations');
  return patch.map((raw, i) => {
    if (!isObject(raw)) throw errors.badRequest(`json patch: operation ${i} is not an object`);
    const op = raw.op;
    if (typeof op !== 'string' || !['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(op)) throw invalidPatch(`json patch: operation ${i} has unsupported op ${JSON.stringify(op)}`);
    if (typeof raw.path !== 'string') throw errors.badRequest(`json patch: operation ${i} (${op}) is missing "path"`);
    if ((op === 'move' || op === 'copy') && typeof raw.from !== 'string') throw errors.badRequest(`json patch: operation ${i} (${op}) is missing "from"`);
    if ((op === 'add' || op === 'replace' || op === 'test') && !('value' in raw)) throw errors.badRequest(`json patch: operation ${i} (${op}) is missing "value"`);
    return raw as unknown as Operation;
  });
}

function arrayIndex(list: unknown[], token: string, allowEnd: boolean, path: string): number {
  if (allowEnd && token === '-') return list.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw invalidPatch(`json patch: invalid array index "${token}" in ${path}`);
  const index = Number(token);
  if (index > list.length || (!allowEnd && index === list.length)) throw invalidPatch(`json patch: array index ${index} out of bounds in ${path}`);
  return index;
}

function parentOf(doc: unknown, tokens: string[], path: string): unknown {
  let current = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(current)) current = current[arrayIndex(current, token, false, path)];
    else if (isObject(current) && token in current) current = current[token];
    else throw invalidPatch(`json patch: path ${path} does not exist (missing "${token}")`);
  }
  return current;
}

function getAt(doc: unknown, path: string): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) return parent[arrayIndex(parent, last, false, path)];
  if (isObject(parent) && last in parent) return parent[last];
  throw invalidPatch(`json patch: path ${path} does not exist`);
}

function removeAt(doc: unknown, path: string): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) throw invalidPatch('json patch: cannot remove the whole document');
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, last, false, path), 1)[0];
  if (isObject(parent) && last in parent) {
    const value = parent[last];
    delete parent[last];
    return value;
  }
  throw invalidPatch(`json patch: cannot remove ${path}: it does not exist`);
}

function addAt(doc: unknown, path: string, value: unknown, replace: boolean): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const index = arrayIndex(parent, last, !replace, path);
    if (replace) parent[index] = value;
    else parent.splice(index, 0, value);
  } else if (isObject(parent)) {
    if (replace && !(last in parent)) throw invalidPatch(`json patch: cannot replace ${path}: it does not exist`);
    parent[last] = value;
  } else throw invalidPatch(`json patch: the parent of ${path} is not an object or array`);
  return doc;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

export function jsonPatch(original: Json, patch: unknown): Json {
  const operations = decodeOperations(patch);
  let doc: unknown = structuredClone(original);
  for (const op of operations) {
    switch (op.op) {
      case 'add':
        doc = addAt(doc, op.path, structuredClone(op.value), false);
        break;
      case 'replace':
        doc = addAt(doc, op.path, structuredClone(op.value), true);
        break;
      case 'remove':
        removeAt(doc, op.path);
        break;
      case 'move': {
        const value = removeAt(doc, op.from!);
        doc = addAt(doc, op.path, value, false);
        break;
      }
      case 'copy':
        doc = addAt(doc, op.path, structuredClone(getAt(doc, op.from!)), false);
        break;
      case 'test': {
        const actual = getAt(doc, op.path);
        if (!deepEqual(actual, op.value)) throw invalidPatch(`testing value ${op.path} failed: expected ${JSON.stringify(op.value)}, found ${JSON.stringify(actual)}`);
        break;
      }
    }
  }
  if (!isObject(doc)) throw invalidPatch('json patch: the result is not a JSON object');
  return doc;
}
