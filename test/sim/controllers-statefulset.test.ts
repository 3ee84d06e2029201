import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './api/testing';
import { startControllers, type Controllers } from './controllers';
import { startPodStandIn } from './controllers/testing';

let t: TestServer;
let controllers: Controllers;
let stopPods: () => void;
const errors: string[] = [];
const ns = 'default';

beforeAll(async () => {
  t = await startTestServer({ seed: 3 });
  controllers = startControllers({ store: t.server.store, clock: t.clock, onError: (e, where) => errors.push(`${where}: ${String(e)}`) });
  stopPods = startPodStandIn(t.server.store, t.clock, () => true);
});
afterAll(async () => {
  controllers?.stop();
  stopPods?.();
  await t?.server.stop();
});

const sts = (name: string, replicas: number, extra: Record<string, unknown> = {}) => ({
  metadata: { name },
  spec: {
    replicas,
    serviceName: name,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'db', image: `${name}:1` }] } },
    ...extra,
  },
});
const podNames = (app: string) => t.server.store.list('pods', { namespace: ns, labelSelector: `app=${app}` }).map((p) => (p.metadata as { name: string }).name);
const images = (app: string) => t.server.store.list('pods', { namespace: ns, labelSelector: `app=${app}` }).map((p) => (p.spec as any).containers[0].image as string);

describe('StatefulSet controller', () => {
  it('OrderedReady creates pods one ordinal at a time, each after the previous is ready', async () => {
    await t.apps.createNamespacedStatefulSet({ namespace: ns, body: sts('db', 3) });
    const seen: string[][] = [];
    for (let i = 0; i < 4; i++) {
      await t.clock.advance(1);
      seen.push(podNames('db'));
    }
    expect(seen.slice(0, 3)).toEqual([['db-0'], ['db-0', 'db-1'], ['db-0', 'db-1', 'db-2']]);
    const status = (await t.apps.readNamespacedStatefulSet({ name: 'db', namespace: ns })).status!;
    expect(status).toMatchObject({ replicas: 3, readyReplicas: 3, updatedReplicas: 3 });
    expect(status.currentRevision).toBe(status.updateRevision);
  });

  it('a template change replaces pods from the highest ordinal down, one at a time', async () => {
    await t.apps.patchNamespacedStatefulSet(
      { name: 'db', namespace: ns, body: { spec: { template: { spec: { containers: [{ name: 'db', image: 'db:2' }] } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const outdatedCounts: number[] = [];
    for (let i = 0; i < 10; i++) {
      await t.clock.advance(1);
      outdatedCounts.push(images('db').filter((image) => image === 'db:1').length);
    }
    // Never more than one pod down at a time, and it ends fully updated.
    expect(outdatedCounts.every((n, i) => i === 0 || outdatedCounts[i - 1]! - n <= 1)).toBe(true);
    expect(images('db')).toEqual(['db:2', 'db:2', 'db:2']);
    const status = (await t.apps.readNamespacedStatefulSet({ name: 'db', namespace: ns })).status!;
    expect(status.currentRevision).toBe(status.updateRevision);
  });

  it('scaling down removes the highest ordinals', async () => {
    await t.apps.patchNamespacedStatefulSetScale({ name: 'db', namespace: ns, body: { spec: { replicas: 1 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await t.clock.advance(4);
    expect(podNames('db')).toEqual(['db-0']);
  });

  it('Parallel creates every ordinal at once', async () => {
    await t.apps.createNamespacedStatefulSet({ namespace: ns, body: sts('cache', 3, { podManagementPolicy: 'Parallel' }) });
    await t.clock.advance(1);
    expect(podNames('cache')).toEqual(['cache-0', 'cache-1', 'cache-2']);
  });

  it('no controller pass threw', () => {
    expect(errors).toEqual([]);
  });
});
