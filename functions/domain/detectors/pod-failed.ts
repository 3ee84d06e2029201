import { kebab } from '../fingerprint';
import { terminationSubReason } from './exit';
import type { PodDetector } from './types';
import { clip, lastStatusTime, statusesOf } from './common';

/** Failed pods stay listed until garbage collection; only recent failures are incidents. */
export const RECENT_FAILURE_SECONDS = 3600;

/** Pods in phase Failed (other than evictions, which have their own detector) or Unknown. */
export const podFailedDetector: PodDetector = {
  kind: 'PodFailed',
  scope: 'pod',
  detect(pod, ctx) {
    const phase = pod.status?.phase;
    if (phase !== 'Failed' && phase !== 'Unknown') return undefined;
    if (pod.status?.reason === 'Evicted') return undefined;
    const at = lastStatusTime(pod);
    if (phase === 'Failed' && at !== undefined && (ctx.now - at) / 1000 > RECENT_FAILURE_SECONDS) return undefined;
    const terminated = statusesOf(pod).filter((ref) => {
      const t = ref.status.state?.terminated;
      return t !== undefined && (t.exitCode ?? 0) !== 0;
    });
    const t = terminated[0]?.status.state?.terminated;
    let subReason: string;
    if (pod.status?.reason) subReason = kebab(pod.status.reason);
    else if (phase === 'Unknown') subReason = 'phase-unknown';
    else if (t) subReason = terminationSubReason(t.reason, t.exitCode);
    else subReason = 'unknown';
    const unknowns: string[] = [];
    if (phase === 'Unknown') unknowns.push('the pod state: its node stopped reporting (node lost or partitioned)');
    if (at === undefined) unknowns.push('when the pod failed (no time in its status)');
    const detail = pod.status?.message ?? (t ? `${terminated[0]?.status.name} exited with ${t.reason ?? 'code'} ${t.exitCode ?? ''}` : '');
    return {
      kind: 'PodFailed',
      subReason,
      reason: pod.status?.reason ?? (phase === 'Unknown' ? 'Unknown' : (t?.reason ?? 'Failed')),
      message: clip(`pod is ${phase}${detail ? `: ${detail}` : ''}`, 2000),
      containers: terminated.map((r) => r.status.name ?? ''),
      facts: [
        {
          kind: 'PodFailed',
          phase,
          ...(pod.status?.reason ? { reason: clip(pod.status.reason, 200) } : {}),
          ...(terminated[0]?.status.name ? { container: clip(terminated[0].status.name, 253) } : {}),
          ...(t?.exitCode !== undefined ? { exitCode: t.exitCode } : {}),
        },
      ],
      notes: [],
      unknowns,
    };
  },
};
