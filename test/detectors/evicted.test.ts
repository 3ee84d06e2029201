import { describe, expect, it } from 'vitest';
import { classifyEviction } from '../../functions/domain/detectors/evicted';
import type { Pod } from '../../functions/domain/k8s';
import { detect, loadItems, named, snapshotOf } from './support';

describe('Evicted detector', () => {
  it('reports recent evictions once for the workload, listing only the evicted pods', () => {
    // Two pods evicted 15 min ago for node memory pressure; their replacements run fine and are not listed.
    const { incidents, skipped } = detect(snapshotOf(loadItems('evictions.json')));

    expect(skipped).toEqual([]);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      kind: 'Evicted',
      subReason: 'node-memory-pressure',
      target: { kind: 'Deployment', namespace: 'media', name: 'transcoder' },
      pods: ['transcoder-5c6d7e8f9a-a1s2d', 'transcoder-5c6d7e8f9a-z9x8c'],
    });
    expect(incidents[0]?.message).toContain('ip-10-0-3-23');
  });

  it('ignores an eviction from two days ago that is still listed', () => {
    // Near miss: evicted pods linger until garbage collection; thumbnailer recovered long ago.
    const names = detect(snapshotOf(loadItems('evictions.json'))).incidents.map((i) => i.target.name);
    expect(names).not.toContain('thumbnailer');
  });

  it('is not reported a second time as a failed pod', () => {
    // An Evicted pod is phase Failed too; only the eviction detector may claim it.
    const incidents = detect(snapshotOf(loadItems('evictions.json'))).incidents;
    expect(incidents.map((i) => i.kind)).toEqual(['Evicted']);
    expect(incidents[0]?.evidence.notes.join('\n')).not.toContain('PodFailed');
  });

  it('says when it does not know the eviction time', () => {
    const items = loadItems('evictions.json');
    const pod = named<Pod>(items, 'Pod', 'thumbnailer-2b3c4d5e6f-u7i8o');
    pod.status!.conditions = [];
    delete pod.status!.containerStatuses;
    const thumb = detect(snapshotOf(items)).incidents.find((i) => i.target.name === 'thumbnailer');
    expect(thumb?.subReason).toBe('node-disk-pressure');
    expect(thumb?.unknowns[0]).toContain('when the pod was evicted');
  });
});

describe('classifyEviction', () => {
  // The kubelet eviction manager's messages.
  const cases: { message: string; want: string }[] = [
    { message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 82804Ki.', want: 'node-memory-pressure' },
    { message: 'The node was low on resource: ephemeral-storage. Threshold quantity: 2Gi, available: 1536Mi.', want: 'node-disk-pressure' },
    { message: 'Pod ephemeral local storage usage exceeds the total limit of containers 1Gi.', want: 'ephemeral-storage-limit' },
    { message: 'The node was low on resource: pids.', want: 'node-pid-pressure' },
    { message: 'Evicted by an operator', want: 'unknown' },
  ];
  it.each(cases)('$want', ({ message, want }) => {
    expect(classifyEviction(message)).toBe(want);
  });
});
