/**
 * Change history and fan-out for `watch=true`. Every committed write is one
 * Change; a bounded ring keeps the recent ones so a client can resume from
 * the resourceVersion of its last list (older than the ring → 410 Expired,
 * which is what makes client-go informers re-list, as against a real server).
 */
import type { Json } from './defaults';
import type { FieldGetter, FieldRequirement, LabelSelectorFn } from './selectors';
import { matchesFields } from './selectors';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  rv: number;
  resource: string;
  namespace: string | undefined;
  type: ChangeType;
  object: Json;
  /** The object before this change (MODIFIED only), for selector transitions. */
  previous?: Json;
}

export interface WatchFilter {
  resource: string;
  namespace?: string;
  labels: LabelSelectorFn;
  fields: FieldRequirement[];
  fieldGetter: FieldGetter;
}

export class WatchHub {
  private readonly ring: (Change | undefined)[];
  private next = 0;
  private count = 0;
  private readonly listeners = new Set<(change: Change) => void>();

  constructor(readonly capacity = 20_000) {
    this.ring = new Array(capacity);
  }

  publish(change: Change): void {
    this.ring[this.next] = change;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
    for (const listener of [...this.listeners]) listener(change);
  }

  subscribe(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Changes after `rv`, or undefined when the ring no longer reaches back that far. */
  since(rv: number, currentRv: number): Change[] | undefined {
    if (rv >= currentRv) return [];
    const oldest = this.count === 0 ? undefined : this.ring[(this.next - this.count + this.capacity) % this.capacity];
    if (!oldest || oldest.rv > rv + 1) return undefined;
    const out: Change[] = [];
    for (let i = 0; i < this.count; i++) {
      const change = this.ring[(this.next - this.count + i + this.capacity) % this.capacity]!;
      if (change.rv > rv) out.push(change);
    }
    return out;
  }

  subscriberCount(): number {
    return this.listeners.size;
  }
}

function matches(filter: WatchFilter, object: Json): boolean {
  const meta = (object.metadata ?? {}) as Json;
  return filter.labels(meta.labels as Record<string, string> | undefined) && matchesFields(filter.fields, object, filter.fieldGetter);
}

/**
 * What a watcher with this filter sees of a change. An object that starts or
 * stops matching the selector is ADDED / DELETED for that watcher, exactly as
 * the real watch cache reports it.
 */
export function viewOf(change: Change, filter: WatchFilter): { type: ChangeType; object: Json } | undefined {
  if (change.resource !== filter.resource) return undefined;
  if (filter.namespace !== undefined && change.namespace !== filter.namespace) return undefined;
  const now = matches(filter, change.object);
  if (change.type !== 'MODIFIED') return now ? { type: change.type, object: change.object } : undefined;
  const before = change.previous ? matches(filter, change.previous) : now;
  if (now && before) return { type: 'MODIFIED', object: change.object };
  if (now) return { type: 'ADDED', object: change.object };
  if (before) return { type: 'DELETED', object: change.object };
  return undefined;
}
