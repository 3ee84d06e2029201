import type { FaultScenario } from './kit';
import { createDeployment, deploymentHealthy, deploymentManifest, ensureNamespace, names, rolloutUndo, webContainer, webImage } from './kit';

/** A new revision pins pods to a node label no node has: Pending with "didn't match Pod's node affinity/selector". */
export const pendingNodeSelector: FaultScenario = {
  name: 'pending-node-selector',
  description: 'New revision selects nodes by a label no node carries: pods Pending',
  expected: { kind: 'Unschedulable', subReason: 'node-selector', fixable: true, fixes: ['rollback_deployment'] },
  realCluster: true,
  instantiate(seed) {
    const n = names('pending-node-selector', seed);
    const image = `${n.repo}:${n.tag}`;
    const selector = n.pick([
      { 'node.kubernetes.io/instance-type': 'g5.2xlarge' },
      { 'karpenter.sh/capacity-type': 'spot' },
      { 'topology.kubernetes.io/zone': 'eu-west-1c' },
      { workload: 'gpu' },
    ]);
    return {
      scenario: 'pending-node-selector',
      seed,
      namespace: n.namespace,
      workload: { kind: 'Deployment', name: n.app },
      images: [webImage(image)],
      async setup(k) {
        await ensureNamespace(k, n.namespace);
        await createDeployment(k, deploymentManifest({ namespace: n.namespace, name: n.app, replicas: n.replicas, container: webContainer(n.app, image), progressDeadlineSeconds: 180 }));
      },
      async inject(k) {
        await k.patch(`/apis/apps/v1/namespaces/${n.namespace}/deployments/${n.app}`, { spec: { template: { spec: { nodeSelector: selector } } } }, 'strategic');
      },
      oracle: (k) => deploymentHealthy(k, n.namespace, n.app, (d) => Object.keys(d.spec?.template?.spec?.nodeSelector ?? {}).length === 0),
      async manualFix(k) {
        await rolloutUndo(k, n.namespace, n.app);
      },
    };
  },
};
