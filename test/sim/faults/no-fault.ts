import type { FaultScenario } from './kit';
import { createDeployment, deploymentHealthy, deploymentManifest, ensureNamespace, imageOf, names, patchContainer, webContainer, webImage } from './kit';

/**
 * The control: a healthy service gets a normal, healthy release. Nothing
 * should be detected and nothing done; a system that acts here is wrong.
 */
export const noFault: FaultScenario = {
  name: 'no-fault',
  description: 'Control: a healthy service rolls out a healthy new version; nothing to do',
  expected: { kind: null, fixable: false, fixes: [] },
  realCluster: true,
  instantiate(seed) {
    const n = names('no-fault', seed);
    const v1 = `${n.repo}:${n.tag}`;
    const v2 = `${n.repo}:${n.nextTag}`;
    return {
      scenario: 'no-fault',
      seed,
      namespace: n.namespace,
      workload: { kind: 'Deployment', name: n.app },
      images: [webImage(v1), webImage(v2)],
      async setup(k) {
        await ensureNamespace(k, n.namespace);
        await createDeployment(k, deploymentManifest({ namespace: n.namespace, name: n.app, replicas: n.replicas, container: webContainer(n.app, v1) }));
      },
      async inject(k) {
        await patchContainer(k, n.namespace, n.app, { name: n.app, image: v2 });
      },
      oracle: (k) => deploymentHealthy(k, n.namespace, n.app, (d) => imageOf(d, n.app) === v2),
      async manualFix() {
        // Nothing is broken: the right fix is no change.
      },
    };
  },
};
