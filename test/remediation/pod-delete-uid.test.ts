import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import { executeAction } from '../../functions/app/execute-action';
import type { Pod } from '../../functions/domain/k8s';
import type { Cluster } from '../../functions/ports/cluster';
import { useDynamoDbLocal } from '../support/dynamodb';
import { enforceDeps } from '../support/execute-deps';
import { createNamespace, startKubeEnv, startSimKubeEnv, type KubeEnv } from './kube-env';

/**
 * #10 item 5 (pod half): restart_pod deletes the pod it read and judged, by
 * UID, never a replacement of the same name, whether the replacement appears
 * between the read and the delete or before a retry of the step.
 */

const REAL = Boolean(process.env.KUBE_ASSETS);
const TARGETS = [
  { name: 'the simulated API server', start: () => startSimKubeEnv() },
  ...(REAL ? [{ name: 'the real kube-apiserver', start: () => startKubeEnv() }] : []),
];
const dynamo = useDynamoDbLocal();

describe.each(TARGETS)('restart_pod on $name', ({ start }) => {
  let env: KubeEnv;
  let ownerUid: string;
  const ns = 'uid-test';
  beforeAll(async () => {
    const started = await start();
    if ('skipped' in started) throw new Error(started.skipped);
    env = started;
    await createNamespace(env, ns);
    // A real owner object of a kind restart_pod reads (an owner of an unknown kind is refused), so the garbage
    // collector keeps the pods; not a StatefulSet, whose controller would delete or adopt them: a DaemonSet's
    // controller leaves unbound pods alone, and the test plays the controller's part (recreating a pod under the
    // same name).
    const owner = await env.apps.createNamespacedDaemonSet({
      namespace: ns,
      body: {
        metadata: { name: 'db-owner' },
        spec: { selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'db:1' }] } } },
      },
    });
    ownerUid = owner.metadata!.uid!;
  }, 120_000);
  afterAll(async () => {
    await env?.plane.stop();
  });

  /** The controller's part: a pod of this name under the same owner (a new uid each time). */
  async function podNamed(name: string): Promise<string> {
    const pod = await env.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name, labels: { app: 'db' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'db-owner', uid: ownerUid, controller: true }] },
        spec: { containers: [{ name: 'db', image: 'db:1' }] },
      },
    });
    return pod.metadata!.uid!;
  }
  const currentUid = async (name: string) => ((await env.core.readNamespacedPod({ namespace: ns, name })) as Pod).metadata?.uid;
  async function replace(name: string): Promise<string> {
    await env.core.deleteNamespacedPod({ namespace: ns, name, gracePeriodSeconds: 0 });
    return podNamed(name);
  }

  const deps = (cluster: Cluster) => enforceDeps(cluster, createDynamoMemory({ client: dynamo.doc, tables: dynamo.tables, namespace: dynamo.namespace('uid') }).locks);

  it('a replacement that appears between the read and the delete is not deleted', async () => {
    await podNamed('db-0');
    let replacement: string | undefined;
    // Replaces the pod just before the real delete reaches the server, as a StatefulSet controller could.
    const racing = new Proxy(env.cluster as Cluster, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'deletePod' || typeof value !== 'function') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        return async (namespace: string, name: string, options: { dryRun?: boolean } = {}) => {
          if (!options.dryRun && replacement === undefined) replacement = await replace(name);
          return (value as (...a: unknown[]) => Promise<void>).call(target, namespace, name, options);
        };
      },
    });
    const result = await executeAction(deps(racing), { action: 'restart_pod', namespace: ns, pod: 'db-0' }, { actionId: 'exec-race#1', reason: 'test' });
    expect(replacement).toBeDefined();
    expect(await currentUid('db-0')).toBe(replacement);
    expect(result).toMatchObject({ noop: true });
  });

  it('a retried step does not delete the replacement of the pod it already deleted', async () => {
    await podNamed('db-1');
    const first = await executeAction(deps(env.cluster), { action: 'restart_pod', namespace: ns, pod: 'db-1' }, { actionId: 'exec-retry#1', reason: 'test' });
    expect(first).toMatchObject({ applied: true, noop: false });
    // Without a kubelet a bound pod would linger; this one is unbound, so the delete removed it. The StatefulSet recreates it:
    await env.core.deleteNamespacedPod({ namespace: ns, name: 'db-1', gracePeriodSeconds: 0 }).catch(() => undefined);
    const replacement = await podNamed('db-1');
    const retry = await executeAction(deps(env.cluster), { action: 'restart_pod', namespace: ns, pod: 'db-1' }, { actionId: 'exec-retry#1', reason: 'test' });
    expect(retry).toMatchObject({ applied: true, noop: true });
    expect(await currentUid('db-1')).toBe(replacement);
  });
});
