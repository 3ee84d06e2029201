import type { Deployment, HorizontalPodAutoscaler, Pod } from '../../../functions/domain/k8s';
import type { SimClock } from '../clock';
import { METRIC_ANNOTATION } from '../controllers/hpa';
import type { KubeClientLike } from '../kube-client';
import { isNotFound } from '../kube-client';
import type { ImageRegistry } from '../registry';
import { parseQuantity } from './quantity';

/**
 * The simulator's metrics pipeline (what metrics-server does from kubelet
 * stats): every 15 s, for each HPA on a Deployment, CPU use is the service
 * demand of the pods' images (ImageBehaviour.serviceCpuMillicores, shared by
 * the running pods; times the retry factor while a downstream the image
 * retries against has no ready pod) over their CPU requests, written to the HPA annotation
 * the simulated HPA controller reads. So load behaves like load: more
 * replicas → lower utilisation each.
 */
export interface MetricsEmulator {
  reconcile(): Promise<void>;
  stop(): Promise<void>;
}

const PERIOD_MS = 15_000;

export function startMetricsEmulator(options: { client: KubeClientLike; clock: SimClock; registry: ImageRegistry; onError?: (e: unknown) => void }): MetricsEmulator {
  const { client, clock, registry } = options;
  const onError = options.onError ?? ((e: unknown) => console.error('[metrics]', e));
  let last = -Infinity;
  let stopped = false;
  let running: Promise<void> | undefined;

  /** A Service of the namespace has a ready pod behind it. */
  async function serviceReady(ns: string, service: string): Promise<boolean> {
    const svc = await client.getOrUndefined<{ spec?: { selector?: Record<string, string> } }>(`/api/v1/namespaces/${ns}/services/${service}`);
    const selector = Object.entries(svc?.spec?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    if (!selector) return false;
    const pods = await client.list<Pod>(`/api/v1/namespaces/${ns}/pods`, { labelSelector: selector });
    return pods.some((p) => !p.metadata?.deletionTimestamp && (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false));
  }

  async function reconcile(): Promise<void> {
    const now = clock.now().getTime();
    if (stopped || now - last < PERIOD_MS) return;
    last = now;
    const hpas = await client.list<HorizontalPodAutoscaler>('/apis/autoscaling/v2/horizontalpodautoscalers');
    for (const hpa of hpas) {
      const ns = hpa.metadata?.namespace ?? 'default';
      const ref = hpa.spec?.scaleTargetRef;
      if (ref?.kind !== 'Deployment' || !ref.name) continue;
      try {
        const d = await client.getOrUndefined<Deployment>(`/apis/apps/v1/namespaces/${ns}/deployments/${ref.name}`);
        if (!d) continue;
        const selector = Object.entries(d.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
        const pods = (await client.list<Pod>(`/api/v1/namespaces/${ns}/pods`, { labelSelector: selector })).filter(
          (p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp,
        );
        if (pods.length === 0) continue;
        let demand = 0;
        let requested = 0;
        for (const p of pods) {
          for (const c of p.spec?.containers ?? []) {
            requested += (parseQuantity(c.resources?.requests?.cpu) ?? 0) * 1000;
            const b = c.image ? registry.lookup(c.image)?.behaviour : undefined;
            if (b?.serviceCpuMillicores === undefined) continue;
            const storm = b.retriesWhileUnready && !(await serviceReady(ns, b.retriesWhileUnready.service));
            demand = Math.max(demand, b.serviceCpuMillicores * (storm ? b.retriesWhileUnready!.factor : 1));
          }
        }
        if (requested <= 0) continue;
        const utilization = String(Math.round((demand / requested) * 100));
        if (hpa.metadata?.annotations?.[METRIC_ANNOTATION] === utilization) continue;
        await client.patch(`/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers/${hpa.metadata?.name}`, {
          metadata: { annotations: { [METRIC_ANNOTATION]: utilization } },
        });
      } catch (e) {
        if (!isNotFound(e)) onError(e);
      }
    }
  }

  const unsubscribe = clock.virtual ? clock.onTick(() => guarded()) : undefined;
  const timer = clock.virtual ? undefined : setInterval(() => void guarded(), 5000);
  function guarded(): Promise<void> {
    if (running) return running;
    running = reconcile()
      .catch(onError)
      .finally(() => (running = undefined));
    return running;
  }
  return {
    reconcile: async () => {
      last = -Infinity;
      await guarded();
    },
    async stop() {
      stopped = true;
      unsubscribe?.();
      if (timer) clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
