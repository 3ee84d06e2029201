import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import type { ActionRequest, ActionResult } from '../../functions/domain/actions';
import { PolicyViolation } from '../../functions/domain/errors';
import type { Deployment } from '../../functions/domain/k8s';
import { PolicyConfigSchema, type Mode } from '../../functions/domain/policy-config';
import { LAST_ACTION_ANNOTATION, lastActionOf } from '../../functions/app/actions/common';
import { executeAction, type ExecuteDeps } from '../../functions/app/execute-action';
import { undoAction } from '../../functions/app/undo';
import { silentLogger } from '../../functions/ports/logger';
import type { LockStore } from '../../functions/ports/memory';
import { systemClock } from '../../functions/ports/clock';
import { useDynamoDbLocal } from '../support/dynamodb';
import { connectionFromKubeconfig, createKubeClient } from '../sim/kube-client';
import {
  countingCluster,
  createDeployment,
  createNamespace,
  deploymentAvailable,
  freshNamespace,
  relevantSpec,
  settle,
  startKubeEnv,
  startSimKubeEnv,
  type KubeEnv,
} from './kube-env';

// Convention of the repo: the real control plane runs when KUBE_ASSETS names it (.ci/run sets it); otherwise say so.
const REAL = Boolean(process.env.KUBE_ASSETS);
if (!REAL) console.log('[remediation] KUBE_ASSETS not set: executor tests on the real kube-apiserver skipped (the simulator half runs)');

// Every case runs against the simulator, and against the real kube-apiserver when it is available.
const TARGETS: { name: string; start: () => Promise<KubeEnv | { skipped: string }> }[] = [
  { name: 'the simulated API server', start: () => startSimKubeEnv() },
  ...(REAL ? [{ name: 'the real kube-apiserver', start: () => startKubeEnv() }] : []),
];

const dynamo = useDynamoDbLocal();
let env: KubeEnv | undefined;
let skipped: string | undefined;
let locks: LockStore;

beforeAll(async () => {
  locks = createDynamoMemory({ client: dynamo.doc, tables: dynamo.tables, namespace: dynamo.namespace('exec') }).locks;
});

function need(): KubeEnv {
  if (!env) throw new Error(`API server not available: ${skipped}`);
  return env;
}

function deps(mode: Mode, policy: Record<string, unknown> = {}) {
  const cluster = countingCluster(need().cluster);
  const d: ExecuteDeps = {
    cluster,
    policy: PolicyConfigSchema.parse({ mode, cooldownSeconds: 0, maxActionsPerHour: 100, ...policy }),
    clock: systemClock,
    logger: silentLogger,
    locks,
  };
  return { deps: d, writes: () => cluster.writes.filter((w) => !w.dryRun), all: () => cluster.writes };
}

const getDeployment = (ns: string, name = 'web'): Promise<Deployment> => need().cluster.getDeployment(ns, name);
const rv = async (ns: string) => (await getDeployment(ns)).metadata?.resourceVersion;
const stable = (ns: string) => settle(need(), ns, () => deploymentAvailable(need().cluster, ns, 'web'));

/** Sets the image the usual way (a new revision) so the workload has a history to roll back to or pick from. */
async function rollOut(ns: string, image: string) {
  await need().apps.patchNamespacedDeployment(
    { namespace: ns, name: 'web', body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: image }] },
    // client-node 1.4 picks the patch content type per call.
    (await import('@kubernetes/client-node')).setHeaderOptions('Content-Type', (await import('@kubernetes/client-node')).PatchStrategy.JsonPatch),
  );
}

interface Case {
  why: string;
  setup?: (ns: string) => Promise<void>;
  request: (ns: string) => ActionRequest;
  /** What the object looks like once applied. */
  applied: (d: Deployment) => void;
  /** Whether undo restores a pre-image (restarts need none). */
  undoable: boolean;
}

