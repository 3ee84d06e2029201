import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import { KubeCluster } from '../../functions/adapters/kubernetes/kube-cluster';
import { eventNameFor, executeAction } from '../../functions/app/execute-action';
import { createDeployment, createNamespace, freshNamespace, startSimKubeEnv, type KubeEnv } from '../remediation/kube-env';
import { useDynamoDbLocal } from '../support/dynamodb';
import { enforceDeps } from '../support/execute-deps';
import { appliedWrites } from '../bench/chaos';
import { chaosProxyForKubeconfig, type ChaosProxy, type FaultKind } from './chaos-proxy';

/**
 * Defects the chaos bench found, each pinned by one targeted fault (the
 * proxy's `pick`) on the simulated API server: what a single transient
 * failure of one request must not cost.
 */
const dynamo = useDynamoDbLocal();
type Fault = FaultKind | 'timeout-after-apply';

describe('one transient Kubernetes failure', () => {
  let env: KubeEnv;
  let dir: string;
  const proxies: ChaosProxy[] = [];
  beforeAll(async () => {
    env = await startSimKubeEnv();
    dir = await mkdtemp(join(tmpdir(), 'chaos-survival-'));
  });
  afterAll(async () => {
    for (const p of proxies) await p.stop();
    await env?.plane.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** The system's adapter through a proxy that faults exactly the requests `pick` names. */
  async function clusterThrough(pick: (r: { method: string; path: string; occurrence: number; dryRun: boolean }) => Fault | undefined): Promise<{ cluster: KubeCluster; proxy: ChaosProxy }> {
    const { proxy, kubeconfig } = await chaosProxyForKubeconfig(env.kubeconfigPath, { share: 1, seed: 0, pick, hangMs: 12_000 });
    proxies.push(proxy);
    const path = join(dir, `kubeconfig-${proxies.length}`);
    await writeFile(path, kubeconfig);
    // 5 s: a hung request must time out, an answered one must not, even on a loaded CI machine (2 s was not enough there).
    return { cluster: KubeCluster.fromKubeconfigFile(path, { clusterName: 'sim', requestTimeoutMs: 5_000 }), proxy };
  }

  const locksIn = (prefix: string) => createDynamoMemory({ client: dynamo.doc, tables: dynamo.tables, namespace: dynamo.namespace(prefix) }).locks;

  /** Withholds the answer to the first request to `path` with `method` that is not a dry run. */
  function firstWrite(method: string, path: string): (r: { method: string; path: string; dryRun: boolean }) => Fault | undefined {
    let seen = false;
    return (r) => {
      if (seen || r.method !== method || r.path !== path || r.dryRun) return undefined;
      seen = true;
      return 'timeout-after-apply';
    };
  }

  /** The upstream's status for the request whose answer the proxy withheld, once it has answered. */
  async function answeredUpstream(proxy: ChaosProxy, fault: 'timeout-after-apply'): Promise<number> {
    for (let i = 0; i < 150; i++) {
      const status = proxy.log.find((r) => r.fault === fault && !r.dryRun && r.upstreamStatus !== undefined)?.upstreamStatus;
      if (status !== undefined) return status;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the upstream never answered the ${fault} request`);
  }

  it.each<{ fault: Fault }>([
    // Why each: the server refused (429) or failed (500) the create; the answer never came (timeout) ...
    { fault: '429' },
    { fault: '500' },
    { fault: 'timeout' },
    // ... or the Event was created and its answer lost: the retry must find it, not create a second.
    { fault: 'timeout-after-apply' },
  ])('the audit Event of an applied action survives a $fault on its create', async ({ fault }) => {
    const ns = freshNamespace('audit');
    await createNamespace(env, ns);
    await createDeployment(env, ns, 'web', { replicas: 2 });
    const { cluster, proxy } = await clusterThrough((r) => (r.method === 'POST' && r.path.endsWith('/events') && r.occurrence === 0 ? fault : undefined));
    const deps = enforceDeps(cluster, locksIn('audit'));
    const actionId = `exec-audit-${fault}#1`;
    const result = await executeAction(deps, { action: 'scale_deployment', namespace: ns, deployment: 'web', replicas: 3 }, { actionId, reason: 'chaos test' });
    expect(result).toMatchObject({ applied: true, noop: false, details: { eventRecorded: true } });
    expect(proxy.log.some((r) => r.fault === fault)).toBe(true);
    const events = await env.core.listNamespacedEvent({ namespace: ns });
    expect(events.items.filter((e) => e.metadata?.name === eventNameFor('web', actionId))).toHaveLength(1);
  });

  it.each<{ fault: Fault }>([{ fault: '429' }, { fault: '500' }, { fault: 'timeout' }])(
    'a detection snapshot survives a $fault on one of its list requests',
    async ({ fault }) => {
      const ns = freshNamespace('scan');
      await createNamespace(env, ns);
      await createDeployment(env, ns, 'api', { replicas: 1 });
      const { cluster, proxy } = await clusterThrough((r) => (r.method === 'GET' && r.path === `/apis/apps/v1/namespaces/${ns}/deployments` && r.occurrence === 0 ? fault : undefined));
      const snapshot = await cluster.snapshot({ namespaces: [ns] });
      expect(snapshot.deployments.map((d) => d.metadata?.name)).toEqual(['api']);
      expect(proxy.log.filter((r) => r.fault === fault)).toHaveLength(1);
    },
  );

  it.each([
    // Why: the write reached the server and its answer was lost; the state machine retries the step with the same action id.
    { action: { action: 'scale_deployment' as const, replicas: 4 } },
    { action: { action: 'rollout_restart' as const } },
  ])('a lost answer to the $action.action write: the retried step writes nothing again', async ({ action }) => {
    const ns = freshNamespace('lost');
    await createNamespace(env, ns);
    await createDeployment(env, ns, 'web', { replicas: 2 });
    const target = `/apis/apps/v1/namespaces/${ns}/deployments/web`;
    // The first real write, whatever dry runs came before it: on a loaded machine a dry run can meet a 409
    // (the controller moved the object) and be repeated, so counting occurrences would fault a dry run.
    const { cluster, proxy } = await clusterThrough(firstWrite('PATCH', target));
    const deps = enforceDeps(cluster, locksIn('lost'));
    const request = { ...action, namespace: ns, deployment: 'web' };
    const context = { actionId: `exec-lost-${action.action}#1`, reason: 'chaos test' };
    await expect(executeAction(deps, request, context)).rejects.toThrow(/timed out/);
    // The case is "the write reached the server, then its answer was lost": on a loaded machine the server can
    // still be applying it when the client gives up, so the retry waits for the proxy to see the server's answer.
    const withheld = await answeredUpstream(proxy, 'timeout-after-apply');
    const retried = await executeAction(deps, request, context);
    // The patch is conditional on the version read: when the controller moved the object in between (a loaded
    // machine), the server refused it with 409 and the retry is the one write; otherwise the retry finds its marker.
    const landed = withheld >= 200 && withheld < 300;
    expect(retried).toMatchObject({ applied: true, noop: landed });
    const writes = appliedWrites(proxy.log);
    expect(writes.appliedTwice).toEqual([]);
    expect(writes.patchesByAction[context.actionId]?.count).toBe(1);
  });

  it('a lost answer to restart_pod\'s delete: the action is recorded as applied (Event, action record), and a retry deletes nothing', async () => {
    const ns = freshNamespace('lostpod');
    await createNamespace(env, ns);
    await createDeployment(env, ns, 'web', { replicas: 1 });
    let pod: string | undefined;
    for (let i = 0; i < 50 && !pod; i++) {
      pod = (await env.core.listNamespacedPod({ namespace: ns })).items[0]?.metadata?.name;
      if (!pod) await new Promise((r) => setTimeout(r, 200));
    }
    const { cluster, proxy } = await clusterThrough(firstWrite('DELETE', `/api/v1/namespaces/${ns}/pods/${pod}`));
    const locks = locksIn('lostp');
    const deps = enforceDeps(cluster, locks);
    const request = { action: 'restart_pod' as const, namespace: ns, pod: pod! };
    const context = { actionId: 'exec-lost-pod#1', reason: 'chaos test' };
    const first = await executeAction(deps, request, context);
    expect(first).toMatchObject({ applied: true, noop: false, details: { eventRecorded: true } });
    expect(proxy.log.some((r) => r.fault === 'timeout-after-apply')).toBe(true);
    // The cooldown and hourly cap see it.
    expect((await locks.actionsSince(`sim/${ns}/Deployment/web`, new Date(Date.now() - 60_000))).map((a) => a.actionId)).toEqual([context.actionId]);
    const retried = await executeAction(deps, request, context);
    expect(retried).toMatchObject({ applied: true, noop: true });
    expect(appliedWrites(proxy.log).appliedTwice).toEqual([]);
  });
});
