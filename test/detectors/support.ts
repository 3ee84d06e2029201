import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { detectIncidents, type DetectOptions } from '../../functions/domain/detectors/index';
import { emptySnapshot, SNAPSHOT_KEY_OF_KIND, type ClusterSnapshot, type KubeObject, type Pod } from '../../functions/domain/k8s';

const FIXTURES = fileURLToPath(new URL('../fixtures/k8s/', import.meta.url));

/** The items of a `List` fixture (or the single object), deep-copied so tests may mutate them. */
export function loadItems(file: string): KubeObject[] {
  const doc = JSON.parse(readFileSync(FIXTURES + file, 'utf8')) as { kind?: string; items?: KubeObject[] };
  return doc.kind === 'List' || doc.kind?.endsWith('List') ? (doc.items ?? []) : [doc as KubeObject];
}

export const TAKEN_AT = '2026-11-23T14:00:00Z';

const BY_KIND: Record<string, keyof ClusterSnapshot> = SNAPSHOT_KEY_OF_KIND;

/** A snapshot as the cluster adapter would build it from listed objects. */
export function snapshotOf(items: KubeObject[], takenAt = TAKEN_AT): ClusterSnapshot {
  const snap: ClusterSnapshot = emptySnapshot('prod-eks', takenAt);
  for (const item of items) {
    const key = BY_KIND[item.kind ?? ''];
    if (!key) throw new Error(`fixture has an object of unexpected kind ${item.kind}`);
    (snap[key] as KubeObject[]).push(item);
  }
  return snap;
}

export function snapshotFromFiles(...files: string[]): ClusterSnapshot {
  return snapshotOf(files.flatMap(loadItems));
}

export function ofKind<T extends KubeObject>(items: KubeObject[], kind: string): T[] {
  return items.filter((i) => i.kind === kind) as T[];
}

export function named<T extends KubeObject>(items: KubeObject[], kind: string, name: string): T {
  const found = items.find((i) => i.kind === kind && i.metadata?.name === name);
  if (!found) throw new Error(`fixture has no ${kind} ${name}`);
  return found as T;
}

export const clone = <T>(value: T): T => structuredClone(value);


/** Detection as the detect Lambda runs it, strict so a detector bug fails the test. */
export function detect(snapshot: unknown, options: Partial<DetectOptions> = {}) {
  return detectIncidents(snapshot, { source: 'schedule', protectedNamespaces: [], strict: true, ...options });
}

/** Another replica of the same pod (same owner and status), as the ReplicaSet would create it. */
export function replicaOf(pod: Pod, name: string): Pod {
  const copy = clone(pod);
  copy.metadata = { ...copy.metadata, name, uid: `${copy.metadata?.uid ?? 'uid'}-${name}` };
  return copy;
}

/** The same objects in another namespace (events follow their objects). */
export function moveToNamespace(items: KubeObject[], namespace: string): KubeObject[] {
  return items.map((item) => {
    const copy = clone(item) as KubeObject & { involvedObject?: { namespace?: string } };
    if (copy.metadata?.namespace) copy.metadata.namespace = namespace;
    if (copy.involvedObject) copy.involvedObject.namespace = namespace;
    return copy;
  });
}
