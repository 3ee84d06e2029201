/**
 * An event recorder like client-go's: one core/v1 Event per (object, reason,
 * message), counted up on repeats instead of duplicated, written through the
 * store so watchers and `kubectl describe` see them.
 */
import type { ObjectStore } from '../api/store';
import type { Rng } from '../api/random';
import { meta, nameOf, namespaceOf, rfc3339, uidOf, type Json } from './util';

export class EventRecorder {
  private readonly seen = new Map<string, string>();

  constructor(
    private readonly store: ObjectStore,
    private readonly rng: Rng,
  ) {}

  record(object: Json, type: 'Normal' | 'Warning', reason: string, message: string, component: string): void {
    const namespace = namespaceOf(object);
    if (!this.store.get('namespaces', undefined, namespace)) return;
    const key = `${uidOf(object)}|${reason}|${message}`;
    const now = rfc3339(this.store.clock.now());
    try {
      const existingName = this.seen.get(key);
      const existing = existingName ? this.store.get('events', namespace, existingName) : undefined;
      if (existing) {
        this.store.patch('events', namespace, existingName!, 'merge', { count: Number(existing.count ?? 1) + 1, lastTimestamp: now });
        return;
      }
      const name = `${nameOf(object)}.${Math.floor(this.rng() * 2 ** 48).toString(16).padStart(12, '0')}`;
      this.store.create('events', {
        metadata: { name, namespace },
        involvedObject: {
          kind: object.kind,
          namespace,
          name: nameOf(object),
          uid: uidOf(object),
          apiVersion: object.apiVersion,
          resourceVersion: meta(object).resourceVersion,
        },
        reason,
        message,
        type,
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component },
        reportingComponent: component,
        reportingInstance: '',
      });
      this.seen.set(key, name);
      if (this.seen.size > 10_000) this.seen.delete(this.seen.keys().next().value!);
    } catch {
      // Events are best effort, as in client-go: a failed event never fails a sync.
    }
  }
}
