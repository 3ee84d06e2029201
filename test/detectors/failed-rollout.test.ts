import { describe, expect, it } from 'vitest';
import type { Deployment, Pod } from '../../functions/domain/k8s';
import { detect, loadItems, named, replicaOf, snapshotOf } from './support';

describe('FailedRollout detector', () => {
  it('reports ProgressDeadlineExceeded with the new pods and the rollout history', () => {
    // The new revision's pod is stuck in ContainerCreating (a missing TLS secret volume): no pod-level
    // detector fires, the rollout's deadline is the signal.
    const { incidents, skipped } = detect(snapshotOf(loadItems('edge-rollouts.json')));

    expect(skipped).toEqual([]);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      kind: 'FailedRollout',
      subReason: 'progress-deadline-exceeded',
      target: { kind: 'Deployment', namespace: 'edge', name: 'gateway' },
      pods: ['gateway-7f6e5d4c3b-d3f5g'],
    });
    expect(incidents[0]?.evidence.rolloutHistory.map((r) => [r.revision, r.healthy])).toEqual([
      [4, true],
      [5, undefined],
    ]);
    expect(incidents[0]?.evidence.events.map((e) => e.reason)).toContain('FailedMount');
  });

  it('ignores a rollout two minutes into its ten-minute deadline', () => {
    // Near miss: catalog's new pod is still being created; that is a rollout in progress.
    const incidents = detect(snapshotOf(loadItems('edge-rollouts.json'))).incidents;
    expect(incidents.map((i) => i.target.name)).not.toContain('catalog');
  });

  it('finds a new ReplicaSet past its deadline even when the condition was not updated', () => {
    // The controller may lag (or have been down); the ReplicaSet's age against the deadline still tells.
    const items = loadItems('edge-rollouts.json');
    const gateway = named<Deployment>(items, 'Deployment', 'gateway');
    gateway.status!.conditions = gateway.status!.conditions!.map((c) =>
      c.type === 'Progressing' ? { ...c, status: 'True', reason: 'ReplicaSetUpdated', message: 'ReplicaSet "gateway-7f6e5d4c3b" is progressing.' } : c,
    );

    const [incident] = detect(snapshotOf(items)).incidents;

    expect(incident).toMatchObject({ kind: 'FailedRollout', subReason: 'new-replicaset-unavailable' });
    expect(incident?.message).toContain('0/1 available replicas after 1800s');
  });

  it('ignores a completed rollout whose pods fail later', () => {
    // Near miss: reports' rollout finished days ago (NewReplicaSetAvailable); its OOM kills are a
    // runtime failure, not a rollout's, even though its ReplicaSet has no available replica now.
    const { incidents } = detect(snapshotOf(loadItems('reports-oomkilled.json')));
    expect(incidents.map((i) => i.kind)).toEqual(['OOMKilled']);
    expect(incidents[0]?.evidence.notes.join('\n')).not.toContain('FailedRollout');
  });

  it('ignores a paused Deployment', () => {
    // An operator paused it on purpose; nothing is progressing by design.
    const items = loadItems('edge-rollouts.json');
    named<Deployment>(items, 'Deployment', 'gateway').spec!.paused = true;
    expect(detect(snapshotOf(items)).incidents).toEqual([]);
  });

  it('lists every pod of the new revision in one incident', () => {
    const items = loadItems('edge-rollouts.json');
    const extra = replicaOf(named<Pod>(items, 'Pod', 'gateway-7f6e5d4c3b-d3f5g'), 'gateway-7f6e5d4c3b-k9l2m');
    const [incident] = detect(snapshotOf([...items, extra])).incidents;
    expect(incident?.pods).toEqual(['gateway-7f6e5d4c3b-d3f5g', 'gateway-7f6e5d4c3b-k9l2m']);
  });
});
