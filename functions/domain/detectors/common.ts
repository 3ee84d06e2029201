import type { Container, ContainerStatus, KubeEvent, Pod } from '../k8s';

/** Parses an RFC 3339 time; undefined when missing or not a time. */
export function timeOf(value: string | null | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Seconds from `value` to `now`; undefined when the time is unknown. */
export function secondsSince(value: string | null | undefined, now: number): number | undefined {
  const t = timeOf(value);
  return t === undefined ? undefined : (now - t) / 1000;
}

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export interface StatusRef {
  status: ContainerStatus;
  init: boolean;
}

/** Init container statuses first (they run first), then app containers. */
export function statusesOf(pod: Pod): StatusRef[] {
  return [
    ...(pod.status?.initContainerStatuses ?? []).map((status) => ({ status, init: true })),
    ...(pod.status?.containerStatuses ?? []).map((status) => ({ status, init: false })),
  ];
}

export function containerSpecOf(pod: Pod, name: string | undefined): Container | undefined {
  if (!name) return undefined;
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === name);
}

/** When an event last happened (series-aware: lastTimestamp, else eventTime, else first/creation). */
export function eventTime(event: KubeEvent): number | undefined {
  const e = event as KubeEvent & { series?: { lastObservedTime?: string } };
  return (
    timeOf(e.lastTimestamp) ??
    timeOf(e.series?.lastObservedTime) ??
    timeOf(e.eventTime) ??
    timeOf(e.firstTimestamp) ??
    timeOf(e.metadata?.creationTimestamp)
  );
}

/** The container an event is about, from `fieldPath: spec.containers{api}`. */
export function eventContainer(event: KubeEvent): string | undefined {
  const path = (event.involvedObject as { fieldPath?: unknown } | undefined)?.fieldPath;
  if (typeof path !== 'string') return undefined;
  return /\{([^}]+)\}/.exec(path)?.[1];
}

/** Events of a pod with a given reason, newest last, optionally for one container and within a window. */
export function podEvents(
  events: KubeEvent[],
  filter: { reason?: string; container?: string; withinSeconds?: number; now?: number },
): KubeEvent[] {
  return events.filter((e) => {
    if (filter.reason && e.reason !== filter.reason) return false;
    const c = eventContainer(e);
    if (filter.container && c && c !== filter.container) return false;
    if (filter.withinSeconds !== undefined && filter.now !== undefined) {
      const t = eventTime(e);
      if (t === undefined || (filter.now - t) / 1000 > filter.withinSeconds) return false;
    }
    return true;
  });
}

export function conditionOf(conditions: { type?: string }[] | undefined, type: string) {
  return (conditions ?? []).find((c) => c.type === type) as
    | { type?: string; status?: string; reason?: string; message?: string; lastTransitionTime?: string }
    | undefined;
}

/** The latest time the pod's status records (for "how long ago did it fail"). */
export function lastStatusTime(pod: Pod): number | undefined {
  let latest: number | undefined;
  const consider = (t: number | undefined) => {
    if (t !== undefined && (latest === undefined || t > latest)) latest = t;
  };
  for (const c of pod.status?.conditions ?? []) consider(timeOf(c.lastTransitionTime));
  for (const { status } of statusesOf(pod)) consider(timeOf(status.state?.terminated?.finishedAt));
  return latest;
}

export { quantityAsNumber } from '../quantity';

/** Short description of a container for messages: `container api` / `init container migrate`. */
export function containerLabel(ref: StatusRef): string {
  return `${ref.init ? 'init container' : 'container'} ${ref.status.name ?? '?'}`;
}