const cases: Case[] = [
  {
    why: 'scale_deployment changes spec.replicas within the step bound',
    request: (ns) => ({ action: 'scale_deployment', namespace: ns, deployment: 'web', replicas: 3 }),
    applied: (d) => expect(d.spec?.replicas).toBe(3),
    undoable: true,
  },
  {
    why: 'patch_resources raises one limit and keeps the rest',
    request: (ns) => ({ action: 'patch_resources', namespace: ns, deployment: 'web', container: 'app', limits: { memory: '1Gi' } }),
    applied: (d) => expect(d.spec?.template?.spec?.containers?.[0]?.resources).toEqual({ requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '1Gi' } }),
    undoable: true,
  },
  {
    why: 'patch_image goes back to an image from the workload history',
    setup: async (ns) => {
      await rollOut(ns, 'registry.local/web:1.1');
      await stable(ns);
    },
    request: (ns) => ({ action: 'patch_image', namespace: ns, deployment: 'web', container: 'app', image: 'registry.local/web:1.0' }),
    applied: (d) => expect(d.spec?.template?.spec?.containers?.[0]?.image).toBe('registry.local/web:1.0'),
    undoable: true,
  },
  {
    why: 'patch_probe changes timings of the existing readiness probe only',
    request: (ns) => ({ action: 'patch_probe', namespace: ns, deployment: 'web', container: 'app', probe: 'readiness', period_seconds: 20, failure_threshold: 5 }),
    applied: (d) =>
      expect(d.spec?.template?.spec?.containers?.[0]?.readinessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 20, failureThreshold: 5 }),
    undoable: true,
  },
  {
    why: 'rollback_deployment to an explicit revision restores its template',
    setup: async (ns) => {
      await rollOut(ns, 'registry.local/web:1.1');
      await stable(ns);
    },
    request: (ns) => ({ action: 'rollback_deployment', namespace: ns, deployment: 'web', to_revision: 1 }),
    applied: (d) => {
      expect(d.spec?.template?.spec?.containers?.[0]?.image).toBe('registry.local/web:1.0');
      // The controller's hash label must not leak into the Deployment template.
      expect(d.spec?.template?.metadata?.labels).toEqual({ app: 'web' });
    },
    undoable: true,
  },
  {
    why: 'rollout_restart stamps the template like kubectl rollout restart',
    request: (ns) => ({ action: 'rollout_restart', namespace: ns, deployment: 'web' }),
    applied: (d) => expect(d.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-/),
    undoable: false,
  },
];

