import type { FaultScenario } from './kit';
import { createDeployment, deploymentHealthy, deploymentManifest, ensureNamespace, names, patchContainer, webContainer, webImage } from './kit';
import { parseQuantity, MI } from '../kubelet/quantity';

/**
 * A "right-sizing" change set the memory limit below what the program uses:
 * the kernel kills it (OOMKilled, exit 137) shortly after every start. Raising
 * the limit (≤ 2× per step reaches it in one step) or rolling back fixes it.
 */
export const oomLowLimit: FaultScenario = {
  name: 'oom-low-limit',
  description: 'Memory limit lowered below the working set: containers are OOMKilled',
  expected: { kind: 'OOMKilled', subReason: 'memory-limit', fixable: true, fixes: ['patch_resources', 'rollback_deployment'] },
  realCluster: true,
  instantiate(seed) {
    const n = names('oom-low-limit', seed);
    const image = `${n.repo}:${n.tag}`;
    const usesMi = n.int(200, 400);
    const goodLimit = `${Math.ceil((usesMi * 1.5) / 64) * 64}Mi`;
    const lowLimit = `${Math.floor((usesMi * 0.7) / 16) * 16}Mi`;
    return {
      scenario: 'oom-low-limit',
      seed,
      namespace: n.namespace,
      workload: { kind: 'Deployment', name: n.app },
      images: [webImage(image, { memoryMi: usesMi })],
      async setup(k) {
        await ensureNamespace(k, n.namespace);
        const container = webContainer(n.app, image, { resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: goodLimit } } });
        await createDeployment(k, deploymentManifest({ namespace: n.namespace, name: n.app, replicas: n.replicas, container }));
      },
      async inject(k) {
        await patchContainer(k, n.namespace, n.app, { name: n.app, resources: { limits: { memory: lowLimit } } });
      },
      oracle: (k) =>
        deploymentHealthy(k, n.namespace, n.app, (d) => {
          const limit = parseQuantity(d.spec?.template?.spec?.containers?.[0]?.resources?.limits?.memory);
          return limit === undefined || limit >= usesMi * MI;
        }),
      async manualFix(k) {
        await patchContainer(k, n.namespace, n.app, { name: n.app, resources: { limits: { memory: `${Math.floor((usesMi * 0.7) / 16) * 32}Mi` } } });
      },
    };
  },
};
