import { HttpMethod } from '@kubernetes/client-node';
import { KubeError, KubeForbidden, KubeNotFound } from '../../domain/errors';
import type {
  ClusterSnapshot,
  Deployment,
  HorizontalPodAutoscaler,
  KubeEvent,
  Namespace,
  Node,
  Pod,
  ReplicaSet,
  StatefulSet,
} from '../../domain/k8s';
import type { K8sgptResult } from '../../domain/k8sgpt';
import { RESOURCES, hpaResource, objectPath, type KubeTransport, type Resource } from './kube-transport';

/**
 * The Kubernetes adapter's lists and whole-cluster snapshot over the shared
 * transport (kube-transport.ts): paginated lists, the namespaces a scoped
 * snapshot reads, and the bounded concurrency across them.
 */

/** The HPA API a server serves (decided once per adapter, kube-cluster.ts). */
export type HpaVersion = 'v2' | 'v2beta2' | 'none';

/** A server handing back continue tokens forever must not keep a scan alive forever. */
const MAX_PAGES = 10_000;
/**
 * Namespaces listed at once per kind in a scoped snapshot (seven kinds run
 * side by side): many opted-in namespaces must not become hundreds of
 * simultaneous requests that API priority and fairness would throttle.
 */
const NAMESPACE_CONCURRENCY = 4;

interface ListPage {
  items?: unknown;
  metadata?: { continue?: string };
}

export interface ListSelectors {
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * Every list, paginated: follows `continue` tokens to the end. An expired
 * token (410 Gone: the server compacted the snapshot the list was reading)
 * restarts the list once from the beginning, as kubectl does. Items get
 * their kind and apiVersion back (list items omit them), as kubectl prints.
 */
export async function listAll<T>(
  transport: KubeTransport,
  pageSize: number,
  resource: Resource,
  namespace: string | undefined,
  selectors: ListSelectors = {},
): Promise<T[]> {
  const what = `list ${resource.plural}${namespace ? ` in ${namespace}` : ''}`;
  const path = objectPath(resource, namespace);
  for (let attempt = 0; ; attempt += 1) {
    const items: T[] = [];
    let cont: string | undefined;
    try {
      for (let n = 0; ; n += 1) {
        if (n >= MAX_PAGES) throw new KubeError(`${what}: more than ${MAX_PAGES} pages; the server keeps answering with a continue token`);
        const page = await transport.request<ListPage>(what, HttpMethod.GET, path, {
          query: { ...selectors, limit: String(pageSize), continue: cont },
        });
        if (!Array.isArray(page.items)) throw new KubeError(`${what}: the answer has no items array`);
        for (const item of page.items) {
          if (item !== null && typeof item === 'object') {
            items.push({ apiVersion: resource.apiVersion, kind: resource.kind, ...(item as object) } as T);
          }
        }
        const next = page.metadata?.continue;
        if (!next) return items;
        if (next === cont) throw new KubeError(`${what}: the server repeated the same continue token`);
        cont = next;
      }
    } catch (error) {
      if (attempt === 0 && cont !== undefined && error instanceof KubeError && error.status === 410) continue;
      throw error;
    }
  }
}

export interface SnapshotSource {
  transport: KubeTransport;
  pageSize: number;
  clusterName: string;
  /** The HPA API to list, or 'none' (no HPAs listed). */
  hpaVersion: () => Promise<HpaVersion>;
}

/**
 * Everything the detectors read, in one pass: cluster-wide, or the given
 * (already validated) namespaces with at most NAMESPACE_CONCURRENCY of them
 * listed at once per kind.
 */
export async function takeSnapshot(source: SnapshotSource, takenAt: string, scoped: string[] | undefined): Promise<ClusterSnapshot> {
  const list = <T>(resource: Resource, namespace: string | undefined) => listAll<T>(source.transport, source.pageSize, resource, namespace);
  const each = async <T>(resource: Resource): Promise<T[]> =>
    scoped ? (await mapLimit(scoped, NAMESPACE_CONCURRENCY, (ns) => list<T>(resource, ns))).flat() : list<T>(resource, undefined);
  const hpas = async (): Promise<HorizontalPodAutoscaler[]> => {
    const version = await source.hpaVersion();
    return version === 'none' ? [] : each<HorizontalPodAutoscaler>(hpaResource(version));
  };
  const [namespaces, nodes, pods, deployments, replicaSets, statefulSets, hpaList, events] = await Promise.all([
    scoped ? readNamespaces(source.transport, scoped) : list<Namespace>(RESOURCES.namespaces, undefined),
    listNodes(list),
    each<Pod>(RESOURCES.pods),
    each<Deployment>(RESOURCES.deployments),
    each<ReplicaSet>(RESOURCES.replicaSets),
    each<StatefulSet>(RESOURCES.statefulSets),
    hpas(),
    each<KubeEvent>(RESOURCES.events),
  ]);
  // K8sGPT's Results are evidence when its CRD exists; a cluster without it (404) or a role that may not read it (403) has none.
  // They live in the operator's namespace and name their object in spec.name, so they are listed cluster-wide.
  const k8sgptResults = await list<K8sgptResult>(RESOURCES.k8sgptResults, undefined).catch((error: unknown) => {
    if (error instanceof KubeNotFound || error instanceof KubeForbidden) return undefined;
    throw error;
  });
  return {
    cluster: source.clusterName,
    takenAt,
    namespaces,
    nodes,
    pods,
    deployments,
    replicaSets,
    statefulSets,
    hpas: hpaList,
    events,
    ...(k8sgptResults && k8sgptResults.length > 0 ? { k8sgptResults } : {}),
  };
}

/**
 * Nodes are supporting evidence (node fit for Pending pods). The view
 * permissions a detector is given may not cover this cluster-scoped kind;
 * then the snapshot has no nodes rather than no snapshot at all.
 */
async function listNodes(list: <T>(resource: Resource, namespace: undefined) => Promise<T[]>): Promise<Node[]> {
  try {
    return await list<Node>(RESOURCES.nodes, undefined);
  } catch (error) {
    if (error instanceof KubeForbidden) return [];
    throw error;
  }
}

/** The scoped namespaces that exist; an absent one contributes nothing to the snapshot. */
async function readNamespaces(transport: KubeTransport, names: string[]): Promise<Namespace[]> {
  const found = await Promise.all(
    names.map(async (name) => {
      try {
        return await transport.request<Namespace>(`get namespace ${name}`, HttpMethod.GET, objectPath(RESOURCES.namespaces, undefined, name));
      } catch (error) {
        if (error instanceof KubeNotFound) return undefined;
        throw error;
      }
    }),
  );
  return found.filter((ns): ns is Namespace => ns !== undefined);
}

/** `Promise.all(items.map(fn))` with at most `limit` calls in flight; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
