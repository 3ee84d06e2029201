import type { FaultScenario } from './kit';
import { createDeployment, deploymentHealthy, deploymentManifest, ensureNamespace, names, patchContainer, rolloutUndo, webContainer, webImage } from './kit';

/**
 * A new revision reads a key from a ConfigMap that was never created (the
 * manifest for it was left out of the release): the kubelet cannot build the
 * container's environment, CreateContainerConfigError.
 */
export const missingConfigmap: FaultScenario = {
  name: 'missing-configmap',
  description: 'New revision references a ConfigMap that does not exist: CreateContainerConfigError',
  expected: { kind: 'CreateContainerConfigError', subReason: 'missing-configmap', fixable: true, fixes: ['rollback_deployment'] },
  realCluster: true,
  instantiate(seed) {
    const n = names('missing-configmap', seed);
    const image = `${n.repo}:${n.tag}`;
    const v1Config = `${n.app}-config`;
    const v2Config = `${n.app}-config-v${n.int(2, 9)}`;
    const envFrom = (cm: string) => [{ name: 'FEATURE_FLAGS', valueFrom: { configMapKeyRef: { name: cm, key: 'flags' } } }];
    return {
      scenario: 'missing-configmap',
      seed,
      namespace: n.namespace,
      workload: { kind: 'Deployment', name: n.app },
      images: [webImage(image)],
      async setup(k) {
        await ensureNamespace(k, n.namespace);
        await k.create(`/api/v1/namespaces/${n.namespace}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: v1Config }, data: { flags: 'search=on' } });
        await createDeployment(k, deploymentManifest({ namespace: n.namespace, name: n.app, replicas: n.replicas, container: webContainer(n.app, image, { env: envFrom(v1Config) }) }));
      },
      async inject(k) {
        await patchContainer(k, n.namespace, n.app, { name: n.app, env: envFrom(v2Config) });
      },
      oracle: (k) => deploymentHealthy(k, n.namespace, n.app),
      async manualFix(k) {
        await rolloutUndo(k, n.namespace, n.app);
      },
    };
  },
};
