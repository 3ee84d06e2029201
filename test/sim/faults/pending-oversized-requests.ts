import type { FaultScenario } from './kit';
import { createDeployment, deploymentHealthy, deploymentManifest, ensureNamespace, names, patchContainer, webContainer, webImage } from './kit';
import { parseQuantity } from '../kubelet/quantity';

/**
 * A new revision asks for more memory than any node can offer (nodes have
 * 8Gi allocatable by default): its pods stay Pending with the scheduler's
 * "Insufficient memory". Halving the request (one patch_resources step) or a
 * rollback fixes it.
 */
export const pendingOversizedRequests: FaultScenario = {
  name: 'pending-oversized-requests',
  description: 'New revision requests more memory than any node has: pods Pending, Insufficient memory',
  expected: { kind: 'Unschedulable', subReason: 'insufficient-memory', fixable: true, fixes: ['patch_resources', 'rollback_deployment'] },
  realCluster: true,
  instantiate(seed) {
    const n = names('pending-oversized-requests', seed);
    const image = `${n.repo}:${n.tag}`;
    const oversizedGi = n.int(9, 12);
    return {
      scenario: 'pending-oversized-requests',
      seed,
      namespace: n.namespace,
      workload: { kind: 'Deployment', name: n.app },
      images: [webImage(image)],
      async setup(k) {
        await ensureNamespace(k, n.namespace);
        await createDeployment(k, deploymentManifest({ namespace: n.namespace, name: n.app, replicas: n.replicas, container: webContainer(n.app, image), progressDeadlineSeconds: 180 }));
      },
      async inject(k) {
        await patchContainer(k, n.namespace, n.app, { name: n.app, resources: { requests: { memory: `${oversizedGi}Gi` }, limits: { memory: `${oversizedGi}Gi` } } });
      },
      oracle: (k) =>
        deploymentHealthy(k, n.namespace, n.app, (d) => (parseQuantity(d.spec?.template?.spec?.containers?.[0]?.resources?.requests?.memory) ?? 0) < oversizedGi * 2 ** 30),
      async manualFix(k) {
        const half = `${Math.floor((oversizedGi * 1024) / 2)}Mi`;
        await patchContainer(k, n.namespace, n.app, { name: n.app, resources: { requests: { memory: half }, limits: { memory: half } } });
      },
    };
  },
};
