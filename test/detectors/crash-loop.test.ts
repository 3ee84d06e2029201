import { describe, expect, it } from 'vitest';
import type { Pod, ReplicaSet } from '../../functions/domain/k8s';
import { detect, loadItems, named, ofKind, snapshotOf } from './support';

const POD = 'payments-84f7d6c5b9-k2x9q';

describe('CrashLoopBackOff detector', () => {
  it('reports the last termination reason and exit code, one incident for both pods', () => {
    // Both replicas of the Deployment crash with exit 1: one incident, two pods.
    const { incidents, skipped } = detect(snapshotOf(loadItems('payments-crashloop.json')));

    expect(skipped).toEqual([]);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      kind: 'CrashLoopBackOff',
      subReason: 'exit-1',
      target: { kind: 'Deployment', namespace: 'pay', name: 'payments' },
      pods: ['payments-84f7d6c5b9-k2x9q', 'payments-84f7d6c5b9-m4t7z'],
    });
    expect(incidents[0]?.evidence.containers[0]).toMatchObject({ lastTerminationReason: 'Error', lastExitCode: 1, restartCount: 7 });
    expect(incidents[0]?.message).toContain('exit code 1');
  });

  it('says the crashes began with a new revision when the previous one is known healthy', () => {
    // Revision 1 still serves (mid-rollout), revision 2 crashes: the signature that learns "roll back".
    const items = loadItems('payments-crashloop.json');
    const rev1 = ofKind<ReplicaSet>(items, 'ReplicaSet').find((r) => r.metadata?.name === 'payments-6d5c4b7f8')!;
    rev1.spec!.replicas = 1;
    rev1.status = { replicas: 1, readyReplicas: 1, availableReplicas: 1 };

    const [incident] = detect(snapshotOf(items)).incidents;

    expect(incident?.subReason).toBe('new-revision');
    expect(incident?.signature).toBe('CrashLoopBackOff:new-revision');
    expect(incident?.evidence.notes.join('\n')).toContain('revision 1');
  });

  it('catches a container caught running between back-offs', () => {
    // The snapshot can land in the seconds a crashing container runs: many restarts, a recent non-zero exit, not ready.
    const items = loadItems('payments-crashloop.json');
    const status = named<Pod>(items, 'Pod', POD).status!.containerStatuses![0]!;
    status.state = { running: { startedAt: '2026-11-23T13:59:40Z' } };

    const [incident] = detect(snapshotOf(items)).incidents;

    expect(incident?.kind).toBe('CrashLoopBackOff');
    expect(incident?.pods).toContain(POD);
  });

  it('ignores a container that restarted once and recovered', () => {
    // Near miss: one restart 40 minutes ago, running and ready since; an OOM kill hours ago, recovered.
    expect(detect(snapshotOf(loadItems('recovered-workloads.json'))).incidents).toEqual([]);
  });

  it('does not call a single fresh restart a loop', () => {
    // Near miss: one crash a minute ago, running again and not ready yet; a loop needs repeats.
    const items = loadItems('recovered-workloads.json');
    const status = named<Pod>(items, 'Pod', 'search-5f4d3c2b1a-p8w2n').status!.containerStatuses![0]!;
    status.ready = false;
    status.state = { running: { startedAt: '2026-11-23T13:59:01Z' } };
    status.lastState!.terminated!.finishedAt = '2026-11-23T13:59:00Z';
    expect(detect(snapshotOf(items)).incidents).toEqual([]);
  });

  it('ignores a running container with many restarts whose last crash is old', () => {
    // Near miss: restart count is cumulative over the pod's life; old crashes are not a loop.
    const items = loadItems('payments-crashloop.json');
    for (const pod of ofKind<Pod>(items, 'Pod')) {
      const status = pod.status!.containerStatuses![0]!;
      status.state = { running: { startedAt: '2026-11-23T12:00:00Z' } };
      status.lastState!.terminated!.finishedAt = '2026-11-23T11:59:59Z';
    }
    const kinds = detect(snapshotOf(items)).incidents.map((i) => i.kind);
    expect(kinds).not.toContain('CrashLoopBackOff');
  });

  it('checks init containers and resolves StatefulSet pods to the StatefulSet', () => {
    // The schema migration init container crash-loops in both pods of the StatefulSet.
    const { incidents } = detect(snapshotOf(loadItems('ledger-init-crashloop.json')));

    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      kind: 'CrashLoopBackOff',
      subReason: 'exit-1',
      target: { kind: 'StatefulSet', namespace: 'bank', name: 'ledger' },
      pods: ['ledger-0', 'ledger-1'],
    });
    expect(incidents[0]?.evidence.containers.every((c) => c.init && c.container === 'schema-migrate')).toBe(true);
    expect(incidents[0]?.message).toContain('init container schema-migrate');
  });
});
