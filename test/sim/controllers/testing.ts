/**
 * A stand-in for the kubelet and scheduler in controller tests (the real
 * emulators live in ../kubelet and ../scheduler): binds every pod to one node,
 * makes pods whose image `healthy(image)` accepts Running and Ready, leaves the
 * others waiting in ErrImagePull, and finalizes terminating pods.
 */
import type { SimClock } from '../clock';
import type { ObjectStore } from '../api/store';
import { isTerminating, meta, nameOf, namespaceOf, podReady, rfc3339, spec, status, type Json } from './util';

export function startPodStandIn(store: ObjectStore, clock: SimClock, healthy: (image: string) => boolean): () => void {
  return clock.onTick(() => {
    const now = rfc3339(clock.now());
    for (const pod of store.list('pods')) {
      const ns = namespaceOf(pod);
      const name = nameOf(pod);
      if (isTerminating(pod)) {
        store.delete('pods', ns, name, { gracePeriodSeconds: 0 });
        continue;
      }
      if (!spec(pod).nodeName) store.bind(ns, name, { target: { kind: 'Node', name: 'node-1' } });
      const current = store.get('pods', ns, name)!;
      const containers = (spec(current).containers as Json[]) ?? [];
      const ok = containers.every((c) => healthy(String(c.image)));
      if (ok && podReady(current)) continue;
      if (!ok && status(current).phase === 'Pending' && Array.isArray(status(current).containerStatuses)) continue;
      const conditions = ((status(current).conditions as Json[]) ?? []).filter((c) => c.type === 'PodScheduled');
      conditions.push({ type: 'Ready', status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: now });
      store.update(
        'pods',
        {
          ...current,
          status: {
            ...status(current),
            phase: ok ? 'Running' : 'Pending',
            conditions,
            containerStatuses: containers.map((c) => ({
              name: c.name,
              image: c.image,
              imageID: '',
              ready: ok,
              restartCount: 0,
              started: ok,
              state: ok ? { running: { startedAt: now } } : { waiting: { reason: 'ErrImagePull', message: `rpc error: pull ${String(c.image)}: not found` } },
            })),
          },
        },
        { namespace: ns, name, subresource: 'status' },
      );
      void meta;
    }
  });
}
