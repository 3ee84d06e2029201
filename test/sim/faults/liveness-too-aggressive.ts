import type { FaultScenario } from './kit';
import { createDeployment, deploymentHealthy, deploymentManifest, ensureNamespace, httpProbe, names, patchContainer, webContainer, webImage } from './kit';

/**
 * A slow-starting program (health endpoint answers only after S seconds) gets
 * a liveness probe that starts checking at 5 s and gives up after one
 * failure: the kubelet kills it before it is ever up, then backs off.
 */
export const livenessTooAggressive: FaultScenario = {
  name: 'liveness-too-aggressive',
  description: 'Liveness probe fires before a slow program is up: killed and restarted over and over',
  expected: { kind: 'ProbeFailure', subReason: 'liveness-server-error', fixable: true, fixes: ['patch_probe', 'rollback_deployment'] },
  realCluster: true,
  instantiate(seed) {
    const n = names('liveness-too-aggressive', seed);
    const image = `${n.repo}:${n.tag}`;
    const startSeconds = n.int(15, 30);
    const liveness = (initialDelaySeconds: number, failureThreshold = 3) => ({ livenessProbe: httpProbe('/healthz', 8080, { initialDelaySeconds, periodSeconds: 5, failureThreshold }) });
    return {
      scenario: 'liveness-too-aggressive',
      seed,
      namespace: n.namespace,
      workload: { kind: 'Deployment', name: n.app },
      images: [webImage(image, { healthyAfterSeconds: startSeconds })],
      async setup(k) {
        await ensureNamespace(k, n.namespace);
        const container = webContainer(n.app, image, liveness(startSeconds + 10));
        await createDeployment(k, deploymentManifest({ namespace: n.namespace, name: n.app, replicas: n.replicas, container, progressDeadlineSeconds: 300 }));
      },
      async inject(k) {
        await patchContainer(k, n.namespace, n.app, { name: n.app, ...liveness(5, 1) });
      },
      oracle: (k) =>
        deploymentHealthy(k, n.namespace, n.app, (d) => {
          const p = d.spec?.template?.spec?.containers?.[0]?.livenessProbe;
          return !p || (p.initialDelaySeconds ?? 0) + (p.periodSeconds ?? 10) * ((p.failureThreshold ?? 3) - 1) >= startSeconds;
        }),
      async manualFix(k) {
        await patchContainer(k, n.namespace, n.app, { name: n.app, ...liveness(startSeconds + 15) });
      },
    };
  },
};
