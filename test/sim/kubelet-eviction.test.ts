import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeEvent, Node, Pod } from '../../functions/domain/k8s';
import { startSimulatedCluster, type SimulatedCluster } from './index';
import { ImageRegistry } from './registry';

/**
 * Node memory pressure: when the pods' working sets leave less than the hard
 * threshold (100Mi) of a node's memory, the kubelet reports MemoryPressure
 * and evicts the pod that most exceeds its request (phase Failed, reason
 * Evicted, the eviction manager's message), one per interval.
 */
describe('kubelet eviction under memory pressure', () => {
  let sim: SimulatedCluster;
  beforeAll(async () => {
    sim = await startSimulatedCluster({
      nodes: [{ name: 'small', cpu: '4', memory: '1Gi' }],
      registry: new ImageRegistry([
        { image: 'modest:1', behaviour: { memoryMi: 200 } },
        { image: 'greedy:1', behaviour: { memoryMi: 600 } },
      ]),
    });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('evicts the pod using most beyond its request and reports MemoryPressure', async () => {
    // Arrange: 200 + 200 fit in 1Gi; the greedy pod (600Mi against a 64Mi request) tips the node over.
    await sim.client.create('/api/v1/namespaces', { metadata: { name: 'ev' } });
    const pod = (name: string, image: string, request: string) =>
      sim.client.create('/api/v1/namespaces/ev/pods', { metadata: { name }, spec: { containers: [{ name: 'app', image, resources: { requests: { memory: request } } }] } });
    await pod('a', 'modest:1', '200Mi');
    await pod('b', 'modest:1', '200Mi');
    await sim.advance(10);
    const calm = await sim.client.get<Node>('/api/v1/nodes/small');
    await pod('greedy', 'greedy:1', '64Mi');
    // Act: watch the node condition while the eviction manager works.
    const pressure = new Set<string>();
    for (let s = 0; s < 30; s++) {
      await sim.advance(1);
      const n = await sim.client.get<Node>('/api/v1/nodes/small');
      pressure.add(n.status?.conditions?.find((c) => c.type === 'MemoryPressure')?.status ?? '?');
    }
    // Assert
    const greedy = await sim.client.get<Pod>('/api/v1/namespaces/ev/pods/greedy');
    expect(greedy.status).toMatchObject({ phase: 'Failed', reason: 'Evicted' });
    expect(greedy.status?.message).toMatch(/^The node was low on resource: memory\. Threshold quantity: 100Mi, available: \d+Ki\. Container app was using \d+Ki, request is 64Mi, has larger consumption of its request\. $/);
    for (const name of ['a', 'b']) expect((await sim.client.get<Pod>(`/api/v1/namespaces/ev/pods/${name}`)).status?.phase).toBe('Running');
    const events = await sim.client.list<KubeEvent>('/api/v1/namespaces/ev/events');
    expect(events.some((e) => e.reason === 'Evicted' && e.involvedObject?.name === 'greedy')).toBe(true);
    expect(calm.status?.conditions?.find((c) => c.type === 'MemoryPressure')?.status).toBe('False');
    expect(pressure.has('True')).toBe(true);
  });

  it('clears MemoryPressure once the evicted pod no longer counts', async () => {
    await sim.advance(20);
    const node = await sim.client.get<Node>('/api/v1/nodes/small');
    expect(node.status?.conditions?.find((c) => c.type === 'MemoryPressure')?.status).toBe('False');
  });
});
