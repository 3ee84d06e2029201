import type { KubeClientLike } from '../kube-client';
import { isNotFound } from '../kube-client';

/**
 * Writes core/v1 Events the way client-go's recorder does: the first
 * occurrence creates an Event, repeats of the same (object, type, reason,
 * message) bump `count` and `lastTimestamp` instead of piling up objects.
 */
export interface InvolvedObject {
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
  apiVersion?: string;
  fieldPath?: string;
}

export interface EventSource {
  component: string;
  host?: string;
}

export interface RecordedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

// One sequence for every recorder in the process: the kubelet's node recorders and the scheduler
// write events on the same pods in the same instant, and names must not collide.
let seq = 0;

export class EventRecorder {
  private readonly seen = new Map<string, { name: string; namespace: string; count: number }>();

  constructor(
    private readonly client: KubeClientLike,
    private readonly source: EventSource,
  ) {}

  async record(obj: InvolvedObject, ev: RecordedEvent, now: Date): Promise<void> {
    const ts = rfc3339(now);
    const key = [obj.uid ?? `${obj.namespace}/${obj.name}`, obj.fieldPath ?? '', ev.type, ev.reason, ev.message].join('\u0000');
    const prior = this.seen.get(key);
    // Events live in the object's namespace; cluster-scoped objects (Nodes) put theirs in default.
    const namespace = obj.namespace || 'default';
    if (prior) {
      prior.count += 1;
      try {
        await this.client.patch(`/api/v1/namespaces/${namespace}/events/${prior.name}`, { count: prior.count, lastTimestamp: ts });
        return;
      } catch (e) {
        if (!isNotFound(e)) throw e;
        this.seen.delete(key); // expired or deleted: start a fresh one
      }
    }
    const name = `${obj.name}.${(now.getTime() * 1000 + (seq++ % 1000)).toString(16)}`;
    await this.client.create(`/api/v1/namespaces/${namespace}/events`, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion ?? 'v1',
        kind: obj.kind,
        namespace: obj.namespace || undefined,
        name: obj.name,
        uid: obj.uid,
        fieldPath: obj.fieldPath,
      },
      type: ev.type,
      reason: ev.reason,
      message: ev.message,
      count: 1,
      firstTimestamp: ts,
      lastTimestamp: ts,
      source: this.source,
      reportingComponent: this.source.component,
      reportingInstance: this.source.host ?? '',
    });
    this.seen.set(key, { name, namespace, count: 1 });
  }

  /** Drops aggregation state of objects that are gone, so memory stays bounded. */
  forget(uidOrKey: string): void {
    for (const k of this.seen.keys()) if (k.startsWith(uidOrKey + '\u0000')) this.seen.delete(k);
  }
}

/** Kubernetes serialises metav1.Time at second precision. */
export function rfc3339(d: Date | number): string {
  return new Date(Math.floor(new Date(d).getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
