import type { KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import { executeAction, lockTargetOf, type ExecuteDeps } from '../../functions/app/execute-action';
import type { ActionRequest } from '../../functions/domain/actions';
import { PolicyViolation } from '../../functions/domain/errors';
import { PolicyConfigSchema } from '../../functions/domain/policy-config';
import { systemClock } from '../../functions/ports/clock';
import { silentLogger } from '../../functions/ports/logger';
import { useDynamoDbLocal } from '../support/dynamodb';
import { createNamespace, freshNamespace, kubeletPass, settle, startKubeEnv, startSimKubeEnv, useKubeEnv, type KubeEnv } from './kube-env';

/**
 * #10 item 3: for pods of StatefulSets, DaemonSets, Jobs (and CronJob-owned
 * Jobs) and bare ReplicaSets, restart_pod's facts (opt-out), lock key,
 * cooldown and hourly cap live on the top controller, not on the pod; an
 * HPA's on its scale target. Run on the simulator and, with KUBE_ASSETS, on
 * the real kube-apiserver, whose controller-manager creates the pods of the
 * StatefulSets, ReplicaSets and Jobs itself (the simulator runs no Job
 * controller, and neither places DaemonSet pods on the test's fake node:
 * there the test creates those pods, as the controllers would).
 */

const REAL = Boolean(process.env.KUBE_ASSETS);
const TARGETS = [
  { name: 'the simulated API server', real: false, start: () => startSimKubeEnv() },
  ...(REAL ? [{ name: 'the real kube-apiserver', real: true, start: () => startKubeEnv() }] : []),
];
const dynamo = useDynamoDbLocal();
const OPT_OUT = { 'eks-reflexion.io/ignore': 'true' };

type Kind = 'StatefulSet' | 'DaemonSet' | 'Job' | 'CronJob' | 'ReplicaSet' | 'Deployment';

const podSpec = (app: string) => ({
  metadata: { labels: { app } },
  spec: { containers: [{ name: 'app', image: 'registry.local/app:1.0' }], terminationGracePeriodSeconds: 0 },
});

/** The controller object of each kind, as a user would create it. */
function manifest(kind: Kind, name: string, namespace: string, annotations: Record<string, string>, real: boolean): KubernetesObject & Record<string, unknown> {
  const metadata = { name, namespace, annotations };
  const selector = { matchLabels: { app: name } };
  switch (kind) {
    case 'StatefulSet':
      return { apiVersion: 'apps/v1', kind, metadata, spec: { replicas: 2, serviceName: name, podManagementPolicy: 'Parallel', selector, template: podSpec(name) } };
    case 'DaemonSet':
      return { apiVersion: 'apps/v1', kind, metadata, spec: { selector, template: podSpec(name) } };
    case 'ReplicaSet':
      return { apiVersion: 'apps/v1', kind, metadata, spec: { replicas: 2, selector, template: podSpec(name) } };
    case 'Deployment':
      return { apiVersion: 'apps/v1', kind, metadata, spec: { replicas: 2, selector, template: podSpec(name) } };
    case 'Job':
      return { apiVersion: 'batch/v1', kind, metadata, spec: { parallelism: 2, completions: 2, template: { ...podSpec(name), spec: { ...podSpec(name).spec, restartPolicy: 'Never' } } } };
    case 'CronJob':
      // Suspended: its Job is created by the test (below), as the CronJob controller would at a schedule.
      return {
        apiVersion: real ? 'batch/v1beta1' : 'batch/v1', // Kubernetes 1.20 serves CronJob as v1beta1 only
        kind,
        metadata,
        spec: { schedule: '0 0 1 1 *', suspend: true, jobTemplate: { spec: { template: { ...podSpec(name), spec: { ...podSpec(name).spec, restartPolicy: 'Never' } } } } },
      };
  }
}

describe.each(TARGETS)('every controller on $name', ({ start, real }) => {
  let env: KubeEnv;
  let objects: KubernetesObjectApi;
  useKubeEnv(start, (e, o) => {
    env = e;
    objects = o;
  });

  // One lock store per test namespace (a memory namespace of its own), shared by every action of the test.
  const stores = new Map<string, ExecuteDeps['locks']>();
  const deps = (namespace: string): ExecuteDeps => {
    if (!stores.has(namespace)) stores.set(namespace, createDynamoMemory({ client: dynamo.doc, tables: dynamo.tables, namespace: dynamo.namespace('ctl') }).locks);
    return {
      cluster: env.cluster,
      policy: PolicyConfigSchema.parse({ mode: 'enforce', cooldownSeconds: 300, maxActionsPerHour: 10 }),
      clock: systemClock,
      logger: silentLogger,
      locks: stores.get(namespace)!,
    };
  };

  const ownerRef = (o: KubernetesObject) => ({ apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata!.name!, uid: o.metadata!.uid!, controller: true, blockOwnerDeletion: true });

  /** Creates the controller (and, where no controller runs, what it would create) and waits for two pods of it. */
  async function workload(kind: Kind, namespace: string, annotations: Record<string, string> = {}): Promise<string[]> {
    const name = `${kind.toLowerCase()}-${Math.random().toString(36).slice(2, 7)}`;
    let owner: KubernetesObject = await objects.create(manifest(kind, name, namespace, annotations, real));
    if (kind === 'CronJob') {
      const job = manifest('Job', name, namespace, {}, real);
      owner = await objects.create({ ...job, metadata: { ...(job.metadata as object), ownerReferences: [ownerRef(owner)] } } as KubernetesObject);
    }
    // The real DaemonSet controller places no pod on the test's fake node (it does not fit), and would delete one
    // bound there: its pods are created by the test and left unbound, which the controller ignores.
    const controllerRuns = kind !== 'DaemonSet' && (real || kind === 'StatefulSet' || kind === 'ReplicaSet' || kind === 'Deployment');
    if (!controllerRuns) {
      for (const i of [0, 1]) {
        await env.core.createNamespacedPod({
          namespace,
          body: { metadata: { name: `${name}-${i}`, labels: { app: name }, ownerReferences: [ownerRef(owner)] }, spec: podSpec(name).spec },
        });
      }
    }
    let names: string[] = [];
    if (kind === 'DaemonSet') return [`${name}-0`, `${name}-1`];
    await settle(env, namespace, async () => {
      names = (await env.cluster.listPods(namespace, `app=${name}`)).filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata!.name!);
      return names.length >= 2;
    });
    return names.sort();
  }

  const restart = (namespace: string, pod: string, id: string) =>
    executeAction(deps(namespace), { action: 'restart_pod', namespace, pod }, { actionId: `${id}#1`, reason: 'test' });
  const refusal = async (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => (e instanceof PolicyViolation ? e.rule : `unexpected: ${String(e)}`));

  // Why each case: before, restart_pod's facts were the pod's own (the controller's opt-out annotation was not read).
  it.each<{ kind: Kind; why: string }>([
    { kind: 'StatefulSet', why: 'the issue reproduction: opt-out on the StatefulSet was ignored' },
    { kind: 'DaemonSet', why: 'a DaemonSet pod is owned directly, like a StatefulSet pod' },
    { kind: 'CronJob', why: 'two levels: Pod → Job → CronJob; the opt-out is on the top one' },
    { kind: 'ReplicaSet', why: 'a bare ReplicaSet (no Deployment above it) is the top controller' },
  ])('restart_pod of a $kind pod whose $kind opts out is refused, the pod untouched ($why)', async ({ kind }) => {
    const ns = freshNamespace('ctl');
    await createNamespace(env, ns);
    const [pod] = await workload(kind, ns, OPT_OUT);
    const before = (await env.cluster.getPod(ns, pod!)).metadata?.uid;
    expect(await refusal(restart(ns, pod!, `optout-${kind}`))).toBe('opt-out');
    expect((await env.cluster.getPod(ns, pod!)).metadata?.uid).toBe(before);
  }, 120_000);

  // Why each case: before, the lock key and the action records were the pod's, so a second pod's restart passed the cooldown.
  it.each<{ kind: Kind; top: Kind }>([
    { kind: 'StatefulSet', top: 'StatefulSet' },
    { kind: 'Job', top: 'Job' },
    { kind: 'CronJob', top: 'CronJob' },
    { kind: 'ReplicaSet', top: 'ReplicaSet' },
    // Unchanged behaviour, kept as the reference the other kinds now match.
    { kind: 'Deployment', top: 'Deployment' },
  ])('two restart_pods on two pods of one $kind share one lock key and cooldown (on the $top)', async ({ kind, top }) => {
    const ns = freshNamespace('ctl');
    await createNamespace(env, ns);
    const [a, b] = await workload(kind, ns);
    const keyA = await lockTargetOf(env.cluster, { action: 'restart_pod', namespace: ns, pod: a! });
    const keyB = await lockTargetOf(env.cluster, { action: 'restart_pod', namespace: ns, pod: b! });
    expect(keyA).toEqual(keyB);
    expect(keyA?.kind).toBe(top);
    const first = await restart(ns, a!, `first-${kind}`);
    expect(first).toMatchObject({ applied: true, noop: false });
    expect(await refusal(restart(ns, b!, `second-${kind}`))).toBe('cooldown');
    await kubeletPass(env, ns);
  }, 120_000);

  it('patch_hpa inherits its scale target: opt-out and GitOps markers of the Deployment refuse it, and it shares the Deployment\'s lock and cooldown', async () => {
    const ns = freshNamespace('ctl');
    await createNamespace(env, ns);
    const hpaOf = async (deployment: string, annotations: Record<string, string>, labels: Record<string, string> = {}) => {
      await objects.create({ ...manifest('Deployment', deployment, ns, annotations, real), metadata: { name: deployment, namespace: ns, annotations, labels } } as KubernetesObject);
      await env.autoscaling.createNamespacedHorizontalPodAutoscaler({
        namespace: ns,
        body: { metadata: { name: deployment }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment }, minReplicas: 1, maxReplicas: 4 } },
      });
    };
    const patchHpa = (hpa: string, id: string) => executeAction(deps(ns), { action: 'patch_hpa', namespace: ns, hpa, max_replicas: 6 }, { actionId: `${id}#1`, reason: 'test' });
    // Why: the HPA itself carries no marker; before, only its own annotations and labels were read.
    await hpaOf('opted-out', OPT_OUT);
    expect(await refusal(patchHpa('opted-out', 'h1'))).toBe('opt-out');
    await hpaOf('argo', {}, { 'argocd.argoproj.io/instance': 'shop' });
    expect(await refusal(patchHpa('argo', 'h2'))).toBe('gitops-managed');
    // Why: before, the HPA was its own lock key, so a scale and an HPA patch of one Deployment raced past the cooldown.
    await hpaOf('web', {});
    const request: ActionRequest = { action: 'patch_hpa', namespace: ns, hpa: 'web', max_replicas: 6 };
    expect(await lockTargetOf(env.cluster, request)).toEqual({ kind: 'Deployment', name: 'web' });
    await executeAction(deps(ns), { action: 'scale_deployment', namespace: ns, deployment: 'web', replicas: 3 }, { actionId: 'scale#1', reason: 'test' });
    expect(await refusal(patchHpa('web', 'h3'))).toBe('cooldown');
  }, 120_000);
});
