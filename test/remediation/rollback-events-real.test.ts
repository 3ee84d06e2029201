import { describe, expect, it } from 'vitest';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import { executeAction } from '../../functions/app/execute-action';
import { planRollbackDeployment } from '../../functions/app/actions/rollback-deployment';
import { ActionNotApplicable } from '../../functions/app/actions/common';
import { PolicyConfigSchema } from '../../functions/domain/policy-config';
import { systemClock } from '../../functions/ports/clock';
import { silentLogger } from '../../functions/ports/logger';
import { useDynamoDbLocal } from '../support/dynamodb';
import { createDeployment, createNamespace, deploymentAvailable, freshNamespace, PatchStrategy, settle, setHeaderOptions, startKubeEnv, startSimKubeEnv, useKubeEnv, type KubeEnv } from './kube-env';

/**
 * #10 item 9, the cluster's memory: after an operator rolled a bad image
 * back by hand (`kubectl rollout undo`: no marker of ours, no action
 * record, no episode) and the bad revision's pods are gone, the kubelet's
 * BackOff Events of those pods still name their ReplicaSet (the pod names
 * carry its pod-template-hash). The default rollback target must not be that
 * revision. Before: rollback_deployment chose revision 2 (`not-known-failing`).
 * Runs on the real kube-apiserver (KUBE_ASSETS), where the Events list and
 * ReplicaSet names are the real ones, and on the simulator.
 */

const REAL = Boolean(process.env.KUBE_ASSETS);
if (!REAL) console.log('[remediation] KUBE_ASSETS not set: the Events source on the real kube-apiserver skipped (the simulator half runs)');
const TARGETS: { name: string; start: () => Promise<KubeEnv | { skipped: string }> }[] = [
  { name: 'the simulated API server', start: () => startSimKubeEnv('events') },
  ...(REAL ? [{ name: 'the real kube-apiserver', start: () => startKubeEnv('events') }] : []),
];

const dynamo = useDynamoDbLocal();
const GOOD = 'registry.local/billing:1.0';
const BAD = 'registry.local/billing:1.1-missing';
const setImage = (env: KubeEnv, ns: string, image: string) =>
  env.apps.patchNamespacedDeployment(
    { namespace: ns, name: 'billing', body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: image }] },
    setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
  );

describe.each(TARGETS)('rollback target and Events of gone pods, on $name', ({ start }) => {
  let env: KubeEnv | undefined;
  // Fails the tests with the reason when the API server cannot start.
  useKubeEnv(start, (started) => {
    env = started;
  });

  it('a revision whose gone pods left BackOff Events is never the default target', async () => {
    if (!env) throw new Error('API server not available');
    const e = env;
    const ns = freshNamespace('events');
    await createNamespace(e, ns);
    await createDeployment(e, ns, 'billing', { image: GOOD, replicas: 2 });
    await settle(e, ns, () => deploymentAvailable(e.cluster, ns, 'billing'));
    await setImage(e, ns, BAD);
    await settle(e, ns, async () => (await e.cluster.listPods(ns, 'app=billing')).some((p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff'));
    // What the kubelet records for each pod that cannot pull (the test plays the kubelet).
    const now = new Date();
    const failing = (await e.cluster.listPods(ns, 'app=billing')).filter((p) => p.spec?.containers?.[0]?.image === BAD);
    for (const pod of failing) {
      const name = pod.metadata?.name ?? '';
      await e.core.createNamespacedEvent({
        namespace: ns,
        body: {
          metadata: { name: `${name}.backoff`, namespace: ns },
          involvedObject: { kind: 'Pod', apiVersion: 'v1', name, namespace: ns, uid: pod.metadata?.uid ?? '' },
          reason: 'BackOff',
          message: `Back-off pulling image "${BAD}"`,
          type: 'Warning',
          count: 3,
          firstTimestamp: now,
          lastTimestamp: now,
          source: { component: 'kubelet', host: 'node-1' },
        },
      });
    }
    // The operator's `kubectl rollout undo`: the template of revision 1 comes back as revision 3; revision 2's pods go.
    await setImage(e, ns, GOOD);
    await settle(e, ns, async () => (await deploymentAvailable(e.cluster, ns, 'billing')) && (await e.cluster.listPods(ns, 'app=billing')).every((p) => p.spec?.containers?.[0]?.image === GOOD));
    const d = await e.cluster.getDeployment(ns, 'billing');
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    const replicaSets = await e.cluster.listReplicaSets(ns);
    const pods = await e.cluster.listPods(ns, 'app=billing');
    const bad = replicaSets.find((rs) => rs.spec?.template?.spec?.containers?.[0]?.image === BAD)?.metadata?.name;
    expect(bad).toBeDefined();

    // Why: without the Events nothing of ours or of the live pods says revision 2 failed; it would be chosen.
    expect(planRollbackDeployment(d, { action: 'rollback_deployment', namespace: ns, deployment: 'billing' }, { replicaSets, pods }).details).toMatchObject({ toRevision: 2 });

    const deps = {
      cluster: e.cluster,
      policy: PolicyConfigSchema.parse({ mode: 'enforce', cooldownSeconds: 0 }),
      clock: systemClock,
      logger: silentLogger,
      // An empty lock store of its own: no action record knows revision 2.
      locks: createDynamoMemory({ client: dynamo.doc, tables: dynamo.tables, namespace: dynamo.namespace('events') }).locks,
    };
    const attempt = executeAction(deps, { action: 'rollback_deployment', namespace: ns, deployment: 'billing' }, { actionId: 'events-1#1', reason: 'test' });
    await expect(attempt).rejects.toBeInstanceOf(ActionNotApplicable);
    await expect(attempt).rejects.toThrow(new RegExp(`no earlier revision that is not known to be failing .*revision 2 \\(${bad}\\): events: BackOff event of gone pod ${bad}-`));
    expect((await e.cluster.getDeployment(ns, 'billing')).spec?.template?.spec?.containers?.[0]?.image).toBe(GOOD);
  }, 240_000);
});
