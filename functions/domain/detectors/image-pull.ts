import type { FactOf } from '../facts';
import type { PodDetector } from './types';
import { clip, containerLabel, eventTime, podEvents, statusesOf } from './common';

const PULL_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);

/**
 * Why a pull fails, from the runtime's error text. Order matters: "pull
 * access denied" (Docker Hub's wording for both a missing repository and
 * missing credentials) is read as auth, because it is the credential fix an
 * operator tries first and a tag change cannot help.
 */
const CAUSES: { subReason: 'auth' | 'tag-not-found' | 'registry-unreachable'; pattern: RegExp }[] = [
  {
    subReason: 'auth',
    pattern: /unauthorized|authentication required|no basic auth credentials|pull access denied|403 forbidden|access denied|denied: /i,
  },
  { subReason: 'tag-not-found', pattern: /not found|manifest unknown|notfound|no such manifest|does not exist/i },
  {
    subReason: 'registry-unreachable',
    pattern:
      /i\/o timeout|dial tcp|no such host|connection refused|connection reset|tls handshake timeout|context deadline exceeded|network is unreachable|server misbehaving|503 service unavailable|too many requests/i,
  },
];

export function classifyPullError(text: string): FactOf<'ImagePull'>['cause'] {
  for (const cause of CAUSES) if (cause.pattern.test(text)) return cause.subReason;
  return 'unknown';
}

/** ErrImagePull / ImagePullBackOff / InvalidImageName on any container, init containers included. */
export const imagePullDetector: PodDetector = {
  kind: 'ImagePullBackOff',
  scope: 'pod',
  detect(pod, ctx) {
    const failing = statusesOf(pod).filter((ref) => PULL_REASONS.has(ref.status.state?.waiting?.reason ?? ''));
    const first = failing[0];
    if (!first) return undefined;
    const waiting = first.status.state?.waiting ?? {};
    const reason = waiting.reason ?? 'ImagePullBackOff';
    // The back-off message says nothing about the cause; the kubelet's
    // "Failed to pull image" event for this container does.
    const pullErrors = podEvents(ctx.eventsFor('Pod', pod.metadata?.namespace ?? '', pod.metadata?.name ?? ''), {
      reason: 'Failed',
      container: first.status.name,
    })
      .filter((e) => /pull|image/i.test(e.message ?? ''))
      .sort((a, b) => (eventTime(a) ?? 0) - (eventTime(b) ?? 0));
    // The kubelet follows each "Failed to pull image …: <cause>" with a bare
    // "Error: ErrImagePull"; the latest event that names a cause is the one to read.
    const lastPullError =
      pullErrors.map((e) => e.message ?? '').findLast((m) => classifyPullError(m) !== 'unknown') ?? pullErrors.at(-1)?.message;
    const text = [waiting.message ?? '', lastPullError ?? ''].join('\n');
    const subReason = reason === 'InvalidImageName' ? 'invalid-name' : classifyPullError(text);
    const unknowns: string[] = [];
    if (subReason === 'unknown') unknowns.push('why the image pull fails: no registry error text in the container status or events');
    if (subReason === 'registry-unreachable') unknowns.push('whether the registry outage is transient');
    const image = first.status.image ?? '';
    // One fact per failing container: the others may fail for another reason, read from their own status.
    const facts = failing.map((ref): FactOf<'ImagePull'> => {
      if (ref === first) return { kind: 'ImagePull', container: ref.status.name ?? '', init: ref.init, image: clip(image, 512), cause: subReason as FactOf<'ImagePull'>['cause'] };
      const w = ref.status.state?.waiting;
      const cause = w?.reason === 'InvalidImageName' ? 'invalid-name' : classifyPullError(w?.message ?? '');
      return { kind: 'ImagePull', container: ref.status.name ?? '', init: ref.init, image: clip(ref.status.image ?? '', 512), cause };
    });
    return {
      kind: 'ImagePullBackOff',
      subReason,
      reason,
      message: clip(
        `${containerLabel(first)} cannot pull image ${image}: ${waiting.message ?? reason}${lastPullError ? `; last pull error: ${lastPullError}` : ''}`,
        2000,
      ),
      containers: failing.map((f) => f.status.name ?? ''),
      facts,
      notes: image ? [`image: ${image}`] : [],
      unknowns,
    };
  },
};
