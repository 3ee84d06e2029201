import type { PodDetector } from './types';
import { clip, lastStatusTime } from './common';

/**
 * Evicted pods stay listed until garbage collection (possibly days); only
 * recent evictions are an incident, older ones are history.
 */
export const RECENT_EVICTION_SECONDS = 3600;

const CAUSES: { subReason: string; pattern: RegExp }[] = [
  { subReason: 'ephemeral-storage-limit', pattern: /ephemeral local storage usage exceeds|exceeded its local ephemeral storage limit/i },
  { subReason: 'node-memory-pressure', pattern: /low on resource: memory/i },
  { subReason: 'node-disk-pressure', pattern: /low on resource: (ephemeral-storage|nodefs|imagefs)/i },
  { subReason: 'node-pid-pressure', pattern: /low on resource: pids?/i },
  { subReason: 'preempted', pattern: /preempt/i },
];

export function classifyEviction(message: string): string {
  return CAUSES.find((c) => c.pattern.test(message))?.subReason ?? 'unknown';
}

/** Pods the kubelet evicted (phase Failed, reason Evicted), recently. */
export const evictedDetector: PodDetector = {
  kind: 'Evicted',
  scope: 'pod',
  detect(pod, ctx) {
    if (pod.status?.phase !== 'Failed' || pod.status.reason !== 'Evicted') return undefined;
    const at = lastStatusTime(pod);
    if (at !== undefined && (ctx.now - at) / 1000 > RECENT_EVICTION_SECONDS) return undefined;
    const message = pod.status.message ?? '';
    const subReason = classifyEviction(message);
    const unknowns = ['whether the node pressure persists (node metrics are not in the snapshot)'];
    if (at === undefined) unknowns.unshift('when the pod was evicted (no time in its status)');
    return {
      kind: 'Evicted',
      subReason,
      reason: 'Evicted',
      message: clip(`evicted${pod.spec?.nodeName ? ` from node ${pod.spec.nodeName}` : ''}: ${message || 'no message'}`, 2000),
      containers: [],
      facts: [{ kind: 'Evicted', cause: subReason, ...(pod.spec?.nodeName ? { node: clip(pod.spec.nodeName, 253) } : {}) }],
      notes: subReason === 'unknown' ? ['eviction cause not recognised'] : [`eviction cause: ${subReason}`],
      unknowns,
    };
  },
};
