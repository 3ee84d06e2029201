import type { Node, Pod } from '../../../functions/domain/k8s';
import type { SimClock } from '../clock';
import type { KubeClientLike } from '../kube-client';
import { isConflict, isNotFound } from '../kube-client';
import { EventRecorder, rfc3339 } from '../kubelet/events';
import { parseQuantity } from '../kubelet/quantity';

/**
 * A scheduler emulator that is only an API client: it binds Pending pods
 * through `pods/{name}/binding` when a node fits (requests vs allocatable minus
 * the requests of pods already there, nodeSelector, taints), and otherwise
 * marks them PodScheduled=False/Unschedulable with the real scheduler's
 * message and a FailedScheduling event.
 */
export interface SchedulerOptions {
  client: KubeClientLike;
  clock: SimClock;
  /** Only pods with this schedulerName (default 'default-scheduler'). */
  schedulerName?: string;
  /** With a real clock: reconcile period in ms. Default 1000. */
  intervalMs?: number;
  onError?: (e: unknown) => void;
}

export interface Scheduler {
  reconcile(): Promise<void>;
  /** Stops the loop and waits for a pass in flight. */
  stop(): Promise<void>;
}

interface SchedPod extends Pod {
  spec?: Pod['spec'] & { schedulerName?: string };
}

interface Fit {
  node: string;
  fails: string[];
}

/** Sum of container requests; init containers count by their max, as in the scheduler. */
export function podRequests(pod: Pod): { cpu: number; memory: number } {
  const sum = { cpu: 0, memory: 0 };
  for (const c of pod.spec?.containers ?? []) {
    sum.cpu += parseQuantity(c.resources?.requests?.cpu) ?? 0;
    sum.memory += parseQuantity(c.resources?.requests?.memory) ?? 0;
  }
  for (const c of pod.spec?.initContainers ?? []) {
    sum.cpu = Math.max(sum.cpu, parseQuantity(c.resources?.requests?.cpu) ?? 0);
    sum.memory = Math.max(sum.memory, parseQuantity(c.resources?.requests?.memory) ?? 0);
  }
  return sum;
}

