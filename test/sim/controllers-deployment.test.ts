import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentManifest, startTestServer, type TestServer } from './api/testing';
import { startControllers, METRIC_ANNOTATION, type Controllers } from './controllers';
import { startPodStandIn } from './controllers/testing';

let t: TestServer;
let controllers: Controllers;
let stopPods: () => void;
const controllerErrors: unknown[] = [];
const ns = 'default';
const healthy = (image: string) => !image.includes('broken');

beforeAll(async () => {
  t = await startTestServer({ seed: 42 });
  controllers = startControllers({ store: t.server.store, clock: t.clock, onError: (e, where) => controllerErrors.push(`${where}: ${String(e)}`) });
  stopPods = startPodStandIn(t.server.store, t.clock, healthy);
});
afterAll(async () => {
  controllers?.stop();
  stopPods?.();
  await t?.server.stop();
});

const rsOf = async (name: string) =>
  (await t.apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: `app=${name}` })).items
    .map((rs) => ({ name: rs.metadata!.name!, revision: rs.metadata!.annotations!['deployment.kubernetes.io/revision'], replicas: rs.spec!.replicas, image: rs.spec!.template!.spec!.containers[0]!.image }))
    .sort((a, b) => Number(a.revision) - Number(b.revision));

const setImage = (name: string, image: string) =>
  t.apps.patchNamespacedDeployment(
    { name, namespace: ns, body: { spec: { template: { spec: { containers: [{ name: 'main', image }] } } } } },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );

