import type { KubernetesObjectApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import { executeAction, type ExecuteDeps } from '../../functions/app/execute-action';
import { PolicyViolation } from '../../functions/domain/errors';
import { PolicyConfigSchema } from '../../functions/domain/policy-config';
import { systemClock } from '../../functions/ports/clock';
import { silentLogger } from '../../functions/ports/logger';
import { useDynamoDbLocal } from '../support/dynamodb';
import { createNamespace, freshNamespace, settle, startKubeEnv, startSimKubeEnv, useKubeEnv, type KubeEnv } from './kube-env';

/**
 * #10 item 3, the rest: a pod whose controller chain reaches a kind we do
 * not read (an Argo Rollout owning a ReplicaSet, a custom controller owning
 * the pod) has an opt-out annotation and GitOps markers we cannot see, so
 * restart_pod refuses it with rule `unknown-controller` and leaves the pod.
 * Before: the unread owner only keyed the lock and the pod was deleted.
 * Simulator, and the real kube-apiserver with KUBE_ASSETS. The owner is an
 * object both API servers serve without a CRD (a ConfigMap standing for the
 * custom resource): an owner that does not exist would have its dependents
 * garbage-collected by the simulator before the test could act.
 */

const REAL = Boolean(process.env.KUBE_ASSETS);
const TARGETS = [
  { name: 'the simulated API server', start: () => startSimKubeEnv() },
  ...(REAL ? [{ name: 'the real kube-apiserver', start: () => startKubeEnv() }] : []),
];
const dynamo = useDynamoDbLocal();

/** The stand-in custom controller: a real object, so its dependents are not garbage-collected. */
async function customController(env: KubeEnv, namespace: string, name: string) {
  const cm = await env.core.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data: { kind: 'Rollout' } } });
  return { apiVersion: 'v1', kind: 'ConfigMap', name, uid: cm.metadata!.uid!, controller: true };
}
const podSpec = { containers: [{ name: 'app', image: 'registry.local/app:1.0' }], terminationGracePeriodSeconds: 0 };

describe.each(TARGETS)('restart_pod and a controller of an unknown kind, on $name', ({ start }) => {
  let env: KubeEnv;
  let objects: KubernetesObjectApi;
  useKubeEnv(start, (e, o) => {
    env = e;
    objects = o;
  });

  const deps = (): ExecuteDeps => ({
    cluster: env.cluster,
    policy: PolicyConfigSchema.parse({ mode: 'enforce', cooldownSeconds: 0, maxActionsPerHour: 100 }),
    clock: systemClock,
    logger: silentLogger,
    locks: createDynamoMemory({ client: dynamo.doc, tables: dynamo.tables, namespace: dynamo.namespace('unk') }).locks,
  });
  const refusal = (p: Promise<unknown>) => p.then(() => 'applied', (e: unknown) => (e instanceof PolicyViolation ? e.rule : `unexpected: ${String(e)}`));

  it('a pod owned directly by a custom controller is refused, untouched', async () => {
    // Why: the owner's opt-out (e.g. eks-reflexion.io/ignore on the custom resource) cannot be read.
    const ns = freshNamespace('unk');
    await createNamespace(env, ns);
    const pod = await env.core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'checkout-0', labels: { app: 'checkout' }, ownerReferences: [await customController(env, ns, 'checkout')] }, spec: podSpec } });
    const result = refusal(executeAction(deps(), { action: 'restart_pod', namespace: ns, pod: 'checkout-0' }, { actionId: 'unk-1#1', reason: 'test' }));
    expect(await result).toBe('unknown-controller');
    await expect(executeAction(deps(), { action: 'restart_pod', namespace: ns, pod: 'checkout-0' }, { actionId: 'unk-1b#1', reason: 'test' })).rejects.toThrow(
      /^unknown-controller: pod 'checkout-0' is controlled by ConfigMap 'checkout', a kind eks-reflexion does not read/,
    );
    expect((await env.cluster.getPod(ns, 'checkout-0')).metadata?.uid).toBe(pod.metadata?.uid);
  }, 120_000);

  it('a pod of a ReplicaSet owned by an Argo Rollout is refused, untouched', async () => {
    // Why: the Argo case — the ReplicaSet is read, the Rollout above it is not; its opt-out must still count.
    const ns = freshNamespace('unk');
    await createNamespace(env, ns);
    await objects.create({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'cart-6f7d', namespace: ns, ownerReferences: [await customController(env, ns, 'cart')] },
      spec: { replicas: 1, selector: { matchLabels: { app: 'cart' } }, template: { metadata: { labels: { app: 'cart' } }, spec: podSpec } },
    } as never);
    let name = '';
    await settle(env, ns, async () => {
      name = (await env.cluster.listPods(ns, 'app=cart'))[0]?.metadata?.name ?? '';
      return name !== '';
    });
    const uid = (await env.cluster.getPod(ns, name)).metadata?.uid;
    expect(await refusal(executeAction(deps(), { action: 'restart_pod', namespace: ns, pod: name }, { actionId: 'unk-2#1', reason: 'test' }))).toBe('unknown-controller');
    expect((await env.cluster.getPod(ns, name)).metadata?.uid).toBe(uid);
  }, 120_000);
});