describe.each(TARGETS)('executors on $name', ({ start }) => {
  beforeAll(async () => {
    const started = await start();
    if ('skipped' in started) skipped = started.skipped;
    else env = started;
  }, 180_000);
  afterAll(async () => {
    await env?.plane.stop();
    env = undefined;
  });

  describe.each(cases)('$why', (c) => {
    const ns = freshNamespace();
    let before: Deployment;
    let result: ActionResult;
    let retried: ActionResult;
    const actionId = `exec-${ns}#1`;

    beforeAll(async () => {
      if (!env) return;
      await createNamespace(env, ns);
      await createDeployment(env, ns, 'web', { withProbe: true });
      await stable(ns);
      await c.setup?.(ns);
      before = await getDeployment(ns);
    });

    it('dry run changes nothing (resourceVersion unchanged, only dry-run writes)', async () => {
      const { deps: d, writes, all } = deps('dry-run');
      const rvBefore = await rv(ns);
      const r = await executeAction(d, c.request(ns), { actionId: `dry-${ns}`, reason: 'test' });
      expect(r).toMatchObject({ applied: false, dryRun: true, noop: false });
      expect(await rv(ns)).toBe(rvBefore);
      expect(writes()).toEqual([]);
      expect(all().length).toBeGreaterThan(0);
    });

    it('applies, with the marker annotation, an Event and the action recorded', async () => {
      const { deps: d } = deps('enforce');
      result = await executeAction(d, c.request(ns), { actionId, reason: 'because the test says so', trial: 1 });
      expect(result).toMatchObject({ applied: true, dryRun: false, noop: false });
      const after = await getDeployment(ns);
      c.applied(after);
      expect(lastActionOf(after.metadata?.annotations)?.actionId).toBe(actionId);
      const events = await need().cluster.eventsFor(ns, 'Deployment', 'web');
      expect(events.some((e) => e.reason === 'EksReflexionRemediation' && e.message?.includes('because the test says so'))).toBe(true);
      expect((await locks.actionsSince(`test/${ns}/Deployment/web`, new Date(Date.now() - 60_000))).map((a) => a.actionId)).toContain(actionId);
      expect(result.details['baseline']).toMatchObject({ availableReplicas: 2, failures: [] });
    });

    it('is idempotent: the same actionId again writes nothing', async () => {
      await stable(ns);
      const { deps: d, writes } = deps('enforce');
      const rvBefore = await rv(ns);
      const again = await executeAction(d, c.request(ns), { actionId, reason: 'retry', trial: 1 });
      retried = again;
      expect(again).toMatchObject({ applied: true, noop: true });
      expect(writes()).toEqual([]);
      expect(await rv(ns)).toBe(rvBefore);
    });

    // The retry's result carries only the compact pre-image from the marker (as after a lost response): it must still undo.
    it('undo restores the pre-image exactly, even from a retried step whose first answer was lost', async () => {
      const { deps: d, writes } = deps('enforce');
      expect(retried.preImage).toBeDefined();
      const undo = await undoAction(d, retried, { actionId: `${actionId}#undo`, reason: 'test undo' });
      const after = await getDeployment(ns);
      if (c.undoable) {
        expect(undo).toMatchObject({ applied: true, noop: false });
        expect(relevantSpec(after)).toEqual(relevantSpec(before));
        expect(JSON.parse(after.metadata?.annotations?.[LAST_ACTION_ANNOTATION] ?? '{}').actionId).toBe(`${actionId}#undo`);
      } else {
        // Restarts have nothing to restore: no write at all.
        expect(undo).toMatchObject({ applied: false, noop: true });
        expect(writes()).toEqual([]);
      }
    });

    it('a policy refusal changes nothing', async () => {
      await stable(ns);
      await need().core.patchNamespace(
        { name: ns, body: [{ op: 'add', path: '/metadata/annotations', value: { 'eks-reflexion.io/ignore': 'true' } }] },
        (await import('@kubernetes/client-node')).setHeaderOptions('Content-Type', (await import('@kubernetes/client-node')).PatchStrategy.JsonPatch),
      );
      const { deps: d, all } = deps('enforce');
      const rvBefore = await rv(ns);
      await expect(executeAction(d, c.request(ns), { actionId: `refused-${ns}`, reason: 'test' })).rejects.toMatchObject({ name: 'PolicyViolation', rule: 'opt-out' });
      expect(all()).toEqual([]);
      expect(await rv(ns)).toBe(rvBefore);
    });
  });

  describe('executeAction: the rest of the catalogue and the edges', () => {
    it('patch_hpa raises maxReplicas, is idempotent, and undo restores it', async () => {
      const e = need();
      const ns = freshNamespace('hpa');
      await createNamespace(e, ns);
      await createDeployment(e, ns, 'web');
      // autoscaling/v2beta2: served by the 1.20 kube-apiserver and by the simulator (which has no v1).
      const k = createKubeClient(await connectionFromKubeconfig(e.kubeconfigPath));
      await k.create(`/apis/autoscaling/v2beta2/namespaces/${ns}/horizontalpodautoscalers`, {
        apiVersion: 'autoscaling/v2beta2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'web' },
        spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5 },
      });
      k.close();
      const { deps: d, writes } = deps('enforce');
      const request: ActionRequest = { action: 'patch_hpa', namespace: ns, hpa: 'web', max_replicas: 8 };
      const applied = await executeAction(d, request, { actionId: `hpa-${ns}#1`, reason: 'at max under load' });
      expect(applied).toMatchObject({ applied: true, noop: false, preImage: { hpaMaxReplicas: 5 } });
      expect((await e.cluster.getHpa(ns, 'web')).spec?.maxReplicas).toBe(8);
      const count = writes().length;
      expect(await executeAction(d, request, { actionId: `hpa-${ns}#1`, reason: 'retry' })).toMatchObject({ noop: true });
      expect(writes().length).toBe(count);
      await undoAction(d, applied, { actionId: `hpa-${ns}#1#undo`, reason: 'undo' });
      expect((await e.cluster.getHpa(ns, 'web')).spec?.maxReplicas).toBe(5);
    });

    it('restart_pod deletes a controlled pod once; dry run and a bare pod delete nothing', async () => {
      const e = need();
      const ns = freshNamespace('pod');
      await createNamespace(e, ns);
      await createDeployment(e, ns, 'web');
      await stable(ns);
      const [pod] = await e.cluster.listPods(ns, 'app=web');
      const name = pod!.metadata!.name!;
      const request: ActionRequest = { action: 'restart_pod', namespace: ns, pod: name };

      const dry = deps('dry-run');
      expect(await executeAction(dry.deps, request, { actionId: `pod-${ns}#0`, reason: 'dry' })).toMatchObject({ applied: false, dryRun: true });
      expect(dry.writes()).toEqual([]);
      expect((await e.cluster.getPod(ns, name)).metadata?.deletionTimestamp).toBeUndefined();

      const live = deps('enforce');
      const applied = await executeAction(live.deps, request, { actionId: `pod-${ns}#1`, reason: 'stuck' });
      expect(applied).toMatchObject({ applied: true, noop: false, details: { marked: true, eventRecorded: true } });
      const deletes = live.writes().filter((w) => w.method === 'deletePod').length;
      expect(await executeAction(live.deps, request, { actionId: `pod-${ns}#1`, reason: 'retry' })).toMatchObject({ noop: true });
      expect(live.writes().filter((w) => w.method === 'deletePod').length).toBe(deletes);
      // Once the pod is gone for good (the kubelet finished it), the retry still knows it was its own delete…
      await e.core.deleteNamespacedPod({ namespace: ns, name, gracePeriodSeconds: 0 }).catch(() => undefined);
      expect(await executeAction(live.deps, request, { actionId: `pod-${ns}#1`, reason: 'retry after the pod is gone' })).toMatchObject({ applied: true, noop: true });
      expect(live.writes().filter((w) => w.method === 'deletePod').length).toBe(deletes);
      // …while another action on a pod that does not exist is an error, not a silent success.
      await expect(executeAction(live.deps, request, { actionId: `pod-${ns}#9`, reason: 'other' })).rejects.toThrow();

      await e.core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'lonely' }, spec: { containers: [{ name: 'app', image: 'registry.local/web:1.0' }] } } });
      await expect(
        executeAction(live.deps, { action: 'restart_pod', namespace: ns, pod: 'lonely' }, { actionId: `pod-${ns}#2`, reason: 'x' }),
      ).rejects.toMatchObject({ rule: 'pod-without-controller' });
      expect((await e.cluster.getPod(ns, 'lonely')).metadata?.deletionTimestamp).toBeUndefined();
    });

    it('a retry after the write landed but the recording failed still records the action (cooldown and cap see it)', async () => {
      const e = need();
      const ns = freshNamespace('rec');
      await createNamespace(e, ns);
      await createDeployment(e, ns, 'web');
      const { deps: d } = deps('enforce');
      // Arrange: the first attempt dies between the Kubernetes write and the DynamoDB record.
      let failOnce = true;
      const flaky: ExecuteDeps = {
        ...d,
        locks: {
          ...locks,
          recordAction: async (...args: Parameters<LockStore['recordAction']>) => {
            if (failOnce) {
              failOnce = false;
              throw new Error('DynamoDB unavailable');
            }
            return locks.recordAction(...args);
          },
        },
      };
      const request: ActionRequest = { action: 'scale_deployment', namespace: ns, deployment: 'web', replicas: 3 };
      const actionId = `rec-${ns}#1`;
      await expect(executeAction(flaky, request, { actionId, reason: 'x', requestedBy: 'agent:pager' })).rejects.toThrow(/DynamoDB unavailable/);
      // Act: the retried step finds its marker.
      const retried = await executeAction(flaky, request, { actionId, reason: 'retry', requestedBy: 'agent:pager' });
      // Assert
      expect(retried).toMatchObject({ noop: true });
      const recorded = await locks.actionsSince(`${e.cluster.clusterName}/${ns}/Deployment/web`, new Date(0));
      expect(recorded.map((r) => r.actionId)).toContain(actionId);
      // The action record names who asked, like the Event and the annotation (#10 item 11).
      expect(recorded.find((r) => r.actionId === actionId)?.requestedBy).toBe('agent:pager');
    });

    it('observe mode writes nothing at all, not even a dry run', async () => {
      const e = need();
      const ns = freshNamespace('obs');
      await createNamespace(e, ns);
      await createDeployment(e, ns, 'web');
      const { deps: d, all } = deps('observe');
      const r = await executeAction(d, { action: 'scale_deployment', namespace: ns, deployment: 'web', replicas: 3 }, { actionId: `obs-${ns}#1`, reason: 'x' });
      expect(r).toMatchObject({ applied: false, dryRun: false });
      expect(r.message).toContain('observe mode');
      expect(all()).toEqual([]);
    });

    it('a conflicting concurrent change is re-read and the action still lands exactly once', async () => {
      const e = need();
      const ns = freshNamespace('rv');
      await createNamespace(e, ns);
      await createDeployment(e, ns, 'web');
      // Settled first, so that the only concurrent writer is the test's own (controllers would add status writes).
      await settle(e, ns, () => deploymentAvailable(e.cluster, ns, 'web'));
      const { deps: d } = deps('enforce');
      // Arrange: the first real write meets a version that changed after our read.
      let interfered = false;
      const cluster = d.cluster;
      const racing: ExecuteDeps = {
        ...d,
        cluster: new Proxy(cluster, {
          get(target, prop, receiver) {
            if (prop === 'patchDeployment') {
              return async (...args: Parameters<typeof cluster.patchDeployment>) => {
                if (!interfered && args[4]?.dryRun !== true) {
                  interfered = true;
                  await e.apps.patchNamespacedDeployment(
                    { namespace: ns, name: 'web', body: [{ op: 'add', path: '/metadata/labels/touched', value: 'yes' }] },
                    (await import('@kubernetes/client-node')).setHeaderOptions('Content-Type', (await import('@kubernetes/client-node')).PatchStrategy.JsonPatch),
                  );
                }
                return target.patchDeployment(...args);
              };
            }
            return Reflect.get(target, prop, receiver);
          },
        }),
      };
      // Act
      const r = await executeAction(racing, { action: 'scale_deployment', namespace: ns, deployment: 'web', replicas: 4 }, { actionId: `rv-${ns}#1`, reason: 'x' });
      // Assert
      expect(r).toMatchObject({ applied: true, details: { attempts: 2 } });
      const after = await getDeployment(ns);
      expect(after.spec?.replicas).toBe(4);
      expect(after.metadata?.labels?.['touched']).toBe('yes');
    });

    it('a refused action throws PolicyViolation naming the rule and value (protected namespace)', async () => {
      const { deps: d, all } = deps('enforce');
      const error = await executeAction(d, { action: 'scale_deployment', namespace: 'kube-system', deployment: 'coredns', replicas: 3 }, { actionId: 'ks#1', reason: 'x' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PolicyViolation);
      expect((error as PolicyViolation).message).toContain("'kube-system'");
      expect(all()).toEqual([]);
    });
  });
});
