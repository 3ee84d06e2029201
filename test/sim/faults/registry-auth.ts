import type { FaultScenario } from './kit';
import { createDeployment, deploymentHealthy, deploymentManifest, ensureNamespace, imageOf, names, patchContainer, webContainer, webImage } from './kit';

/**
 * A rollout to an image in a private registry without pull credentials. No
 * catalogue action can create credentials, so the right outcome is escalate.
 * A rollback would bring service back but abandon the release; the oracle
 * therefore asks for the new image running, which only the credential fix
 * (done by a human in manualFix) achieves.
 */
export const registryAuth: FaultScenario = {
  name: 'registry-auth',
  description: 'Deployment rolled out with an image from a private registry it has no pull credentials for',
  expected: { kind: 'ImagePullBackOff', subReason: 'auth', fixable: false, fixes: ['escalate'] },
  realCluster: true,
  instantiate(seed) {
    const n = names('registry-auth', seed);
    const good = `${n.repo}:${n.tag}`;
    const secretName = `${n.team}-registry`;
    const privateImage = `private.registry.sim.local/${n.team}/${n.app}:${n.nextTag}`;
    const entry = webImage(privateImage);
    entry.requiresAuth = { secretName };
    return {
      scenario: 'registry-auth',
      seed,
      namespace: n.namespace,
      workload: { kind: 'Deployment', name: n.app },
      images: [webImage(good), entry],
      async setup(k) {
        await ensureNamespace(k, n.namespace);
        await createDeployment(k, deploymentManifest({ namespace: n.namespace, name: n.app, replicas: n.replicas, container: webContainer(n.app, good) }));
      },
      async inject(k) {
        await patchContainer(k, n.namespace, n.app, { name: n.app, image: privateImage });
      },
      oracle: (k) => deploymentHealthy(k, n.namespace, n.app, (d) => imageOf(d, n.app) === privateImage),
      async manualFix(k) {
        await k.create(`/api/v1/namespaces/${n.namespace}/secrets`, {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: secretName },
          type: 'kubernetes.io/dockerconfigjson',
          data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { 'private.registry.sim.local': { auth: 'c2ltOnNpbQ==' } } })).toString('base64') },
        });
        await k.patch(`/apis/apps/v1/namespaces/${n.namespace}/deployments/${n.app}`, { spec: { template: { spec: { imagePullSecrets: [{ name: secretName }] } } } }, 'strategic');
      },
    };
  },
};
