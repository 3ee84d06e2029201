import { describe, expect, it } from 'vitest';
import type { Pod } from '../../functions/domain/k8s';
import { detect, loadItems, named, ofKind, snapshotOf } from './support';

describe('OOMKilled detector', () => {
  it('names the memory limit and wins over the crash loop it causes', () => {
    // Both pods crash-loop because the kernel kills them at the 256Mi limit: the cause is OOM, not "a crash".
    const { incidents, skipped } = detect(snapshotOf(loadItems('reports-oomkilled.json')));

    expect(skipped).toEqual([]);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      kind: 'OOMKilled',
      subReason: 'memory-limit',
      target: { kind: 'Deployment', namespace: 'analytics', name: 'reports' },
      pods: ['reports-7b6a5c4d3e-h5j8k', 'reports-7b6a5c4d3e-v3n6b'],
    });
    expect(incidents[0]?.evidence.containers[0]).toMatchObject({ lastTerminationReason: 'OOMKilled', lastExitCode: 137, limits: { cpu: '1', memory: '256Mi' } });
    expect(incidents[0]?.evidence.notes).toContain('memory request 256Mi, limit 256Mi');
    expect(incidents[0]?.evidence.notes.some((n) => n.startsWith('also observed: CrashLoopBackOff (2 pods)'))).toBe(true);
  });

  it('says when there is no limit (the node ran out of memory)', () => {
    const items = loadItems('reports-oomkilled.json');
    for (const pod of ofKind<Pod>(items, 'Pod')) delete pod.spec!.containers![0]!.resources!.limits;
    expect(detect(snapshotOf(items)).incidents[0]?.subReason).toBe('no-memory-limit');
  });

  it('counts a container terminated by OOM right now (restartPolicy Never)', () => {
    const items = loadItems('reports-oomkilled.json');
    const status = named<Pod>(items, 'Pod', 'reports-7b6a5c4d3e-h5j8k').status!.containerStatuses![0]!;
    status.state = { terminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: '2026-11-23T13:59:00Z' } };
    status.lastState = {};
    expect(detect(snapshotOf(items)).incidents[0]?.pods).toContain('reports-7b6a5c4d3e-h5j8k');
  });

  it('ignores an OOM kill hours ago on a container that is ready again', () => {
    // Near miss: indexer was OOM-killed once at 09:12 and has been ready since.
    const incidents = detect(snapshotOf(loadItems('recovered-workloads.json'))).incidents;
    expect(incidents.filter((i) => i.kind === 'OOMKilled')).toEqual([]);
  });

  it('counts a recent OOM kill even when the container is ready again', () => {
    // Ten minutes ago is still the same incident: the next kill is coming.
    const items = loadItems('recovered-workloads.json');
    const status = named<Pod>(items, 'Pod', 'indexer-6c8d9e7f5b-z7r4c').status!.containerStatuses![0]!;
    status.lastState!.terminated!.finishedAt = '2026-11-23T13:50:00Z';
    expect(detect(snapshotOf(items)).incidents.map((i) => i.signature)).toEqual(['OOMKilled:memory-limit']);
  });
});
