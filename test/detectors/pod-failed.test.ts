import { describe, expect, it } from 'vitest';
import type { Pod } from '../../functions/domain/k8s';
import { detect, loadItems, named, snapshotOf } from './support';

describe('PodFailed detector', () => {
  const { incidents, skipped } = detect(snapshotOf(loadItems('failed-pods.json')));

  it('groups the failed pods of one Job into one incident', () => {
    // Two attempts of the same Job failed with exit 2: one incident, both pods. The target is a pod
    // (the catalogue has no Job actions); the message names the Job.
    expect(skipped).toEqual([]);
    const job = incidents.find((i) => i.subReason === 'exit-2');
    expect(job).toMatchObject({
      kind: 'PodFailed',
      target: { kind: 'Pod', namespace: 'batch', name: 'nightly-export-28871234-q9w4r' },
      pods: ['nightly-export-28871234-q9w4r', 'nightly-export-28871234-x7k2p'],
    });
    expect(job?.message).toContain('Job batch/nightly-export-28871234');
    expect(job?.evidence.containers[0]?.message).toContain('denied ListObjectsV2');
  });

  it('reports a pod whose node stopped reporting (phase Unknown)', () => {
    expect(incidents.find((i) => i.target.name === 'debug-shell')).toMatchObject({ kind: 'PodFailed', subReason: 'node-lost', reason: 'NodeLost' });
  });

  it('ignores a completed Job pod and a failure from two days ago', () => {
    // Near misses: Succeeded is not Failed; old failed pods linger until garbage collection.
    expect(incidents).toHaveLength(2);
    const pods = incidents.flatMap((i) => i.pods);
    expect(pods).not.toContain('nightly-export-28871233-abcde');
    expect(pods).not.toContain('nightly-export-28868354-lkjhg');
  });

  it('keeps the Job incident fingerprint when the failed pods are replaced by others', () => {
    // The fingerprint names the Job, not the pod, so the next attempt's failure dedups.
    const items = loadItems('failed-pods.json');
    const pod = named<Pod>(items, 'Pod', 'nightly-export-28871234-x7k2p');
    pod.metadata!.name = 'nightly-export-28871234-zz9zz';
    const again = detect(snapshotOf(items)).incidents.find((i) => i.subReason === 'exit-2');
    expect(again?.fingerprint).toBe(incidents.find((i) => i.subReason === 'exit-2')?.fingerprint);
  });
});
