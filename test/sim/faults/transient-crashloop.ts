import type { FaultScenario } from './kit';
import { createDeployment, deploymentHealthy, deploymentManifest, ensureNamespace, names, podsOf, webContainer, webImage } from './kit';
import type { Pod } from '../../../functions/domain/k8s';

/**
 * One pod's local state goes bad (think a corrupt emptyDir cache or a stuck
 * lock file): its container exits on every start, while a fresh pod of the
 * same template is fine. Deleting the pod (restart_pod) or a rollout restart
 * fixes it; a rollback would not be the right tool.
 */
export const transientCrashloop: FaultScenario = {
  name: 'transient-crashloop',
  description: 'One pod crash-loops on corrupt local state; a fresh pod is healthy',
  expected: { kind: 'CrashLoopBackOff', subReason: 'exit-1', fixable: true, fixes: ['restart_pod', 'rollout_restart'] },
  realCluster: true,
  instantiate(seed) {
    const n = names('transient-crashloop', seed);
    const image = `${n.repo}:${n.tag}`;
    const entry = webImage(image);
    const poisoned: string[] = [];
    entry.behaviour!.poisonedPods = poisoned;
    let victim: string | undefined;
    return {
      scenario: 'transient-crashloop',
      seed,
      namespace: n.namespace,
      workload: { kind: 'Deployment', name: n.app },
      images: [entry],
      async setup(k) {
        await ensureNamespace(k, n.namespace);
        await createDeployment(k, deploymentManifest({ namespace: n.namespace, name: n.app, replicas: n.replicas, container: webContainer(n.app, image) }));
      },
      async inject(k) {
        const pods = (await podsOf(k, n.namespace, n.app)).filter((p: Pod) => p.spec?.nodeName && !p.metadata?.deletionTimestamp);
        pods.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
        const p = pods[seed % Math.max(1, pods.length)];
        if (!p?.metadata?.name) throw new Error(`transient-crashloop: no running pod of ${n.namespace}/${n.app} to poison (run setup and let it settle first)`);
        victim = p.metadata.name;
        poisoned.push(victim);
      },
      oracle: (k) => deploymentHealthy(k, n.namespace, n.app, (_d, pods) => pods.every((p) => p.metadata?.name !== victim)),
      async manualFix(k) {
        if (victim) await k.delete(`/api/v1/namespaces/${n.namespace}/pods/${victim}`);
      },
    };
  },
};
