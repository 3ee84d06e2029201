import type { FaultScenario } from './kit';
import { createDeployment, deploymentHealthy, deploymentManifest, ensureNamespace, imageOf, names, patchContainer, rolloutUndo, webContainer, webImage } from './kit';

/** A rollout to a tag the registry does not have (a typo, or a build that never pushed). */
export const badImageTag: FaultScenario = {
  name: 'bad-image-tag',
  description: 'Deployment rolled out with an image tag that does not exist in the registry',
  expected: { kind: 'ImagePullBackOff', subReason: 'tag-not-found', fixable: true, fixes: ['rollback_deployment', 'patch_image'] },
  realCluster: true,
  instantiate(seed) {
    const n = names('bad-image-tag', seed);
    const good = `${n.repo}:${n.tag}`;
    // Typo-like bad tags, all absent from the registry.
    const bad = `${n.repo}:${n.pick([`${n.nextTag}-rc`, `v${n.tag}`, `${n.tag}0`, `${n.nextTag}`])}`;
    return {
      scenario: 'bad-image-tag',
      seed,
      namespace: n.namespace,
      workload: { kind: 'Deployment', name: n.app },
      images: [webImage(good)],
      async setup(k) {
        await ensureNamespace(k, n.namespace);
        await createDeployment(k, deploymentManifest({ namespace: n.namespace, name: n.app, replicas: n.replicas, container: webContainer(n.app, good) }));
      },
      async inject(k) {
        await patchContainer(k, n.namespace, n.app, { name: n.app, image: bad });
      },
      oracle: (k) => deploymentHealthy(k, n.namespace, n.app, (d) => imageOf(d, n.app) === good),
      async manualFix(k) {
        await rolloutUndo(k, n.namespace, n.app);
      },
    };
  },
};
