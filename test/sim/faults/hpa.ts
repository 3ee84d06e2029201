import type { KubeClientLike } from '../kube-client';

/**
 * HPA paths for the API version the server offers: the simulator serves
 * autoscaling/v2, a 1.20 kube-apiserver only autoscaling/v2beta2 (same shape
 * for what scenarios use).
 */
export interface HpaPaths {
  version: 'v2' | 'v2beta2';
  collection: string;
  item(name: string): string;
  manifest(name: string, deployment: string, min: number, max: number, cpuPercent: number): unknown;
}

const cache = new WeakMap<KubeClientLike, Promise<'v2' | 'v2beta2'>>();

async function discover(k: KubeClientLike): Promise<'v2' | 'v2beta2'> {
  const group = await k.get<{ versions?: { version?: string }[] }>('/apis/autoscaling');
  const versions = (group.versions ?? []).map((v) => v.version);
  if (versions.includes('v2')) return 'v2';
  if (versions.includes('v2beta2')) return 'v2beta2';
  throw new Error(`autoscaling: the server offers neither v2 nor v2beta2 (has ${versions.join(', ') || 'none'})`);
}

export async function hpaPath(k: KubeClientLike, namespace: string): Promise<HpaPaths> {
  let p = cache.get(k);
  if (!p) cache.set(k, (p = discover(k)));
  const version = await p;
  const collection = `/apis/autoscaling/${version}/namespaces/${namespace}/horizontalpodautoscalers`;
  return {
    version,
    collection,
    item: (name) => `${collection}/${name}`,
    manifest: (name, deployment, min, max, cpuPercent) => ({
      apiVersion: `autoscaling/${version}`,
      kind: 'HorizontalPodAutoscaler',
      metadata: { name, namespace },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment },
        minReplicas: min,
        maxReplicas: max,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cpuPercent } } }],
      },
    }),
  };
}
