import { describe, expect, it } from 'vitest';
import { classifySchedulerMessage } from '../../functions/domain/detectors/unschedulable';
import type { Pod } from '../../functions/domain/k8s';
import { detect, loadItems, named, ofKind, snapshotOf } from './support';

describe('Unschedulable detector', () => {
  it('reports the pods pending for ten minutes with the scheduler message', () => {
    const { incidents, skipped } = detect(snapshotOf(loadItems('batch-unschedulable.json')));

    expect(skipped).toEqual([]);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      kind: 'Unschedulable',
      // 2 nodes lack memory, 1 has a taint: memory keeps most nodes out.
      subReason: 'insufficient-memory',
      target: { kind: 'Deployment', namespace: 'batch', name: 'ml-trainer' },
      pods: ['ml-trainer-6f9d8c7b5a-b7n3m', 'ml-trainer-6f9d8c7b5a-x5c9v'],
    });
    expect(incidents[0]?.evidence.notes[0]).toMatch(/^scheduler: 0\/3 nodes are available/);
    expect(incidents[0]?.evidence.events.map((e) => e.reason)).toEqual(['FailedScheduling', 'FailedScheduling']);
  });

  it('adds node fit from the nodes in the snapshot', () => {
    // 48Gi of memory fits no 14Gi node: the fix is not "wait for capacity".
    const [incident] = detect(snapshotOf([...loadItems('batch-unschedulable.json'), ...loadItems('nodes.json')])).incidents;
    expect(incident?.evidence.notes[1]).toBe(
      'node fit: pod requests cpu 8, memory 48.0Gi; largest node allocatable cpu 3920m, memory 14.2Gi (3 schedulable nodes); larger than any node',
    );
  });

  it('ignores a pod created seconds ago that the scheduler has not looked at yet', () => {
    // Near miss: web's pod is 3 s old, Pending, with no PodScheduled condition.
    const incidents = detect(snapshotOf(loadItems('batch-unschedulable.json'))).incidents;
    expect(incidents.map((i) => i.target.name)).not.toContain('web');
  });

  it('waits out the grace period before calling a pod unschedulable', () => {
    // Near miss: unschedulable for 20 s; the cluster autoscaler usually adds a node within a minute.
    const items = loadItems('batch-unschedulable.json');
    for (const pod of ofKind<Pod>(items, 'Pod')) {
      const c = pod.status?.conditions?.find((x) => x.type === 'PodScheduled');
      if (c) c.lastTransitionTime = '2026-11-23T13:59:40Z';
    }
    expect(detect(snapshotOf(items)).incidents).toEqual([]);
  });

  it('is not raised for a pod that has a node (the condition is stale)', () => {
    const items = loadItems('batch-unschedulable.json');
    const pod = named<Pod>(items, 'Pod', 'ml-trainer-6f9d8c7b5a-b7n3m');
    pod.spec!.nodeName = 'ip-10-0-1-21.eu-west-1.compute.internal';
    expect(detect(snapshotOf(items)).incidents[0]?.pods).toEqual(['ml-trainer-6f9d8c7b5a-x5c9v']);
  });
});

describe('classifySchedulerMessage', () => {
  // Real kube-scheduler messages (1.29–1.31 wording).
  const cases: { message: string; want: string }[] = [
    { message: '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.', want: 'insufficient-cpu' },
    { message: "0/4 nodes are available: 4 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.", want: 'node-selector' },
    { message: '0/2 nodes are available: 2 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.', want: 'taints' },
    // The preemption part repeats other counts; only the fit part decides.
    { message: '0/5 nodes are available: 3 Insufficient cpu, 2 Insufficient memory. preemption: 0/5 nodes are available: 5 Insufficient memory.', want: 'insufficient-cpu' },
    { message: '0/3 nodes are available: 3 node(s) had volume node affinity conflict. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.', want: 'volume' },
    { message: '0/3 nodes are available: 3 Too many pods.', want: 'too-many-pods' },
    { message: 'no nodes available to schedule pods', want: 'unknown' },
  ];
  it.each(cases)('$want: $message', ({ message, want }) => {
    expect(classifySchedulerMessage(message)).toBe(want);
  });
});
