/** Small helpers shared by the simulated controllers: plain-JSON accessors, owner references, conditions. */
import { isObject, type Json } from '../api/defaults';

export type { Json };
export { isObject };

export const meta = (o: Json): Json => (isObject(o.metadata) ? o.metadata : {});
export const spec = (o: Json): Json => (isObject(o.spec) ? o.spec : {});
export const status = (o: Json): Json => (isObject(o.status) ? o.status : {});
export const nameOf = (o: Json): string => String(meta(o).name);
export const namespaceOf = (o: Json): string => String(meta(o).namespace);
export const uidOf = (o: Json): string => String(meta(o).uid);
export const labelsOf = (o: Json): Record<string, string> => (isObject(meta(o).labels) ? (meta(o).labels as Record<string, string>) : {});
export const annotationsOf = (o: Json): Record<string, string> => (isObject(meta(o).annotations) ? (meta(o).annotations as Record<string, string>) : {});

export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function controllerRef(o: Json): Json | undefined {
  const refs = meta(o).ownerReferences;
  if (!Array.isArray(refs)) return undefined;
  return refs.find((r) => isObject(r) && r.controller === true) as Json | undefined;
}

export function ownerReference(owner: Json, apiVersion: string, kind: string): Json {
  return { apiVersion, kind, name: nameOf(owner), uid: uidOf(owner), controller: true, blockOwnerDeletion: true };
}

export function isTerminating(o: Json): boolean {
  return meta(o).deletionTimestamp !== undefined;
}

export function findCondition(o: Json, type: string): Json | undefined {
  const conditions = status(o).conditions;
  return Array.isArray(conditions) ? (conditions.find((c) => isObject(c) && c.type === type) as Json | undefined) : undefined;
}

export function podReady(pod: Json): boolean {
  return findCondition(pod, 'Ready')?.status === 'True';
}

/** Ready for at least minReadySeconds of cluster time (the controllers' definition of available). */
export function podAvailable(pod: Json, minReadySeconds: number, now: Date): boolean {
  const ready = findCondition(pod, 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = typeof ready.lastTransitionTime === 'string' ? new Date(ready.lastTransitionTime).getTime() : 0;
  return since + minReadySeconds * 1000 <= now.getTime();
}

export function podActive(pod: Json): boolean {
  const phase = status(pod).phase;
  return !isTerminating(pod) && phase !== 'Succeeded' && phase !== 'Failed';
}

/** JSON with sorted keys, so equal objects compare equal whatever their key order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Resolves an int-or-percent against a total (percent rounded up or down as the caller needs). */
export function intOrPercent(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.endsWith('%')) {
    const exact = (Number(value.slice(0, -1)) * total) / 100;
    return roundUp ? Math.ceil(exact) : Math.floor(exact);
  }
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return 0;
}
