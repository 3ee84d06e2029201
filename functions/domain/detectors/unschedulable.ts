import type { FactOf } from '../facts';
import type { PodDetector } from './types';
import type { Node, Pod } from '../k8s';
import { clip, conditionOf, quantityAsNumber, podEvents, secondsSince } from './common';

/**
 * How long a pod must have been unschedulable before it is an incident: the
 * scheduler marks a pod unschedulable on its first failed attempt, and a
 * cluster autoscaler or Karpenter usually adds a node within a minute.
 */
export const UNSCHEDULABLE_GRACE_SECONDS = 60;

/** Scheduler message fragments → sub-reason, in tie-break order. */
const FIT_REASONS: { subReason: string; pattern: RegExp }[] = [
  { subReason: 'insufficient-cpu', pattern: /insufficient cpu/i },
  { subReason: 'insufficient-memory', pattern: /insufficient memory/i },
  { subReason: 'node-selector', pattern: /didn't match pod's node affinity|node affinity\/selector|didn't match node selector/i },
  { subReason: 'taints', pattern: /taint/i },
  { subReason: 'volume', pattern: /persistentvolumeclaim|volume node affinity conflict|unbound .*persistentvolumeclaims/i },
  { subReason: 'too-many-pods', pattern: /too many pods/i },
];

/**
 * The sub-reason that keeps the most nodes out, from the scheduler's
 * "0/5 nodes are available: 3 Insufficient cpu, 2 node(s) had untolerated
 * taint {...}." (the preemption part is ignored: it repeats the same nodes).
 */
export function classifySchedulerMessage(message: string): string {
  const fit = (message.split(/preemption:/i)[0] ?? '').replace(/^.*?nodes are available:/is, '');
  const counts = new Map<string, number>();
  for (const segment of fit.split(/,\s*(?=\d+ )/)) {
    const m = /^\s*(\d+)\s+(.*)$/s.exec(segment);
    const hit = m ? FIT_REASONS.find((r) => r.pattern.test(m[2] ?? '')) : undefined;
    if (m && hit) counts.set(hit.subReason, (counts.get(hit.subReason) ?? 0) + Number(m[1]));
  }
  if (counts.size === 0) return FIT_REASONS.find((r) => r.pattern.test(fit))?.subReason ?? 'unknown';
  let best = 'unknown';
  let bestCount = -1;
  for (const r of FIT_REASONS) {
    const n = counts.get(r.subReason);
    if (n !== undefined && n > bestCount) {
      best = r.subReason;
      bestCount = n;
    }
  }
  return best;
}

/** What the pod asks for: the larger of the app containers' sum and the largest init container. */
export function podRequests(pod: Pod): { cpu: number; memory: number } {
  const sum = { cpu: 0, memory: 0 };
  for (const c of pod.spec?.containers ?? []) {
    sum.cpu += quantityAsNumber(c.resources?.requests?.cpu) ?? 0;
    sum.memory += quantityAsNumber(c.resources?.requests?.memory) ?? 0;
  }
  for (const c of pod.spec?.initContainers ?? []) {
    sum.cpu = Math.max(sum.cpu, quantityAsNumber(c.resources?.requests?.cpu) ?? 0);
    sum.memory = Math.max(sum.memory, quantityAsNumber(c.resources?.requests?.memory) ?? 0);
  }
  return sum;
}

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)}Gi`;
const cores = (n: number) => (Number.isInteger(n) ? `${n}` : `${Math.round(n * 1000)}m`);

type NodeFit = Pick<FactOf<'Unschedulable'>, 'requests' | 'largestNode' | 'schedulableNodes' | 'fitsEmptyNode'>;

/**
 * Node fit, from allocatable (not free) capacity: whether the pod could fit
 * on an empty node at all, which separates "the cluster is full" from "no
 * node is big enough".
 */
export function nodeFit(pod: Pod, nodes: Node[]): NodeFit {
  const schedulable = nodes.filter((n) => n.spec?.unschedulable !== true);
  const req = podRequests(pod);
  const requests = { cpu: req.cpu, memoryBytes: req.memory };
  if (schedulable.length === 0) return { requests, schedulableNodes: 0 };
  let maxCpu = 0;
  let maxMem = 0;
  for (const n of schedulable) {
    maxCpu = Math.max(maxCpu, quantityAsNumber(n.status?.allocatable?.cpu) ?? 0);
    maxMem = Math.max(maxMem, quantityAsNumber(n.status?.allocatable?.memory) ?? 0);
  }
  return {
    requests,
    largestNode: { cpu: maxCpu, memoryBytes: maxMem },
    schedulableNodes: schedulable.length,
    fitsEmptyNode: req.cpu <= maxCpu && req.memory <= maxMem,
  };
}

/** The node fit in words, for the notes; undefined when no node is schedulable. */
export function nodeFitNote(pod: Pod, nodes: Node[]): string | undefined {
  const fit = nodeFit(pod, nodes);
  if (!fit.largestNode) return undefined;
  return (
    `node fit: pod requests cpu ${cores(fit.requests.cpu)}, memory ${gib(fit.requests.memoryBytes)}; largest node allocatable cpu ${cores(fit.largestNode.cpu)}, memory ${gib(fit.largestNode.memoryBytes)} ` +
    `(${fit.schedulableNodes} schedulable nodes); ${fit.fitsEmptyNode ? 'fits an empty node, so the nodes are full' : 'larger than any node'}`
  );
}

/** Pending with PodScheduled=False/Unschedulable for longer than the grace period. */
export const unschedulableDetector: PodDetector = {
  kind: 'Unschedulable',
  scope: 'pod',
  detect(pod, ctx) {
    if (pod.status?.phase !== 'Pending' || pod.spec?.nodeName) return undefined;
    const scheduled = conditionOf(pod.status?.conditions, 'PodScheduled');
    if (scheduled?.status !== 'False' || scheduled.reason !== 'Unschedulable') return undefined;
    const since = secondsSince(scheduled.lastTransitionTime, ctx.now);
    const events = ctx.eventsFor('Pod', pod.metadata?.namespace ?? '', pod.metadata?.name ?? '');
    const failed = podEvents(events, { reason: 'FailedScheduling' });
    // Without a transition time, a FailedScheduling event older than the grace proves persistence.
    const persisted =
      since !== undefined
        ? since >= UNSCHEDULABLE_GRACE_SECONDS
        : failed.some((e) => (secondsSince(e.firstTimestamp ?? e.metadata?.creationTimestamp, ctx.now) ?? 0) >= UNSCHEDULABLE_GRACE_SECONDS);
    if (!persisted) return undefined;
    const message = scheduled.message ?? failed.at(-1)?.message ?? '';
    const subReason = classifySchedulerMessage(message);
    const nominated = events.some((e) => e.reason === 'TriggeredScaleUp');
    const unknowns = [
      nominated
        ? 'whether the scale-up the cluster autoscaler triggered will succeed'
        : 'whether a cluster autoscaler or Karpenter can add a fitting node',
    ];
    if (subReason === 'unknown') unknowns.push('which scheduling constraint fails: the scheduler message was not recognised');
    return {
      kind: 'Unschedulable',
      subReason,
      reason: 'Unschedulable',
      message: clip(
        `unschedulable for ${Math.round(since ?? UNSCHEDULABLE_GRACE_SECONDS)}s: ${message || 'no scheduler message'}`,
        2000,
      ),
      containers: [],
      facts: [
        {
          kind: 'Unschedulable',
          constraint: subReason,
          ...nodeFit(pod, ctx.snapshot.nodes),
          autoscalerTriggered: nominated,
          ...(since !== undefined && since >= 0 ? { pendingSeconds: Math.round(since) } : {}),
        },
      ],
      notes: [
        ...(message ? [`scheduler: ${clip(message, 980)}`] : []),
        ...[nodeFitNote(pod, ctx.snapshot.nodes)].filter((n): n is string => n !== undefined),
      ],
      unknowns,
    };
  },
};
