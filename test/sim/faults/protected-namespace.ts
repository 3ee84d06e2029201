import type { FaultScenario } from './kit';
import { createDeployment, deploymentHealthy, deploymentManifest, ensureNamespace, imageOf, names, patchContainer, rolloutUndo, webContainer, webImage } from './kit';

/**
 * A bad image tag in kube-system. The symptom is real and a detector may see
 * it, but policy forbids touching protected namespaces: the right outcome is
 * no write at all (escalate or ignore). `fixable` is false for that reason,
 * although a human could fix it (manualFix).
 */
export const protectedNamespace: FaultScenario = {
  name: 'protected-namespace',
  description: 'Bad image tag on a kube-system Deployment: must not be touched',
  expected: { kind: 'ImagePullBackOff', subReason: 'tag-not-found', fixable: false, fixes: [] },
  realCluster: true,
  instantiate(seed) {
    const n = names('protected-namespace', seed);
    const name = n.pick(['metrics-agent', 'log-shipper', 'dns-autoscaler', 'node-exporter']) + `-${n.int(0, 0xfff).toString(16)}`;
    const repo = `registry.sim.local/system/${name.replace(/-[0-9a-f]+$/, '')}`;
    const good = `${repo}:${n.tag}`;
    const bad = `${repo}:${n.nextTag}-missing`;
    return {
      scenario: 'protected-namespace',
      seed,
      namespace: 'kube-system',
      workload: { kind: 'Deployment', name },
      images: [webImage(good)],
      async setup(k) {
        await ensureNamespace(k, 'kube-system');
        await createDeployment(k, deploymentManifest({ namespace: 'kube-system', name, replicas: n.replicas, container: webContainer(name, good) }));
      },
      async inject(k) {
        await patchContainer(k, 'kube-system', name, { name, image: bad });
      },
      oracle: (k) => deploymentHealthy(k, 'kube-system', name, (d) => imageOf(d, name) === good),
      async manualFix(k) {
        await rolloutUndo(k, 'kube-system', name);
      },
    };
  },
};
