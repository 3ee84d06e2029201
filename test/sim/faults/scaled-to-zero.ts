import type { HorizontalPodAutoscaler } from '../../../functions/domain/k8s';
import type { FaultScenario } from './kit';
import { createDeployment, deploymentHealthy, deploymentManifest, ensureNamespace, getDeployment, names, scaleDeployment, webContainer, webImage } from './kit';
import { hpaPath } from './hpa';

/**
 * Someone scaled a Deployment that an HPA manages to 0 (a forgotten
 * maintenance step). What a detector can see: the HPA's minReplicas is ≥ 1
 * but its target has 0 replicas, and the HPA controller reports
 * ScalingActive=False with reason ScalingDisabled ("scaling is disabled since
 * the replica count of the target is zero") — the HPA stops scaling a target
 * at zero, so nothing brings it back by itself. No failure kind names this
 * exactly; it is a rollout-level availability failure (FailedRollout,
 * sub-reason scaled-to-zero). Fix: scale back to the HPA's minimum.
 */
export const scaledToZero: FaultScenario = {
  name: 'scaled-to-zero',
  description: 'HPA-managed Deployment scaled to 0: no pods, HPA reports ScalingDisabled',
  expected: { kind: 'FailedRollout', subReason: 'scaled-to-zero', fixable: true, fixes: ['scale_deployment'] },
  realCluster: true,
  instantiate(seed) {
    const n = names('scaled-to-zero', seed);
    const image = `${n.repo}:${n.tag}`;
    const minReplicas = n.replicas;
    return {
      scenario: 'scaled-to-zero',
      seed,
      namespace: n.namespace,
      workload: { kind: 'Deployment', name: n.app },
      images: [webImage(image)],
      async setup(k) {
        await ensureNamespace(k, n.namespace);
        await createDeployment(k, deploymentManifest({ namespace: n.namespace, name: n.app, replicas: minReplicas, container: webContainer(n.app, image) }));
        const path = await hpaPath(k, n.namespace);
        await k.create(path.collection, path.manifest(n.app, n.app, minReplicas, minReplicas + 3, 70));
      },
      async inject(k) {
        await scaleDeployment(k, n.namespace, n.app, 0);
      },
      async oracle(k) {
        const path = await hpaPath(k, n.namespace);
        const hpa = await k.getOrUndefined<HorizontalPodAutoscaler>(path.item(n.app));
        const d = await getDeployment(k, n.namespace, n.app);
        if ((d?.spec?.replicas ?? 0) < (hpa?.spec?.minReplicas ?? 1)) return false;
        return deploymentHealthy(k, n.namespace, n.app);
      },
      async manualFix(k) {
        await scaleDeployment(k, n.namespace, n.app, minReplicas);
      },
    };
  },
};