describe('Deployment and ReplicaSet controllers', () => {
  it('creates a ReplicaSet named by pod-template-hash with revision 1, and its pods', async () => {
    await t.apps.createNamespacedDeployment({ namespace: ns, body: deploymentManifest('web', 'web:1', 3) });
    await t.clock.advance(3);

    const [rs] = (await t.apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=web' })).items;
    const hash = rs!.metadata!.labels!['pod-template-hash']!;
    expect(rs!.metadata!.name).toBe(`web-${hash}`);
    expect(rs!.metadata!.annotations!['deployment.kubernetes.io/revision']).toBe('1');
    expect(rs!.metadata!.ownerReferences![0]).toMatchObject({ kind: 'Deployment', name: 'web', controller: true });
    const pods = (await t.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })).items;
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      expect(pod.metadata!.name).toMatch(new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(pod.metadata!.ownerReferences![0]).toMatchObject({ kind: 'ReplicaSet', name: `web-${hash}`, controller: true });
    }
    const d = await t.apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    expect(d.metadata!.annotations!['deployment.kubernetes.io/revision']).toBe('1');
    expect(d.status).toMatchObject({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    expect(d.status!.conditions!.map((c) => [c.type, c.status, c.reason])).toEqual(
      expect.arrayContaining([
        ['Available', 'True', 'MinimumReplicasAvailable'],
        ['Progressing', 'True', 'NewReplicaSetAvailable'],
      ]),
    );
  });

  it('an image change rolls out revision 2 within maxSurge/maxUnavailable', async () => {
    await setImage('web', 'web:2');
    // 3 replicas at 25%/25%: surge rounds up to 1, unavailable rounds down to 0.
    let maxPods = 0;
    let minAvailable = Infinity;
    for (let i = 0; i < 12; i++) {
      await t.clock.advance(1);
      const pods = t.server.store.list('pods', { namespace: ns, labelSelector: 'app=web' }).filter((p) => !(p.metadata as any).deletionTimestamp);
      maxPods = Math.max(maxPods, pods.length);
      minAvailable = Math.min(minAvailable, pods.filter((p) => ((p.status as any)?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True')).length);
    }
    expect(maxPods).toBeLessThanOrEqual(4);
    expect(minAvailable).toBeGreaterThanOrEqual(3);
    expect(await rsOf('web')).toEqual([
      expect.objectContaining({ revision: '1', replicas: 0, image: 'web:1' }),
      expect.objectContaining({ revision: '2', replicas: 3, image: 'web:2' }),
    ]);
    const d = await t.apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    expect(d.metadata!.annotations!['deployment.kubernetes.io/revision']).toBe('2');
    expect(d.status).toMatchObject({ updatedReplicas: 3, availableReplicas: 3 });
  });

  it('an undo the way kubectl does it (JSON patch of the template) re-uses the old ReplicaSet as revision 3', async () => {
    const [old] = (await t.apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=web' })).items.filter((rs) => rs.metadata!.annotations!['deployment.kubernetes.io/revision'] === '1');
    const template = structuredClone(old!.spec!.template!) as any;
    delete template.metadata.labels['pod-template-hash'];
    await t.raw('PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/web`, {
      body: [{ op: 'replace', path: '/spec/template', value: template }],
      contentType: PatchStrategy.JsonPatch,
    });
    await t.clock.advance(12);

    const sets = await rsOf('web');
    expect(sets).toHaveLength(2);
    expect(sets).toEqual([
      expect.objectContaining({ revision: '2', replicas: 0, image: 'web:2' }),
      expect.objectContaining({ name: old!.metadata!.name, revision: '3', replicas: 3, image: 'web:1' }),
    ]);
    const reused = await t.apps.readNamespacedReplicaSet({ name: old!.metadata!.name!, namespace: ns });
    expect(reused.metadata!.annotations!['deployment.kubernetes.io/revision-history']).toBe('1');
  });

  it('a scale through the scale subresource changes the running pods at once', async () => {
    await t.apps.patchNamespacedDeploymentScale({ name: 'web', namespace: ns, body: { spec: { replicas: 5 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await t.clock.advance(3);
    const d = await t.apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    expect(d.status).toMatchObject({ replicas: 5, availableReplicas: 5 });
  });

  it('keeps at most revisionHistoryLimit old ReplicaSets', async () => {
    await t.apps.createNamespacedDeployment({ namespace: ns, body: deploymentManifest('hist', 'hist:0', 1, { revisionHistoryLimit: 2 }) });
    for (let i = 1; i <= 4; i++) {
      await t.clock.advance(3);
      await setImage('hist', `hist:${i}`);
    }
    await t.clock.advance(5);
    const sets = await rsOf('hist');
    expect(sets.map((s) => s.image)).toEqual(['hist:2', 'hist:3', 'hist:4']);
  });

  it('a rollout that never becomes ready reports ProgressDeadlineExceeded after progressDeadlineSeconds of cluster time', async () => {
    await t.apps.createNamespacedDeployment({ namespace: ns, body: deploymentManifest('stuck', 'stuck:1', 2, { progressDeadlineSeconds: 60 }) });
    await t.clock.advance(3);
    await setImage('stuck', 'stuck:broken');
    await t.clock.advance(30);
    const midway = await t.apps.readNamespacedDeployment({ name: 'stuck', namespace: ns });
    expect(midway.status!.conditions!.find((c) => c.type === 'Progressing')!.status).toBe('True');

    await t.clock.advance(40);

    const d = await t.apps.readNamespacedDeployment({ name: 'stuck', namespace: ns });
    const progressing = d.status!.conditions!.find((c) => c.type === 'Progressing')!;
    expect([progressing.status, progressing.reason]).toEqual(['False', 'ProgressDeadlineExceeded']);
    expect(progressing.message).toMatch(/^ReplicaSet "stuck-\w+" has timed out progressing\.$/);
    // The old revision keeps serving: maxUnavailable 0 (25% of 2 rounded down) protects it; the surge pod is the unavailable one.
    expect(d.status!.availableReplicas).toBe(2);
    expect(d.status!.unavailableReplicas).toBe(1);
    expect(d.status!.updatedReplicas).toBe(1);
  });

  it('scaling in the middle of a stuck rollout spreads the change over both ReplicaSets in proportion', async () => {
    // stuck: old RS 2 (ready), new RS 1 (never ready). Scale to 4: allowed 4+1=5, 2 to add,
    // old gets round(2*5/3)-2=1, new round(1*5/3)-1=1 → old 3, new 2 (the real controller's arithmetic).
    await t.apps.patchNamespacedDeploymentScale({ name: 'stuck', namespace: ns, body: { spec: { replicas: 4 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await t.clock.advance(5);
    const sets = await rsOf('stuck');
    expect(sets.map((s) => [s.image, s.replicas])).toEqual([
      ['stuck:1', 3],
      ['stuck:broken', 2],
    ]);
    const d = await t.apps.readNamespacedDeployment({ name: 'stuck', namespace: ns });
    expect(d.status!.availableReplicas).toBe(3);
    expect(d.status!.conditions!.find((c) => c.type === 'Available')!.status).toBe('True');
  });

  it('records ScalingReplicaSet events on the Deployment', async () => {
    const events = await t.core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=web,involvedObject.kind=Deployment' });
    const reasons = events.items.map((e) => `${e.reason}: ${e.message}`);
    expect(reasons.some((r) => /^ScalingReplicaSet: Scaled up replica set web-\w+ to 3$/.test(r))).toBe(true);
    expect(reasons.some((r) => /^ScalingReplicaSet: Scaled down replica set web-\w+ to 0$/.test(r))).toBe(true);
  });

  it('garbage-collects ReplicaSets and pods when their Deployment is deleted', async () => {
    await t.apps.deleteNamespacedDeployment({ name: 'web', namespace: ns });
    await t.clock.advance(3);
    expect((await t.apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=web' })).items).toHaveLength(0);
    expect((await t.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })).items).toHaveLength(0);
  });

  it('orphan propagation keeps the dependents', async () => {
    await t.apps.createNamespacedDeployment({ namespace: ns, body: deploymentManifest('orphans', 'o:1', 1) });
    await t.clock.advance(3);
    await t.apps.deleteNamespacedDeployment({ name: 'orphans', namespace: ns, propagationPolicy: 'Orphan' });
    await t.clock.advance(3);
    const [rs] = (await t.apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=orphans' })).items;
    expect(rs).toBeDefined();
    expect(rs!.metadata!.ownerReferences ?? []).toHaveLength(0);
  });
});

describe('availability and strategies', () => {
  it('counts a ready pod as available only after minReadySeconds of cluster time', async () => {
    await t.apps.createNamespacedDeployment({ namespace: ns, body: deploymentManifest('slow', 'slow:1', 2, { minReadySeconds: 20 }) });
    await t.clock.advance(5);
    const early = await t.apps.readNamespacedDeployment({ name: 'slow', namespace: ns });
    expect([early.status!.readyReplicas, early.status!.availableReplicas ?? 0]).toEqual([2, 0]);
    expect(early.status!.conditions!.find((c) => c.type === 'Available')!.status).toBe('False');

    await t.clock.advance(20);

    const later = await t.apps.readNamespacedDeployment({ name: 'slow', namespace: ns });
    expect(later.status!.availableReplicas).toBe(2);
    expect(later.status!.conditions!.find((c) => c.type === 'Available')!.status).toBe('True');
  });

  it('Recreate never runs old and new pods together', async () => {
    await t.apps.createNamespacedDeployment({ namespace: ns, body: deploymentManifest('rec', 'rec:1', 2, { strategy: { type: 'Recreate' } }) });
    await t.clock.advance(3);
    await setImage('rec', 'rec:2');
    const imagesSeen: string[][] = [];
    for (let i = 0; i < 6; i++) {
      await t.clock.advance(1);
      imagesSeen.push([...new Set(t.server.store.list('pods', { namespace: ns, labelSelector: 'app=rec' }).map((p) => (p.spec as any).containers[0].image as string))]);
    }
    expect(imagesSeen.every((images) => images.length <= 1)).toBe(true);
    expect(imagesSeen.at(-1)).toEqual(['rec:2']);
  });
});

describe('deletion propagation', () => {
  it('foreground deletion keeps the owner until its dependents are gone', async () => {
    await t.apps.createNamespacedDeployment({ namespace: ns, body: deploymentManifest('fg', 'fg:1', 1) });
    await t.clock.advance(3);
    await t.apps.deleteNamespacedDeployment({ name: 'fg', namespace: ns, propagationPolicy: 'Foreground' });
    const pending = await t.apps.readNamespacedDeployment({ name: 'fg', namespace: ns });
    expect(pending.metadata!.finalizers).toContain('foregroundDeletion');
    expect(pending.metadata!.deletionTimestamp).toBeDefined();

    await t.clock.advance(5);

    expect(t.server.store.get('deployments', ns, 'fg')).toBeUndefined();
    expect(t.server.store.list('replicasets', { namespace: ns, labelSelector: 'app=fg' })).toHaveLength(0);
  });

  it('a deleted namespace is Terminating, refuses new content, and is removed once empty', async () => {
    await t.core.createNamespace({ body: { metadata: { name: 'doomed' } } });
    await t.apps.createNamespacedDeployment({ namespace: 'doomed', body: deploymentManifest('d', 'd:1', 2) });
    await t.clock.advance(3);
    await t.core.deleteNamespace({ name: 'doomed' });
    expect((await t.core.readNamespace({ name: 'doomed' })).status!.phase).toBe('Terminating');
    const refused = await t.raw('POST', '/api/v1/namespaces/doomed/configmaps', { body: { metadata: { name: 'late' } } });
    expect(refused.code).toBe(403);

    await t.clock.advance(5);

    expect(t.server.store.get('namespaces', undefined, 'doomed')).toBeUndefined();
    expect(t.server.store.list('pods', { namespace: 'doomed' })).toHaveLength(0);
  });
});

describe('event TTL', () => {
  it('events older than an hour of cluster time are removed', async () => {
    await t.core.createNamespacedEvent({
      namespace: ns,
      body: { metadata: { name: 'old.1' }, involvedObject: { kind: 'Pod', name: 'x', namespace: ns }, reason: 'Old', message: 'm', type: 'Normal', lastTimestamp: t.clock.now() as any },
    });
    await t.clock.advance(3700, 100);
    expect(t.server.store.get('events', ns, 'old.1')).toBeUndefined();
  });
});

describe('HPA controller', () => {
  beforeAll(async () => {
    await t.apps.createNamespacedDeployment({ namespace: ns, body: deploymentManifest('busy', 'busy:1', 2) });
    await t.clock.advance(2);
  });

  it.each([
    // Utilization over target scales up, bounded by maxReplicas, and says it is limited.
    [200, 50, 6, 'True', 'TooManyReplicas'],
    // Within the 10% tolerance nothing moves.
    [52, 50, 6, 'False', 'DesiredWithinRange'],
  ])('metric %i%% vs target %i%% → %i replicas, ScalingLimited %s/%s', async (utilization, target, replicas, limited, reason) => {
    const body = {
      metadata: { name: 'busy', annotations: { [METRIC_ANNOTATION]: String(utilization) } },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'busy' },
        minReplicas: 2,
        maxReplicas: 6,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } }],
      },
    };
    if (t.server.store.get('horizontalpodautoscalers', ns, 'busy')) {
      await t.autoscaling.patchNamespacedHorizontalPodAutoscaler({ name: 'busy', namespace: ns, body: { metadata: body.metadata } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    } else {
      await t.autoscaling.createNamespacedHorizontalPodAutoscaler({ namespace: ns, body });
    }

    await t.clock.advance(60, 5);

    const d = await t.apps.readNamespacedDeployment({ name: 'busy', namespace: ns });
    expect(d.spec!.replicas).toBe(replicas);
    const hpa = await t.autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'busy', namespace: ns });
    expect(hpa.status!.desiredReplicas).toBe(replicas);
    expect(hpa.status!.currentMetrics![0]!.resource!.current.averageUtilization).toBe(utilization);
    const condition = hpa.status!.conditions!.find((c) => c.type === 'ScalingLimited')!;
    expect([condition.status, condition.reason]).toEqual([limited, reason]);
  });

  it('without the simulated metric it does not scale and says why', async () => {
    await t.autoscaling.patchNamespacedHorizontalPodAutoscaler(
      { name: 'busy', namespace: ns, body: { metadata: { annotations: { [METRIC_ANNOTATION]: null } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await t.clock.advance(30, 5);
    const hpa = await t.autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'busy', namespace: ns });
    const active = hpa.status!.conditions!.find((c) => c.type === 'ScalingActive')!;
    expect([active.status, active.reason]).toEqual(['False', 'FailedGetResourceMetric']);
    expect((await t.apps.readNamespacedDeployment({ name: 'busy', namespace: ns })).spec!.replicas).toBe(6);
  });
});

describe('controller health', () => {
  // Controllers swallow per-object errors to keep reconciling; any error here is a bug in them.
  it('no controller pass threw during this file', () => {
    expect(controllerErrors).toEqual([]);
  });
});
