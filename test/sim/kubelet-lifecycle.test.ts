import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeEvent, Node, Pod } from '../../functions/domain/k8s';
import { startSimulatedCluster, type SimulatedCluster } from './index';
import { ImageRegistry } from './registry';

/**
 * The kubelet emulator's timing and status rules, compared with what the
 * real kubelet does (pkg/kubelet: 10 s crash back-off doubling to 5 min and
 * forgotten after 10 min; image pull back-off; init containers first;
 * graceful deletion finalised by the kubelet). Bare pods, virtual clock.
 */

const registry = new ImageRegistry([
  { image: 'crashy:1', behaviour: { exitAfterSeconds: 5, exitCode: 2, logs: ['booting'] } },
  { image: 'slowcrash:1', behaviour: { exitAfterSeconds: 620, exitCode: 1 } },
  { image: 'web:1', behaviour: { endpoints: [{ path: '/healthz', port: 8080, healthyAfterSeconds: 3 }], memoryMi: 64 } },
  { image: 'hungry:1', behaviour: { memoryMi: 300, memoryRampSeconds: 2 } },
  { image: 'init:1', behaviour: { exitAfterSeconds: 4, exitCode: 0 } },
]);

let sim: SimulatedCluster;
let ns = 0;

beforeAll(async () => {
  sim = await startSimulatedCluster({ registry, seed: 5 });
});
afterAll(async () => {
  await sim?.stop();
});

async function createPod(spec: Record<string, unknown>): Promise<{ namespace: string; name: string }> {
  const namespace = `kl-${++ns}`;
  await sim.client.create('/api/v1/namespaces', { metadata: { name: namespace } });
  await sim.client.create(`/api/v1/namespaces/${namespace}/pods`, { metadata: { name: 'p' }, spec });
  return { namespace, name: 'p' };
}
const getPod = (ref: { namespace: string; name: string }) => sim.client.get<Pod>(`/api/v1/namespaces/${ref.namespace}/pods/${ref.name}`);
const eventsOf = async (ref: { namespace: string }) => sim.client.list<KubeEvent>(`/api/v1/namespaces/${ref.namespace}/events`);

/**
 * Start times of every container instance that has exited, read from
 * lastState.terminated.startedAt while cluster time moves in `step`-second
 * strides (timestamps are exact, so a coarse stride loses nothing while
 * back-offs are longer than it).
 */
async function instanceStarts(ref: { namespace: string; name: string }, seconds: number, step: number, onSample?: (p: Pod) => void): Promise<number[]> {
  const starts = new Set<string>();
  for (let s = 0; s < seconds; s += step) {
    await sim.advance(step, step);
    const p = await getPod(ref);
    onSample?.(p);
    const t = p.status?.containerStatuses?.[0]?.lastState?.terminated?.startedAt;
    if (t) starts.add(t);
  }
  await sim.client.delete(`/api/v1/namespaces/${ref.namespace}/pods/${ref.name}`, undefined, { gracePeriodSeconds: 0 });
  return [...starts].map((t) => Date.parse(t) / 1000).sort((a, b) => a - b);
}

