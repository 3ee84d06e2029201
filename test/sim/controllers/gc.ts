/**
 * Garbage collection and namespace finalization. An object whose owners are
 * all gone is deleted (background propagation); an owner deleted with
 * `propagationPolicy=Foreground` (finalizer `foregroundDeletion`) waits until
 * its dependents are gone. A terminating namespace is emptied, then removed.
 */
import { RESOURCES } from '../api/registry';
import type { ObjectStore } from '../api/store';
import { isObject, isTerminating, meta, nameOf, namespaceOf, uidOf, type Json } from './util';

function ownerUids(o: Json): string[] {
  const refs = meta(o).ownerReferences;
  return Array.isArray(refs) ? refs.filter(isObject).map((r) => String(r.uid)) : [];
}

export function collectGarbage(store: ObjectStore): void {
  const live = new Map<string, { resource: string; object: Json }>();
  const dependents = new Map<string, { resource: string; object: Json }[]>();
  for (const def of RESOURCES) {
    for (const object of store.list(def.resource)) {
      live.set(uidOf(object), { resource: def.resource, object });
      for (const uid of ownerUids(object)) {
        const list = dependents.get(uid) ?? [];
        list.push({ resource: def.resource, object });
        dependents.set(uid, list);
      }
    }
  }
  for (const [uid, deps] of dependents) {
    const owner = live.get(uid);
    const foreground = owner && isTerminating(owner.object) && (meta(owner.object).finalizers as unknown[] | undefined)?.includes('foregroundDeletion');
    if (owner && !foreground) continue;
    for (const dep of deps) {
      // Orphaned only when every owner is gone (or being deleted in the foreground).
      const others = ownerUids(dep.object).filter((u) => u !== uid);
      if (!foreground && others.some((u) => live.has(u))) continue;
      if (isTerminating(dep.object) && dep.resource !== 'pods') continue;
      try {
        if (!isTerminating(dep.object)) store.delete(dep.resource, namespaceOf(dep.object), nameOf(dep.object), foreground ? { propagationPolicy: 'Foreground' } : {});
      } catch {
        // Gone already.
      }
    }
  }
  // Foreground owners whose dependents are gone lose the finalizer (and with it, the object).
  for (const { resource, object } of live.values()) {
    if (!isTerminating(object)) continue;
    const finalizers = (meta(object).finalizers as string[] | undefined) ?? [];
    if (!finalizers.includes('foregroundDeletion')) continue;
    const remaining = (dependents.get(uidOf(object)) ?? []).filter((d) => store.get(d.resource, namespaceOf(d.object), nameOf(d.object)));
    if (remaining.length > 0) continue;
    store.patch(resource, meta(object).namespace as string | undefined, nameOf(object), 'merge', { metadata: { finalizers: finalizers.filter((f) => f !== 'foregroundDeletion') } });
  }
}

export function finalizeNamespaces(store: ObjectStore): void {
  for (const ns of store.list('namespaces')) {
    if (!isTerminating(ns)) continue;
    const name = nameOf(ns);
    let remaining = 0;
    for (const def of RESOURCES) {
      if (!def.namespaced) continue;
      for (const object of store.list(def.resource, { namespace: name })) {
        remaining++;
        if (isTerminating(object)) continue;
        try {
          store.delete(def.resource, name, nameOf(object));
        } catch {
          // Gone already.
        }
      }
    }
    if (remaining === 0) store.finalize('namespaces', undefined, name);
  }
}

/** Events live for an hour of cluster time (the apiserver's default --event-ttl), which keeps a long `sim serve` bounded. */
export const EVENT_TTL_SECONDS = 3600;

export function expireEvents(store: ObjectStore, ttlSeconds = EVENT_TTL_SECONDS): void {
  const cutoff = store.clock.now().getTime() - ttlSeconds * 1000;
  for (const event of store.list('events')) {
    const last = (event.lastTimestamp ?? event.eventTime ?? meta(event).creationTimestamp) as string | undefined;
    if (typeof last !== 'string' || new Date(last).getTime() >= cutoff) continue;
    try {
      store.delete('events', namespaceOf(event), nameOf(event));
    } catch {
      // Gone already.
    }
  }
}