function tolerates(pod: Pod, taint: { key?: string; value?: string; effect?: string }): boolean {
  return (pod.spec?.tolerations ?? []).some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

/**
 * Why each node does not fit (empty → fits), with the scheduler's own
 * wording. Like the scheduling framework, filters run in order and a node's
 * first failing filter is its reason (NodeResourcesFit may name several
 * resources at once).
 */
export function fitPod(pod: Pod, nodes: Node[], podsOnNodes: Map<string, Pod[]>): Fit[] {
  const want = podRequests(pod);
  return nodes.map((node) => {
    const name = node.metadata?.name ?? '';
    const fails = firstFailure(pod, node, want, podsOnNodes.get(name) ?? []);
    return { node: name, fails };
  });
}

function firstFailure(pod: Pod, node: Node, want: { cpu: number; memory: number }, onNode: Pod[]): string[] {
  if (node.spec?.unschedulable) return ['node(s) were unschedulable'];
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }'];
  for (const taint of node.spec?.taints ?? []) {
    if ((taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') && !tolerates(pod, taint)) {
      return [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`];
    }
  }
  const selector = pod.spec?.nodeSelector ?? {};
  const labels = node.metadata?.labels ?? {};
  if (Object.entries(selector).some(([k, v]) => labels[k] !== v)) return ["node(s) didn't match Pod's node affinity/selector"];
  const alloc = node.status?.allocatable ?? {};
  const used = { cpu: 0, memory: 0, pods: 0 };
  for (const p of onNode) {
    const r = podRequests(p);
    used.cpu += r.cpu;
    used.memory += r.memory;
    used.pods += 1;
  }
  const fails: string[] = [];
  if (used.pods + 1 > (parseQuantity(alloc.pods) ?? 110)) fails.push('Too many pods');
  if (want.cpu > 0 && used.cpu + want.cpu > (parseQuantity(alloc.cpu) ?? 0)) fails.push('Insufficient cpu');
  if (want.memory > 0 && used.memory + want.memory > (parseQuantity(alloc.memory) ?? 0)) fails.push('Insufficient memory');
  return fails;
}

/** `0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector.` */
export function unschedulableMessage(fits: Fit[]): string {
  const counts = new Map<string, number>();
  for (const f of fits) for (const r of f.fails) counts.set(r, (counts.get(r) ?? 0) + 1);
  const parts = [...counts.entries()].map(([r, n]) => `${n} ${r}`).sort();
  return `0/${fits.length} nodes are available: ${parts.join(', ')}.`;
}

export function startScheduler(options: SchedulerOptions): Scheduler {
  const { client, clock } = options;
  const schedulerName = options.schedulerName ?? 'default-scheduler';
  const onError = options.onError ?? ((e: unknown) => console.error('[scheduler]', e));
  const events = new EventRecorder(client, { component: 'default-scheduler' });
  const lastMessage = new Map<string, { message: string; eventAt: number }>();
  let rr = 0;
  let running: Promise<void> | undefined;
  let stopped = false;

  async function reconcile(): Promise<void> {
    if (stopped) return;
    const now = clock.now();
    const [nodes, pods] = await Promise.all([client.list<Node>('/api/v1/nodes'), client.list<SchedPod>('/api/v1/pods')]);
    const onNodes = new Map<string, Pod[]>();
    const pending: SchedPod[] = [];
    for (const p of pods) {
      const phase = p.status?.phase;
      if (p.spec?.nodeName) {
        if (phase === 'Succeeded' || phase === 'Failed') continue;
        const list = onNodes.get(p.spec.nodeName) ?? [];
        list.push(p);
        onNodes.set(p.spec.nodeName, list);
      } else if (!p.metadata?.deletionTimestamp && (p.spec?.schedulerName ?? 'default-scheduler') === schedulerName) {
        pending.push(p);
      }
    }
    const live = new Set<string>();
    for (const pod of pending) {
      if (stopped) return;
      const ns = pod.metadata?.namespace ?? 'default';
      const name = pod.metadata?.name ?? '';
      const uid = pod.metadata?.uid ?? `${ns}/${name}`;
      live.add(uid);
      const fits = fitPod(pod, nodes, onNodes);
      const ok = fits.filter((f) => f.fails.length === 0);
      const involved = { kind: 'Pod', namespace: ns, name, uid };
      try {
        if (ok.length > 0) {
          // Spread like the default scoring would, deterministically: the least requested node, ties round-robin.
          const load = (n: string) => (onNodes.get(n) ?? []).length;
          const best = Math.min(...ok.map((f) => load(f.node)));
          const candidates = ok.filter((f) => load(f.node) === best);
          const chosen = candidates[rr++ % candidates.length]!.node;
          await client.create(`/api/v1/namespaces/${ns}/pods/${name}/binding`, {
            apiVersion: 'v1',
            kind: 'Binding',
            metadata: { name, namespace: ns, uid: pod.metadata?.uid },
            target: { apiVersion: 'v1', kind: 'Node', name: chosen },
          });
          onNodes.set(chosen, [...(onNodes.get(chosen) ?? []), { ...pod, spec: { ...pod.spec, nodeName: chosen } }]);
          lastMessage.delete(uid);
          await events.record(involved, { type: 'Normal', reason: 'Scheduled', message: `Successfully assigned ${ns}/${name} to ${chosen}` }, now);
        } else {
          const message = unschedulableMessage(fits);
          const prior = lastMessage.get(uid);
          if (prior?.message !== message) {
            await client.patch(`/api/v1/namespaces/${ns}/pods/${name}/status`, {
              status: {
                conditions: [
                  { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: rfc3339(now) },
                ],
              },
            });
          }
          // The real scheduler retries unschedulable pods with back-off, not every second: one event a minute at most.
          if (prior?.message !== message || now.getTime() - prior.eventAt >= 60_000) {
            await events.record(involved, { type: 'Warning', reason: 'FailedScheduling', message }, now);
            lastMessage.set(uid, { message, eventAt: now.getTime() });
          }
        }
      } catch (e) {
        // The pod went away or was bound by someone else meanwhile: next pass sees the truth.
        if (!isNotFound(e) && !isConflict(e)) onError(e);
      }
    }
    for (const uid of lastMessage.keys()) {
      if (!live.has(uid)) {
        lastMessage.delete(uid);
        events.forget(uid);
      }
    }
  }

  const guarded = async () => {
    if (running) return running;
    running = reconcile()
      .catch(onError)
      .finally(() => (running = undefined));
    return running;
  };
  let unsubscribe: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  if (clock.virtual) unsubscribe = clock.onTick(() => guarded());
  else timer = setInterval(() => void guarded(), options.intervalMs ?? 1000);

  return {
    reconcile: async () => {
      if (running) await running;
      await reconcile();
    },
    async stop() {
      stopped = true;
      unsubscribe?.();
      if (timer) clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