describe('kubelet emulator', () => {
  it('registers its nodes Ready with allocatable and keeps the heartbeat fresh', async () => {
    // Arrange: the default nodes were registered at start.
    const before = await sim.client.get<Node>('/api/v1/nodes/sim-node-a');
    const beat = (n: Node) => (n.status?.conditions?.find((c) => c.type === 'Ready') as { lastHeartbeatTime?: string } | undefined)?.lastHeartbeatTime;
    // Act
    await sim.advance(20);
    const after = await sim.client.get<Node>('/api/v1/nodes/sim-node-a');
    // Assert
    expect(after.status?.allocatable).toMatchObject({ cpu: '4', memory: '8Gi' });
    expect(after.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(Date.parse(beat(after)!)).toBeGreaterThan(Date.parse(beat(before)!));
  });

  it('restarts a crashing container with the real back-off: 10 s doubling, capped at 5 min', async () => {
    const ref = await createPod({ containers: [{ name: 'app', image: 'crashy:1' }] });
    const messages = new Set<string>();
    let pod: Pod | undefined;
    const starts = await instanceStarts(ref, 1000, 5, (p) => {
      pod = p;
      const w = p.status?.containerStatuses?.[0]?.state?.waiting;
      if (w?.reason === 'CrashLoopBackOff') messages.add(w.message ?? '');
    });
    // Each cycle = 5 s running + the back-off; the first restart is immediate.
    const backoffs = starts.slice(1).map((t, i) => t - starts[i]! - 5);
    expect(backoffs.slice(0, 7)).toEqual([0, 10, 20, 40, 80, 160, 300]);
    expect(pod?.status?.phase).toBe('Running');
    expect(pod?.status?.containerStatuses?.[0]?.lastState?.terminated).toMatchObject({ reason: 'Error', exitCode: 2 });
    expect([...messages]).toContain(`back-off 20s restarting failed container=app pod=p_${ref.namespace}(${pod?.metadata?.uid})`);
    // Go duration format, as the kubelet prints it.
    expect([...messages]).toContain(`back-off 1m20s restarting failed container=app pod=p_${ref.namespace}(${pod?.metadata?.uid})`);
    expect([...messages]).toContain(`back-off 5m0s restarting failed container=app pod=p_${ref.namespace}(${pod?.metadata?.uid})`);
  });

  it('forgets the back-off for a container that ran longer than 10 minutes', async () => {
    const ref = await createPod({ containers: [{ name: 'app', image: 'slowcrash:1' }] });
    const starts = await instanceStarts(ref, 1900, 10);
    // Restarted at once each time: the back-off entry expired while it ran.
    expect(starts.length).toBe(3);
    expect(starts.slice(1).map((t, i) => t - starts[i]!)).toEqual([620, 620]);
  });

  it('reports a missing tag as ErrImagePull, then ImagePullBackOff, retrying with back-off', async () => {
    const ref = await createPod({ containers: [{ name: 'app', image: 'web:404' }] });
    const reasons: string[] = [];
    for (let s = 0; s < 60; s++) {
      await sim.advance(1);
      const r = (await getPod(ref)).status?.containerStatuses?.[0]?.state?.waiting?.reason;
      if (r && reasons.at(-1) !== r) reasons.push(r);
    }
    expect(reasons.slice(0, 3)).toEqual(['ErrImagePull', 'ImagePullBackOff', 'ErrImagePull']);
    const pulling = (await eventsOf(ref)).find((e) => e.reason === 'Pulling');
    // Pulls at 0, +10 and +30 s (back-off 10 s, then 20 s) within the first minute.
    expect(pulling?.count).toBe(3);
    expect((await getPod(ref)).status?.phase).toBe('Pending');
  });

  it('runs init containers to completion before the app containers', async () => {
    const ref = await createPod({
      initContainers: [{ name: 'migrate', image: 'init:1' }],
      containers: [{ name: 'app', image: 'web:1', readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1 } }],
    });
    await sim.advance(3);
    const during = await getPod(ref);
    expect(during.status?.phase).toBe('Pending');
    expect(during.status?.conditions?.find((c) => c.type === 'Initialized')).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized' });
    expect(during.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('PodInitializing');
    await sim.advance(15);
    const after = await getPod(ref);
    expect(after.status?.phase).toBe('Running');
    expect(after.status?.initContainerStatuses?.[0]?.state?.terminated).toMatchObject({ reason: 'Completed', exitCode: 0 });
    expect(after.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('turns memory above the limit into OOMKilled (137) with an OOMKilling node event', async () => {
    const ref = await createPod({ containers: [{ name: 'app', image: 'hungry:1', resources: { limits: { memory: '256Mi' } } }] });
    await sim.advance(10);
    const pod = await getPod(ref);
    expect(pod.status?.containerStatuses?.[0]?.lastState?.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
    const nodeEvents = await sim.client.list<KubeEvent>('/api/v1/namespaces/default/events');
    expect(nodeEvents.some((e) => e.reason === 'OOMKilling' && e.involvedObject?.name === pod.spec?.nodeName)).toBe(true);
  });

  it('starts a container once its missing ConfigMap appears (CreateContainerConfigError meanwhile)', async () => {
    const ref = await createPod({
      containers: [{ name: 'app', image: 'web:1', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'x' } } }] }],
    });
    await sim.advance(5);
    expect((await getPod(ref)).status?.containerStatuses?.[0]?.state?.waiting).toEqual({ reason: 'CreateContainerConfigError', message: 'configmap "cfg" not found' });
    await sim.client.create(`/api/v1/namespaces/${ref.namespace}/configmaps`, { metadata: { name: 'cfg' }, data: { y: '1' } });
    await sim.advance(2);
    // Wrong key: still an error, now naming the key.
    expect((await getPod(ref)).status?.containerStatuses?.[0]?.state?.waiting?.message).toBe(`couldn't find key x in ConfigMap ${ref.namespace}/cfg`);
    await sim.client.patch(`/api/v1/namespaces/${ref.namespace}/configmaps/cfg`, { data: { x: '1' } });
    await sim.advance(2);
    expect((await getPod(ref)).status?.containerStatuses?.[0]?.state?.running).toBeDefined();
  });

  it('finalises a gracefully deleted pod (the apiserver keeps it Terminating until then)', async () => {
    const ref = await createPod({ containers: [{ name: 'app', image: 'web:1' }] });
    await sim.advance(5);
    await sim.client.delete(`/api/v1/namespaces/${ref.namespace}/pods/${ref.name}`);
    expect(await sim.client.getOrUndefined(`/api/v1/namespaces/${ref.namespace}/pods/${ref.name}`)).toBeDefined();
    await sim.advance(1);
    expect(await sim.client.getOrUndefined(`/api/v1/namespaces/${ref.namespace}/pods/${ref.name}`)).toBeUndefined();
    expect((await eventsOf(ref)).some((e) => e.reason === 'Killing' && e.message === 'Stopping container app')).toBe(true);
  });
});
