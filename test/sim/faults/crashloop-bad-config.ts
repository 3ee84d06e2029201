import type { FaultScenario } from './kit';
import { createDeployment, deploymentHealthy, deploymentManifest, ensureNamespace, imageOf, names, rolloutUndo, webContainer, webImage } from './kit';

/** A new revision dropped an environment variable the program requires: it exits 1 at start, over and over. */
export const crashloopBadConfig: FaultScenario = {
  name: 'crashloop-bad-config',
  description: 'New revision lacks an environment variable the program needs and crash-loops',
  expected: { kind: 'CrashLoopBackOff', subReason: 'new-revision', fixable: true, fixes: ['rollback_deployment'] },
  realCluster: true,
  instantiate(seed) {
    const n = names('crashloop-bad-config', seed);
    const variable = n.pick(['DATABASE_URL', 'REDIS_ADDR', 'UPSTREAM_URL', 'QUEUE_NAME']);
    const v1 = `${n.repo}:${n.tag}`;
    const v2 = `${n.repo}:${n.nextTag}`;
    const image = (ref: string) => {
      const e = webImage(ref);
      e.behaviour!.requiresEnv = [variable];
      return e;
    };
    const env = [{ name: variable, value: `${variable.toLowerCase()}.${n.namespace}.svc:${n.int(5000, 6000)}` }];
    return {
      scenario: 'crashloop-bad-config',
      seed,
      namespace: n.namespace,
      workload: { kind: 'Deployment', name: n.app },
      images: [image(v1), image(v2)],
      async setup(k) {
        await ensureNamespace(k, n.namespace);
        await createDeployment(k, deploymentManifest({ namespace: n.namespace, name: n.app, replicas: n.replicas, container: webContainer(n.app, v1, { env }) }));
      },
      async inject(k) {
        // A release that also rewrote the env list and lost the variable.
        await k.patch(
          `/apis/apps/v1/namespaces/${n.namespace}/deployments/${n.app}`,
          [
            { op: 'replace', path: '/spec/template/spec/containers/0/image', value: v2 },
            { op: 'replace', path: '/spec/template/spec/containers/0/env', value: [{ name: 'LOG_LEVEL', value: 'info' }] },
          ],
          'json',
        );
      },
      oracle: (k) => deploymentHealthy(k, n.namespace, n.app, (d) => imageOf(d, n.app) === v1 || (d.spec?.template?.spec?.containers?.[0]?.env ?? []).some((e) => e.name === variable)),
      async manualFix(k) {
        await rolloutUndo(k, n.namespace, n.app);
      },
    };
  },
};
