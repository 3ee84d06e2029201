import type { HorizontalPodAutoscaler } from '../../../functions/domain/k8s';
import type { FaultScenario } from './kit';
import { createDeployment, deploymentHealthy, deploymentManifest, ensureNamespace, names, webContainer, webImage } from './kit';
import { hpaPath } from './hpa';

/**
 * A load spike needs more replicas than the HPA's maxReplicas allows: the
 * HPA sits at max with ScalingLimited=True/TooManyReplicas and utilisation
 * far above target. Raising maxReplicas (patch_hpa) lets it scale to what
 * the load needs. Simulator only: the load comes from the image's
 * serviceCpuMillicores through the metrics emulator; a bare kube-apiserver
 * has no metrics pipeline.
 */
export const hpaAtMax: FaultScenario = {
  name: 'hpa-at-max',
  description: 'Load spike beyond what the HPA may scale to: pinned at maxReplicas, utilisation above target',
  expected: { kind: 'HpaAtMax', subReason: 'cpu', fixable: true, fixes: ['patch_hpa'] },
  realCluster: false,
  instantiate(seed) {
    const n = names('hpa-at-max', seed);
    const image = `${n.repo}:${n.tag}`;
    const requestMilli = n.pick([100, 200, 250]);
    const targetPercent = 60;
    const min = 2;
    const max = n.int(3, 4);
    const perReplica = (requestMilli * targetPercent) / 100;
    // Baseline: comfortably served by min replicas. Spike: needs max + 2..3 replicas.
    const baseline = Math.round(perReplica * min * 0.8);
    const needed = max + n.int(2, 3);
    const spike = Math.round(perReplica * needed * 0.95);
    const entry = webImage(image);
    entry.behaviour!.serviceCpuMillicores = baseline;
    return {
      scenario: 'hpa-at-max',
      seed,
      namespace: n.namespace,
      workload: { kind: 'Deployment', name: n.app },
      images: [entry],
      async setup(k) {
        await ensureNamespace(k, n.namespace);
        const container = webContainer(n.app, image, { resources: { requests: { cpu: `${requestMilli}m`, memory: '128Mi' }, limits: { memory: '256Mi' } } });
        await createDeployment(k, deploymentManifest({ namespace: n.namespace, name: n.app, replicas: min, container }));
        const path = await hpaPath(k, n.namespace);
        await k.create(path.collection, path.manifest(n.app, n.app, min, max, targetPercent));
      },
      async inject() {
        entry.behaviour!.serviceCpuMillicores = spike;
      },
      async oracle(k) {
        const path = await hpaPath(k, n.namespace);
        const hpa = await k.getOrUndefined<HorizontalPodAutoscaler>(path.item(n.app));
        if (!hpa?.status) return false;
        const limited = hpa.status.conditions?.find((c) => c.type === 'ScalingLimited');
        if (limited?.status === 'True' && limited.reason === 'TooManyReplicas') return false;
        if ((hpa.status.currentReplicas ?? 0) >= (hpa.spec?.maxReplicas ?? 0) && (hpa.status.desiredReplicas ?? 0) >= (hpa.spec?.maxReplicas ?? 0)) return false;
        return deploymentHealthy(k, n.namespace, n.app);
      },
      async manualFix(k) {
        const path = await hpaPath(k, n.namespace);
        await k.patch(path.item(n.app), { spec: { maxReplicas: needed + 2 } });
      },
    };
  },
};
