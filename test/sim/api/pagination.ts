/**
 * `limit`/`continue` with a consistent snapshot: the first page pins the
 * matching objects (references to immutable stored objects, so the cost is
 * one pointer per item), and every later page of the same list reads that
 * snapshot at the first page's resourceVersion — the guarantee etcd gives
 * the real server. Snapshots are few and short-lived, so memory stays bounded;
 * an evicted one is a 410 Expired, as a compacted etcd revision would be.
 */
import type { Json } from './defaults';
import { errors } from './status';

interface Snapshot {
  items: Json[];
  resourceVersion: string;
  createdAt: number;
}

interface Token {
  v: 'meta.k8s.io/v1';
  rv: string;
  id: string;
  offset: number;
}

export const SNAPSHOT_TTL_MS = 5 * 60_000;
export const MAX_SNAPSHOTS = 64;

export class ListSnapshots {
  private readonly snapshots = new Map<string, Snapshot>();
  private counter = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Serves one page of `items` (the full matching, sorted list) and returns the continue token for the rest. */
  firstPage(items: Json[], resourceVersion: string, limit: number | undefined): { items: Json[]; continue?: string; remainingItemCount?: number } {
    if (limit === undefined || items.length <= limit) return { items };
    this.evict();
    const id = `${++this.counter}`;
    this.snapshots.set(id, { items, resourceVersion, createdAt: this.now() });
    return { items: items.slice(0, limit), continue: encode({ v: 'meta.k8s.io/v1', rv: resourceVersion, id, offset: limit }), remainingItemCount: items.length - limit };
  }

  nextPage(token: string, limit: number | undefined): { items: Json[]; resourceVersion: string; continue?: string; remainingItemCount?: number } {
    const t = decode(token);
    const snapshot = this.snapshots.get(t.id);
    if (!snapshot || snapshot.resourceVersion !== t.rv || this.now() - snapshot.createdAt > SNAPSHOT_TTL_MS) {
      this.snapshots.delete(t.id);
      throw errors.expired(
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
      );
    }
    const end = limit === undefined ? snapshot.items.length : t.offset + limit;
    const items = snapshot.items.slice(t.offset, end);
    if (end >= snapshot.items.length) {
      this.snapshots.delete(t.id);
      return { items, resourceVersion: snapshot.resourceVersion };
    }
    return {
      items,
      resourceVersion: snapshot.resourceVersion,
      continue: encode({ ...t, offset: end }),
      remainingItemCount: snapshot.items.length - end,
    };
  }

  size(): number {
    return this.snapshots.size;
  }

  private evict(): void {
    const now = this.now();
    for (const [id, s] of this.snapshots) if (now - s.createdAt > SNAPSHOT_TTL_MS) this.snapshots.delete(id);
    while (this.snapshots.size >= MAX_SNAPSHOTS) this.snapshots.delete(this.snapshots.keys().next().value!);
  }
}

function encode(token: Token): string {
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

function decode(raw: string): Token {
  try {
    const t = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Token>;
    if (t.v === 'meta.k8s.io/v1' && typeof t.rv === 'string' && typeof t.id === 'string' && typeof t.offset === 'number' && t.offset >= 0) return t as Token;
  } catch {
    // fall through to the 400 below
  }
  throw errors.badRequest(`invalid continue token "${raw.slice(0, 64)}"`);
}
