import type { KubeEvent, Pod } from '../k8s';
import { sanitise } from '../redact';
import { clip, containerSpecOf, eventTime, statusesOf } from './common';
import type { DetectContext } from './types';

/** Events shown per incident: warnings first, then the newest others. */
export const MAX_EVENTS = 20;

/** The named containers of a pod as incident evidence (bounded, messages redacted). */
export function containerEvidence(pod: Pod, names: string[]) {
  const wanted = new Set(names);
  return statusesOf(pod)
    .filter((ref) => wanted.has(ref.status.name ?? ''))
    .map(({ status: s, init }) => {
      const state = s.state?.waiting ? 'waiting' : s.state?.terminated ? 'terminated' : s.state?.running ? 'running' : undefined;
      const current = s.state?.waiting ?? s.state?.terminated;
      const last = s.lastState?.terminated;
      const resources = containerSpecOf(pod, s.name)?.resources;
      return {
        pod: pod.metadata?.name ?? '',
        container: clip(s.name ?? '', 253),
        init,
        ...(s.image ? { image: clip(s.image, 512) } : {}),
        ...(s.ready !== undefined ? { ready: s.ready } : {}),
        ...(s.restartCount !== undefined ? { restartCount: s.restartCount } : {}),
        ...(state ? { state } : {}),
        ...(current?.reason ? { reason: clip(current.reason, 200) } : {}),
        ...(current?.message ? { message: sanitise(current.message, 1000) } : {}),
        ...(last?.reason ? { lastTerminationReason: clip(last.reason, 200) } : {}),
        ...(last?.exitCode !== undefined ? { lastExitCode: last.exitCode } : {}),
        ...(resources?.requests ? { requests: resources.requests } : {}),
        ...(resources?.limits ? { limits: resources.limits } : {}),
      };
    });
}

/** Events of the given objects as incident evidence: warnings first, at most MAX_EVENTS, oldest first. */
export function eventEvidence(ctx: DetectContext, objects: { kind: string; name: string }[], namespace: string) {
  const all: KubeEvent[] = objects.flatMap((o) => ctx.eventsFor(o.kind, namespace, o.name));
  const newestFirst = (a: KubeEvent, b: KubeEvent) => (eventTime(b) ?? 0) - (eventTime(a) ?? 0);
  // Warnings first (they explain failures), then the newest Normal events to fill; shown oldest first.
  const warnings = all.filter((e) => e.type === 'Warning').sort(newestFirst);
  const normal = all.filter((e) => e.type !== 'Warning').sort(newestFirst);
  return [...warnings, ...normal]
    .slice(0, MAX_EVENTS)
    .sort((a, b) => (eventTime(a) ?? 0) - (eventTime(b) ?? 0))
    .map((e) => {
      const t = eventTime(e);
      return {
        object: clip(`${e.involvedObject?.kind}/${e.involvedObject?.name}`, 300),
        ...(e.type ? { type: clip(e.type, 20) } : {}),
        ...(e.reason ? { reason: clip(e.reason, 200) } : {}),
        ...(e.message ? { message: sanitise(e.message, 1000) } : {}),
        ...(e.count !== undefined ? { count: e.count } : {}),
        ...(t !== undefined ? { lastTimestamp: new Date(t).toISOString() } : {}),
      };
    });
}

