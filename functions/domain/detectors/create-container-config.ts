import type { PodDetector } from './types';
import { clip, containerLabel, statusesOf } from './common';

/** The kubelet's wording for each missing reference (pkg/kubelet/kuberuntime, envvars). */
const CAUSES: { subReason: string; pattern: RegExp }[] = [
  { subReason: 'missing-key', pattern: /couldn't find key (\S+) in (ConfigMap|Secret) (\S+)/i },
  { subReason: 'missing-configmap', pattern: /configmaps? "([^"]+)" not found/i },
  { subReason: 'missing-secret', pattern: /secrets? "([^"]+)" not found/i },
];

export function classifyConfigError(message: string): { subReason: string; missing?: string } {
  for (const cause of CAUSES) {
    const m = cause.pattern.exec(message);
    if (m) {
      const missing = cause.subReason === 'missing-key' ? `key ${m[1]} in ${m[2]} ${m[3]}` : m[1];
      return missing ? { subReason: cause.subReason, missing } : { subReason: cause.subReason };
    }
  }
  return { subReason: 'unknown' };
}

/** CreateContainerConfigError: a ConfigMap, Secret or key the container references is missing. */
export const createContainerConfigDetector: PodDetector = {
  kind: 'CreateContainerConfigError',
  scope: 'pod',
  detect(pod) {
    const failing = statusesOf(pod).filter((ref) => ref.status.state?.waiting?.reason === 'CreateContainerConfigError');
    const first = failing[0];
    if (!first) return undefined;
    const message = first.status.state?.waiting?.message ?? '';
    const { subReason, missing } = classifyConfigError(message);
    const unknowns = ['whether another tool (e.g. a secrets operator or GitOps sync) is about to create the missing object'];
    if (subReason === 'unknown') unknowns.unshift('what configuration is wrong: the kubelet message names no missing object');
    return {
      kind: 'CreateContainerConfigError',
      subReason,
      reason: 'CreateContainerConfigError',
      message: clip(`${containerLabel(first)} cannot be created: ${message || 'CreateContainerConfigError'}`, 2000),
      containers: failing.map((f) => f.status.name ?? ''),
      notes: missing ? [`missing: ${missing}`] : [],
      unknowns,
    };
  },
};
