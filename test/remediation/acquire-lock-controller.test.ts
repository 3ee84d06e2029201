import type { KubernetesObjectApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import { lockStep } from '../../functions/app/steps/lock';
import { PolicyConfigSchema } from '../../functions/domain/policy-config';
import type { WorkflowStateInput } from '../../functions/domain/workflow-state';
import { buildLocalDeps } from '../../functions/local/local-deps';
import { systemClock } from '../../functions/ports/clock';
import { incident } from '../reasoner/fixtures';
import { useDynamoDbLocal } from '../support/dynamodb';
import { createDeployment, createNamespace, freshNamespace, settle, startKubeEnv, startSimKubeEnv, useKubeEnv, type KubeEnv } from './kube-env';

/**
 * #10 item 3, the state machine's half: AcquireLock keys an incident on a
 * pod by the pod's top controller (as restart_pod's action-level lock,
 * cooldown and cap already are), so incidents on two pods of one
 * StatefulSet or bare ReplicaSet cannot run two executions at once. Before:
 * the key was `Pod/<name>` and both acquired. Simulator, and the real
 * kube-apiserver with KUBE_ASSETS.
 */

const REAL = Boolean(process.env.KUBE_ASSETS);
const TARGETS = [
  { name: 'the simulated API server', start: () => startSimKubeEnv('locks') },
  ...(REAL ? [{ name: 'the real kube-apiserver', start: () => startKubeEnv('locks') }] : []),
];
const dynamo = useDynamoDbLocal();

const podTemplate = (app: string) => ({
  metadata: { labels: { app } },
  spec: { containers: [{ name: 'app', image: 'registry.local/app:1.0' }], terminationGracePeriodSeconds: 0 },
});

describe.each(TARGETS)('AcquireLock on a pod incident, on $name', ({ start }) => {
  let env: KubeEnv;
  let objects: KubernetesObjectApi;
  useKubeEnv(start, (e, o) => {
    env = e;
    objects = o;
  });

  const deps = () => {
    const memory = createDynamoMemory({ client: dynamo.doc, tables: dynamo.tables, namespace: dynamo.namespace('acq') });
    return buildLocalDeps({ clusters: { locks: env.cluster }, memory, policy: PolicyConfigSchema.parse({ mode: 'enforce' }), clock: systemClock });
  };
  const state = (namespace: string, pod: string): WorkflowStateInput => ({
    executionId: `exec-${Math.random().toString(36).slice(2, 10)}`,
    incident: incident({ cluster: 'locks', namespace, target: { kind: 'Pod', namespace, name: pod }, pods: [pod] }),
    mode: 'enforce',
    trial: 1,
    maxTrials: 3,
    startedAt: new Date().toISOString(),
  });
  const acquire = async (d: ReturnType<typeof deps>, namespace: string, pod: string) =>
    ((await lockStep(d, { op: 'acquire', state: state(namespace, pod) })) as { lock: { key: string; acquired: boolean } }).lock;

  async function podsOf(namespace: string, app: string): Promise<string[]> {
    let names: string[] = [];
    await settle(env, namespace, async () => {
      names = (await env.cluster.listPods(namespace, `app=${app}`)).filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata!.name!);
      return names.length >= 2;
    });
    return names.sort();
  }

  // Why each case: the kinds whose pods the detectors report as Pod targets, and the Deployment the action API already keys on.
  it.each([
    { kind: 'StatefulSet', why: 'the issue: two pods of one StatefulSet ran two executions at once' },
    { kind: 'ReplicaSet', why: 'a bare ReplicaSet is its pods’ top controller' },
    { kind: 'Deployment', why: 'a Deployment pod (via its ReplicaSet) shares the key the action API and Remediate use' },
  ])('incidents on two pods of one $kind: the second is refused ($why)', async ({ kind }) => {
    const ns = freshNamespace('acq');
    await createNamespace(env, ns);
    const name = `${kind.toLowerCase()}-${Math.random().toString(36).slice(2, 7)}`;
    if (kind === 'Deployment') {
      await createDeployment(env, ns, name, { replicas: 2 });
    } else {
      const spec = { replicas: 2, selector: { matchLabels: { app: name } }, template: podTemplate(name), ...(kind === 'StatefulSet' ? { serviceName: name, podManagementPolicy: 'Parallel' } : {}) };
      await objects.create({ apiVersion: 'apps/v1', kind, metadata: { name, namespace: ns }, spec } as never);
    }
    const [a, b] = await podsOf(ns, name);
    const d = deps();
    const first = await acquire(d, ns, a!);
    expect(first).toMatchObject({ key: `locks/${ns}/${kind}/${name}`, acquired: true });
    expect(await acquire(d, ns, b!)).toMatchObject({ key: `locks/${ns}/${kind}/${name}`, acquired: false });
  }, 120_000);

  it('an incident on a pod already gone keys on the pod (nothing else to key on), and still locks', async () => {
    // Why: AcquireLock must not fail an incident because its pod was replaced meanwhile.
    const ns = freshNamespace('acq');
    await createNamespace(env, ns);
    const d = deps();
    expect(await acquire(d, ns, 'gone-0')).toMatchObject({ key: `locks/${ns}/Pod/gone-0`, acquired: true });
    expect(await acquire(d, ns, 'gone-0')).toMatchObject({ acquired: false });
  }, 60_000);
});
