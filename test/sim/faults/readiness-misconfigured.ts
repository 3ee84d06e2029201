import type { FaultScenario } from './kit';
import { createDeployment, deploymentHealthy, deploymentManifest, ensureNamespace, httpProbe, names, patchContainer, webContainer } from './kit';

/**
 * The readiness endpoint takes a moment to answer (it checks its
 * dependencies); a new revision shortened the probe's timeoutSeconds below
 * that, so new pods never become Ready and the rollout stalls. A longer
 * timeout (patch_probe) or a rollback fixes it.
 */
export const readinessMisconfigured: FaultScenario = {
  name: 'readiness-misconfigured',
  description: 'Readiness probe timeout shorter than the endpoint answers: new pods never Ready, rollout stalls',
  expected: { kind: 'ProbeFailure', subReason: 'readiness-timeout', fixable: true, fixes: ['patch_probe', 'rollback_deployment'] },
  realCluster: true,
  instantiate(seed) {
    const n = names('readiness-misconfigured', seed);
    const image = `${n.repo}:${n.tag}`;
    const responseSeconds = n.int(2, 4);
    const readiness = (timeoutSeconds: number) => ({ readinessProbe: httpProbe('/ready', 8080, { timeoutSeconds, periodSeconds: 5 }) });
    return {
      scenario: 'readiness-misconfigured',
      seed,
      namespace: n.namespace,
      workload: { kind: 'Deployment', name: n.app },
      images: [
        {
          image,
          behaviour: {
            endpoints: [
              { path: '/healthz', port: 8080, healthyAfterSeconds: 2 },
              { path: '/ready', port: 8080, healthyAfterSeconds: 2, responseSeconds },
            ],
            memoryMi: 96,
            logs: [`starting ${image}`, 'listening on :8080'],
          },
        },
      ],
      async setup(k) {
        await ensureNamespace(k, n.namespace);
        const container = webContainer(n.app, image, readiness(responseSeconds + 3));
        await createDeployment(k, deploymentManifest({ namespace: n.namespace, name: n.app, replicas: n.replicas, container }));
      },
      async inject(k) {
        await patchContainer(k, n.namespace, n.app, { name: n.app, ...readiness(1) });
      },
      oracle: (k) =>
        deploymentHealthy(k, n.namespace, n.app, (d) => (d.spec?.template?.spec?.containers?.[0]?.readinessProbe?.timeoutSeconds ?? 1) >= responseSeconds),
      async manualFix(k) {
        await patchContainer(k, n.namespace, n.app, { name: n.app, ...readiness(responseSeconds + 2) });
      },
    };
  },
};
