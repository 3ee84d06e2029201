import type { Pod } from '../../functions/domain/k8s';
import type { KubeClientLike } from './kube-client';

/** Every collection the system's reader could list from the simulated cluster. */
const COLLECTIONS = [
  '/api/v1/namespaces',
  '/api/v1/nodes',
  '/api/v1/pods',
  '/api/v1/configmaps',
  '/api/v1/secrets',
  '/api/v1/services',
  '/api/v1/events',
  '/apis/apps/v1/deployments',
  '/apis/apps/v1/replicasets',
  '/apis/apps/v1/statefulsets',
  '/apis/autoscaling/v2/horizontalpodautoscalers',
];

/**
 * Everything the system under test could read, as one text: every object of
 * every served kind, and every pod's current and previous log. The
 * ground-truth tests (scenario-ground-truth, scenario-families-truth) search
 * it for what must never leak.
 */
export async function readableText(cluster: KubeClientLike): Promise<string> {
  const parts: string[] = [];
  for (const path of COLLECTIONS) parts.push(JSON.stringify(await cluster.list(path)));
  for (const p of await cluster.list<Pod>('/api/v1/pods')) {
    for (const previous of [false, true]) {
      const log = await cluster
        .get<string>(`/api/v1/namespaces/${p.metadata!.namespace}/pods/${p.metadata!.name}/log`, previous ? { previous: true } : undefined)
        .catch(() => '');
      parts.push(String(log));
    }
  }
  return parts.join('\n');
}
