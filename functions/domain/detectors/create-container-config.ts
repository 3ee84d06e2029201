import type { FactOf } from '../facts';
import type { PodDetector } from './types';
import { clip, containerLabel, statusesOf } from './common';

/** The kubelet's wording for each missing reference (pkg/kubelet/kuberuntime, envvars). */
const CAUSES: { subReason: string; pattern: RegExp }[] = [
  { subReason: 'missing-key', pattern: /couldn't find key (\S+) in (ConfigMap|Secret) (\S+)/i },
  { subReason: 'missing-configmap', pattern: /configmaps? "([^"]+)" not found/i },
  { subReason: 'missing-secret', pattern: /secrets? "([^"]+)" not found/i },
];

export function classifyConfigError(message: string): { subReason: string; missing?: string; fact: Omit<FactOf<'MissingConfig'>, 'kind' | 'container'> } {
  for (const cause of CAUSES) {
    const m = cause.pattern.exec(message);
    if (m) {
      const missing = cause.subReason === 'missing-key' ? `key ${m[1]} in ${m[2]} ${m[3]}` : m[1];
      const fact = factOf(cause.subReason, m);
      return missing ? { subReason: cause.subReason, missing, fact } : { subReason: cause.subReason, fact };
    }
  }
  return { subReason: 'unknown', fact: { missing: 'unknown' } };
}

/** The same match, typed: which object (and key) the kubelet says is missing. */
function factOf(subReason: string, m: RegExpExecArray): Omit<FactOf<'MissingConfig'>, 'kind' | 'container'> {
  if (subReason === 'missing-key') {
    const kind = /^secret$/i.test(m[2] ?? '') ? 'Secret' : 'ConfigMap';
    // The kubelet names the object as namespace/name.
    return { missing: 'key', object: { kind, name: clip((m[3] ?? '').split('/').pop() ?? '', 253) }, key: clip(m[1] ?? '', 253) };
  }
  const kind = subReason === 'missing-secret' ? 'Secret' : 'ConfigMap';
  return { missing: kind === 'Secret' ? 'secret' : 'configmap', object: { kind, name: clip(m[1] ?? '', 253) } };
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
    const { subReason, missing, fact } = classifyConfigError(message);
    const unknowns = ['whether another tool (e.g. a secrets operator or GitOps sync) is about to create the missing object'];
    if (subReason === 'unknown') unknowns.unshift('what configuration is wrong: the kubelet message names no missing object');
    return {
      kind: 'CreateContainerConfigError',
      subReason,
      reason: 'CreateContainerConfigError',
      message: clip(`${containerLabel(first)} cannot be created: ${message || 'CreateContainerConfigError'}`, 2000),
      containers: failing.map((f) => f.status.name ?? ''),
      facts: [{ kind: 'MissingConfig', container: first.status.name ?? '', ...fact }],
      notes: missing ? [`missing: ${missing}`] : [],
      unknowns,
    };
  },
};
