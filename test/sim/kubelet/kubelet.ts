import { createHash } from 'node:crypto';
import type { Condition, Container, ContainerState, ContainerStateTerminated, ContainerStatus, Pod, Probe } from '../../../functions/domain/k8s';
import type { SimClock } from '../clock';
import type { KubeClientLike } from '../kube-client';
import { isNotFound } from '../kube-client';
import type { ExitRule, ImageBehaviour, ImageEndpoint, ImageRegistry } from '../registry';
import { linkRegistry, normaliseImage } from '../registry';
import { EventRecorder, rfc3339, type InvolvedObject, type RecordedEvent } from './events';
import { memoryAt, oomTime } from './app-model';
import { MI, parseQuantity } from './quantity';

/**
 * A kubelet emulator that is only an API client: it registers and heartbeats
 * its Nodes, reads the pods bound to them, plays each container's life from
 * the image's behaviour model (test/sim/registry.ts) and writes
 * `pods/{name}/status` and Events the way the real kubelet does. The same code
 * runs against the simulated API server and a real kube-apiserver (which has
 * no kubelet of its own).
 */

export interface NodeSpec {
  name: string;
  /** Allocatable CPU, e.g. '4'. */
  cpu?: string;
  /** Allocatable memory, e.g. '8Gi'. */
  memory?: string;
  pods?: number;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }[];
}

export interface KubeletOptions {
  client: KubeClientLike;
  clock: SimClock;
  registry: ImageRegistry;
  nodes: NodeSpec[];
  /** Write container logs through the simulator's `pods/{name}/simlog` (absent on a real apiserver). Default false. */
  simLogs?: boolean;
  /** Seconds between node status heartbeats (real kubelet: 10). */
  heartbeatSeconds?: number;
  /** With a real clock: reconcile period in ms. Default 1000. */
  intervalMs?: number;
  /** Called with errors of a reconcile pass (the loop keeps going). Default: console.error. */
  onError?: (e: unknown) => void;
}

export interface Kubelet {
  /** One pass: heartbeat if due, then sync every pod on these nodes. */
  reconcile(): Promise<void>;
  /** Stops the loop and waits for a pass in flight. */
  stop(): Promise<void>;
}

// Real kubelet constants (pkg/kubelet/kubelet.go): 10 s initial back-off, 5 min cap.
const BACKOFF_INITIAL = 10_000;
const BACKOFF_MAX = 300_000;

const LIFECYCLE_TAINTS = new Set(['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']);

interface Backoff {
  delay: number;
  lastUpdate: number;
}

/** flowcontrol.Backoff semantics: an entry older than 2× the cap is forgotten. */
function inBackoffSince(b: Backoff | undefined, since: number, now: number): boolean {
  if (!b || since - b.lastUpdate > 2 * BACKOFF_MAX) return false;
  return now - since < b.delay;
}
function nextBackoff(b: Backoff | undefined, eventTime: number, now: number): Backoff {
  if (!b || eventTime - b.lastUpdate > 2 * BACKOFF_MAX) return { delay: BACKOFF_INITIAL, lastUpdate: now };
  return { delay: Math.min(b.delay * 2, BACKOFF_MAX), lastUpdate: now };
}

interface ProbeState {
  nextAt: number;
  successes: number;
  failures: number;
}

interface ContainerRuntime {
  name: string;
  init: boolean;
  image: string;
  pulled: boolean;
  pullingUntil?: number;
  pullBackoff?: Backoff;
  pullFailedAt?: number;
  waiting?: { reason: string; message?: string };
  runningSince?: number;
  /** Set when the current instance has exited and is not yet restarted. */
  terminated?: ContainerStateTerminated & { at: number };
  lastTerminated?: ContainerStateTerminated;
  restartCount: number;
  starts: number;
  crashBackoff?: Backoff;
  ready: boolean;
  readiness?: ProbeState;
  liveness?: ProbeState;
  containerId?: string;
  /** Environment fixed at creation, as for a real container. */
  env?: Map<string, string>;
  /** Log writes not yet sent: lines to append, or a rotation (the container restarted). */
  logOps: ({ rotate: true } | { text: string })[];
  /** Exit rules decided at start (config key, secret): rule index → applies. */
  startFacts?: Map<number, boolean>;
  /** Exit rules whose condition is watched while running (dependency): rule index → first seen true. */
  conditionSince?: Map<number, number>;
  /** Last periodic log time. */
  lastPeriodicLog?: number;
}

interface PodRuntime {
  uid: string;
  namespace: string;
  name: string;
  node: string;
  startTime: number;
  podIP: string;
  init: ContainerRuntime[];
  containers: ContainerRuntime[];
  conditions: Map<string, Condition>;
  lastWritten?: string;
  mountWarning?: string;
  killing: boolean;
  /** The pod as last read (its spec, for eviction ranking). */
  pod?: RawPod;
  evicted?: boolean;
}

/** The fields of a pod the kubelet reads beyond domain/k8s.ts. */
interface RawContainer extends Container {
  imagePullPolicy?: string;
  ports?: { name?: string; containerPort?: number }[];
}
interface RawPod extends Pod {
  spec?: Pod['spec'] & {
    containers?: RawContainer[];
    initContainers?: RawContainer[];
    imagePullSecrets?: { name?: string }[];
  };
}

const hex = (s: string, n = 64) => createHash('sha256').update(s).digest('hex').slice(0, n);

export function startKubelet(options: KubeletOptions): Kubelet {
  const { client, clock, registry } = options;
  const nodes = new Map(options.nodes.map((n, i) => [n.name, { spec: n, index: i }]));
  const heartbeatMs = (options.heartbeatSeconds ?? 10) * 1000;
  const onError = options.onError ?? ((e: unknown) => console.error('[kubelet]', e));
  const pods = new Map<string, PodRuntime>();
  const imageCache = new Map<string, Set<string>>(); // node → normalised images present
  const recorders = new Map<string, EventRecorder>();
  const ipSeq = new Map<string, number>();
  let registered = false;
  let lastHeartbeat = -Infinity;
  const simLogs = options.simLogs ?? false;
  let running: Promise<void> | undefined;
  let stopped = false;

  const recorder = (node: string) => {
    let r = recorders.get(node);
    if (!r) recorders.set(node, (r = new EventRecorder(client, { component: 'kubelet', host: node })));
    return r;
  };

  async function registerNodes(now: Date): Promise<void> {
    for (const { spec, index } of nodes.values()) {
      const existing = await client.getOrUndefined(`/api/v1/nodes/${spec.name}`);
      if (!existing) {
        await client.create('/api/v1/nodes', {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: {
            name: spec.name,
            labels: {
              'kubernetes.io/hostname': spec.name,
              'kubernetes.io/os': 'linux',
              'kubernetes.io/arch': 'arm64',
              'node.kubernetes.io/instance-type': 'm7g.xlarge',
              'topology.kubernetes.io/zone': `sim-${String.fromCharCode(97 + (index % 3))}`,
              ...spec.labels,
            },
          },
          spec: { taints: spec.taints ?? [] },
        });
      }
      imageCache.set(spec.name, imageCache.get(spec.name) ?? new Set());
      await heartbeatNode(spec, index, now);
    }
  }

  async function heartbeatNode(spec: NodeSpec, index: number, now: Date): Promise<void> {
    const ts = rfc3339(now);
    const cond = (type: string, status: string, reason: string, message: string) => ({
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: ts,
      lastTransitionTime: rfc3339(startedAt),
    });
    const resources = { cpu: spec.cpu ?? '4', memory: spec.memory ?? '8Gi', pods: String(spec.pods ?? 110) };
    const node = await client.patch<{ spec?: { taints?: { key?: string }[] } }>(`/api/v1/nodes/${spec.name}/status`, {
      status: {
        capacity: resources,
        allocatable: resources,
        conditions: [
          memoryPressure.get(spec.name)
            ? cond('MemoryPressure', 'True', 'KubeletHasInsufficientMemory', 'kubelet has insufficient memory available')
            : cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
          cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
          cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
          cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
        ],
        addresses: [
          { type: 'InternalIP', address: `10.0.${index}.10` },
          { type: 'Hostname', address: spec.name },
        ],
        nodeInfo: {
          kubeletVersion: 'v1.20.2-sim',
          containerRuntimeVersion: 'containerd://1.7.0-sim',
          operatingSystem: 'linux',
          architecture: 'arm64',
          osImage: 'simulated',
          kernelVersion: '6.1.0-sim',
          kubeProxyVersion: 'v1.20.2-sim',
          machineID: hex(spec.name, 32),
          systemUUID: hex(`uuid-${spec.name}`, 32),
          bootID: hex(`boot-${spec.name}`, 32),
        },
      },
    });
    // The apiserver's admission taints new Nodes not-ready; the node lifecycle controller lifts it once
    // the kubelet reports Ready. That controller is off in the test control plane, so play its part here.
    const taints = node.spec?.taints ?? [];
    const kept = taints.filter((t) => !LIFECYCLE_TAINTS.has(t.key ?? ''));
    if (kept.length !== taints.length) await client.patch(`/api/v1/nodes/${spec.name}`, { spec: { taints: kept } });
  }
  const startedAt = clock.now().getTime();
  const memoryPressure = new Map<string, boolean>();
  /** What one reconcile pass read: every pod, and the selectors of the Services looked up (null: none). */
  let pass: { pods: RawPod[]; services: Map<string, Record<string, string> | null> } = { pods: [], services: new Map() };
  let lastEvictionCheck = -Infinity;

  function newContainer(c: RawContainer, init: boolean): ContainerRuntime {
    return { name: c.name ?? '', init, image: c.image ?? '', pulled: false, restartCount: 0, starts: 0, ready: false, logOps: [] };
  }

  function podObject(rt: PodRuntime, fieldPath?: string): InvolvedObject {
    return { kind: 'Pod', namespace: rt.namespace, name: rt.name, uid: rt.uid, fieldPath };
  }

  async function emit(rt: PodRuntime, c: ContainerRuntime | undefined, ev: RecordedEvent, now: Date): Promise<void> {
    const fieldPath = c ? `spec.${c.init ? 'initContainers' : 'containers'}{${c.name}}` : undefined;
    await recorder(rt.node).record(podObject(rt, fieldPath), ev, now);
  }

  /** Resolves env the way the kubelet does before creating a container; returns the error text on a missing reference. */
  async function resolveEnv(ns: string, c: RawContainer): Promise<{ env: Map<string, string> } | { error: string }> {
    const env = new Map<string, string>();
    const cms = new Map<string, Record<string, string> | null>();
    const configMap = async (name: string) => {
      if (!cms.has(name)) {
        const cm = await client.getOrUndefined<{ data?: Record<string, string> }>(`/api/v1/namespaces/${ns}/configmaps/${name}`);
        cms.set(name, cm ? (cm.data ?? {}) : null);
      }
      return cms.get(name)!;
    };
    const secret = async (name: string) => {
      const s = await client.getOrUndefined<{ data?: Record<string, string> }>(`/api/v1/namespaces/${ns}/secrets/${name}`);
      return s ? Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])) : null;
    };
    for (const from of c.envFrom ?? []) {
      if (from.configMapRef?.name) {
        const data = await configMap(from.configMapRef.name);
        if (data === null) {
          if (from.configMapRef.optional) continue;
          return { error: `configmap "${from.configMapRef.name}" not found` };
        }
        for (const [k, v] of Object.entries(data)) env.set(k, v);
      }
      if (from.secretRef?.name) {
        const data = await secret(from.secretRef.name);
        if (data === null) {
          if (from.secretRef.optional) continue;
          return { error: `secret "${from.secretRef.name}" not found` };
        }
        for (const [k, v] of Object.entries(data)) env.set(k, v);
      }
    }
    for (const e of c.env ?? []) {
      if (!e.name) continue;
      if (e.value !== undefined) env.set(e.name, e.value);
      const cmRef = e.valueFrom?.configMapKeyRef;
      if (cmRef?.name) {
        const data = await configMap(cmRef.name);
        if (data === null) {
          if (cmRef.optional) continue;
          return { error: `configmap "${cmRef.name}" not found` };
        }
        const v = cmRef.key !== undefined ? data[cmRef.key] : undefined;
        if (v === undefined) {
          if (cmRef.optional) continue;
          return { error: `couldn't find key ${cmRef.key} in ConfigMap ${ns}/${cmRef.name}` };
        }
        env.set(e.name, v);
      }
      const sRef = e.valueFrom?.secretKeyRef;
      if (sRef?.name) {
        const data = await secret(sRef.name);
        if (data === null) {
          if (sRef.optional) continue;
          return { error: `secret "${sRef.name}" not found` };
        }
        const v = sRef.key !== undefined ? data[sRef.key] : undefined;
        if (v === undefined) {
          if (sRef.optional) continue;
          return { error: `couldn't find key ${sRef.key} in Secret ${ns}/${sRef.name}` };
        }
        env.set(e.name, v);
      }
    }
    return { env };
  }

  /** Volumes that must exist before any container is created (FailedMount otherwise). */
  async function missingVolume(pod: RawPod): Promise<string | undefined> {
    const ns = pod.metadata?.namespace ?? 'default';
    for (const v of pod.spec?.volumes ?? []) {
      if (v.configMap?.name && !v.configMap.optional) {
        if (!(await client.getOrUndefined(`/api/v1/namespaces/${ns}/configmaps/${v.configMap.name}`))) {
          return `MountVolume.SetUp failed for volume "${v.name}" : configmap "${v.configMap.name}" not found`;
        }
      }
      if (v.secret?.secretName && !v.secret.optional) {
        if (!(await client.getOrUndefined(`/api/v1/namespaces/${ns}/secrets/${v.secret.secretName}`))) {
          return `MountVolume.SetUp failed for volume "${v.name}" : secret "${v.secret.secretName}" not found`;
        }
      }
    }
    return undefined;
  }

  /** What a probe sees at time `now` for a container started at `since`. */
  function probe(p: Probe, c: RawContainer, behaviour: ImageBehaviour | undefined, podIP: string, since: number, now: number, kind: string): string | undefined {
    if (p.exec) {
      const ep = behaviour?.endpoints?.[0];
      if (!ep) return undefined;
      return healthy(ep, since, now) ? undefined : `${kind} probe failed: command ${JSON.stringify(p.exec.command ?? [])} exited with 1`;
    }
    const portOf = (port: number | string | undefined) =>
      typeof port === 'string' ? (c.ports?.find((x) => x.name === port)?.containerPort ?? Number(port)) : port;
    const timeout = (p.timeoutSeconds ?? 1) * 1000;
    if (p.tcpSocket) {
      const port = portOf(p.tcpSocket.port);
      const ep = behaviour?.endpoints?.find((e) => e.port === port);
      if (!ep || !healthy(ep, since, now)) return `${kind} probe failed: dial tcp ${podIP}:${port}: connect: connection refused`;
      return undefined;
    }
    if (p.httpGet) {
      const port = portOf(p.httpGet.port);
      const path = p.httpGet.path ?? '/';
      const url = `http://${podIP}:${port}${path}`;
      const onPort = behaviour?.endpoints?.filter((e) => e.port === port) ?? [];
      if (onPort.length === 0) return `${kind} probe failed: Get "${url}": dial tcp ${podIP}:${port}: connect: connection refused`;
      const ep = onPort.find((e) => e.path === undefined || e.path === path);
      if (!ep) return `${kind} probe failed: HTTP probe failed with statuscode: 404`;
      const hung = ep.hangsAfterSeconds !== undefined && now - since >= ep.hangsAfterSeconds * 1000;
      if (hung || (ep.responseSeconds ?? 0) * 1000 > timeout) {
        return `${kind} probe failed: Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`;
      }
      if (!healthy(ep, since, now)) return `${kind} probe failed: HTTP probe failed with statuscode: 503`;
      return undefined;
    }
    return undefined;
  }
  function healthy(ep: ImageEndpoint, since: number, now: number): boolean {
    return !ep.neverHealthy && now - since >= (ep.healthyAfterSeconds ?? 0) * 1000;
  }

  /** When, if ever, the running instance exits by itself, and how. */
  function plannedExit(rt: PodRuntime, c: ContainerRuntime, spec: RawContainer, behaviour: ImageBehaviour | undefined, env: Map<string, string>): { at: number; reason: string; exitCode: number; log?: string } | undefined {
    const since = c.runningSince!;
    const exits: { at: number; reason: string; exitCode: number; log?: string }[] = [];
    if (behaviour?.poisonedPods?.includes(rt.name)) {
      exits.push({ at: since + 3000, reason: 'Error', exitCode: 1, log: 'panic: cache index corrupt: checksum mismatch in /var/cache/app/index.db' });
    }
    const missing = (behaviour?.requiresEnv ?? []).filter((n) => !env.get(n));
    if (missing.length > 0) {
      exits.push({ at: since + 1000, reason: 'Error', exitCode: 1, log: `FATAL: required environment variable ${missing[0]} is not set` });
    }
    const limit = parseQuantity(spec.resources?.limits?.memory);
    const oomAt = behaviour && limit !== undefined ? oomTime(behaviour, limit, since) : undefined;
    if (oomAt !== undefined) exits.push({ at: oomAt, reason: 'OOMKilled', exitCode: 137 });
    for (const [i, rule] of (behaviour?.exitRules ?? []).entries()) {
      const from = ruleSince(rt, c, rule, i, behaviour!, env, since);
      if (from === undefined) continue;
      const code = rule.exitCode;
      const log = rule.log !== undefined || behaviour?.failureLogs?.length ? [...(rule.log !== undefined ? [rule.log] : []), ...(behaviour?.failureLogs ?? [])] : undefined;
      exits.push({ at: from + (rule.afterSeconds ?? 1) * 1000, reason: code === 0 ? 'Completed' : 'Error', exitCode: code, ...(log ? { log: log.join('\n') } : {}) });
    }
    const exitAfter = behaviour?.exitAfterSeconds ?? (c.init ? 1 : undefined);
    const onlyFirst = behaviour?.exitOnlyFirstStarts;
    if (exitAfter !== undefined && (onlyFirst === undefined || c.starts <= onlyFirst)) {
      const code = behaviour?.exitCode ?? (c.init ? 0 : 1);
      exits.push({ at: since + exitAfter * 1000, reason: code === 0 ? 'Completed' : 'Error', exitCode: code });
    }
    exits.sort((a, b) => a.at - b.at);
    return exits[0];
  }

  /** When an exit rule's condition started to hold for the running instance, or undefined when it does not. */
  function ruleSince(rt: PodRuntime, c: ContainerRuntime, rule: ExitRule, i: number, behaviour: ImageBehaviour, env: Map<string, string>, since: number): number | undefined {
    if (rule.onlyFirstStarts !== undefined && c.starts > rule.onlyFirstStarts) return undefined;
    const w = rule.when;
    if ('envAbsent' in w) return env.get(w.envAbsent) ? undefined : since;
    if ('envEquals' in w) return env.get(w.envEquals.name) === w.envEquals.value ? since : undefined;
    if ('configKey' in w || 'secretAbsent' in w) return c.startFacts?.get(i) ? since : undefined;
    if ('dependencyUnready' in w) return c.conditionSince?.get(i);
    if ('always' in w) return since;
    if ('podStateCorrupt' in w) return behaviour.corruptPods?.includes(rt.name) ? since : undefined;
    // randomPerHour: an exponential lifetime drawn from the instance's identity (the same run replays the same exits).
    const u = (parseInt(hex(`${rt.uid}/${c.name}/${c.starts}/${i}`, 12), 16) + 1) / (2 ** 48 + 2);
    return since + (-Math.log(u) / w.randomPerHour) * 3_600_000 - (rule.afterSeconds ?? 1) * 1000;
  }

  /** Facts an exit rule reads at container start (a config key, a Secret's presence). */
  async function startFacts(rt: PodRuntime, behaviour: ImageBehaviour | undefined): Promise<Map<number, boolean> | undefined> {
    const rules = behaviour?.exitRules ?? [];
    if (!rules.some((r) => 'configKey' in r.when || 'secretAbsent' in r.when)) return undefined;
    const facts = new Map<number, boolean>();
    for (const [i, r] of rules.entries()) {
      const w = r.when;
      if ('configKey' in w) {
        const cm = await client.getOrUndefined<{ data?: Record<string, string> }>(`/api/v1/namespaces/${rt.namespace}/configmaps/${w.configKey.configMap}`);
        facts.set(i, cm?.data?.[w.configKey.key] === w.configKey.equals);
      } else if ('secretAbsent' in w) {
        facts.set(i, !(await client.getOrUndefined(`/api/v1/namespaces/${rt.namespace}/secrets/${w.secretAbsent}`)));
      }
    }
    return facts;
  }

  /** Watches dependency rules: a Service of the namespace with no ready pod behind it. */
  async function watchDependencies(rt: PodRuntime, c: ContainerRuntime, behaviour: ImageBehaviour | undefined, t: number): Promise<void> {
    for (const [i, r] of (behaviour?.exitRules ?? []).entries()) {
      if (!('dependencyUnready' in r.when)) continue;
      const ready = await serviceReady(rt.namespace, r.when.dependencyUnready);
      c.conditionSince ??= new Map();
      if (ready) c.conditionSince.delete(i);
      else if (!c.conditionSince.has(i)) c.conditionSince.set(i, Math.max(t, c.runningSince ?? t));
    }
  }

  async function serviceReady(ns: string, service: string): Promise<boolean> {
    const key = `${ns}/${service}`;
    let selector = pass.services.get(key);
    if (selector === undefined) {
      const svc = await client.getOrUndefined<{ spec?: { selector?: Record<string, string> } }>(`/api/v1/namespaces/${ns}/services/${service}`);
      selector = svc ? (svc.spec?.selector ?? {}) : null;
      pass.services.set(key, selector);
    }
    if (selector === null || Object.keys(selector).length === 0) return false;
    return pass.pods.some(
      (p) =>
        p.metadata?.namespace === ns &&
        !p.metadata?.deletionTimestamp &&
        Object.entries(selector!).every(([k, v]) => p.metadata?.labels?.[k] === v) &&
        (p.status?.conditions?.some((cond) => cond.type === 'Ready' && cond.status === 'True') ?? false),
    );
  }

  /** Runtime fields of log lines. */
  function fill(rt: PodRuntime, c: ContainerRuntime, line: string, t: number): string {
    if (!line.includes('{')) return line;
    const fields: Record<string, string> = {
      pod: rt.name,
      container: c.name,
      namespace: rt.namespace,
      node: rt.node,
      uptime: `${Math.round((t - (c.runningSince ?? t)) / 1000)}s`,
      restarts: String(c.restartCount),
    };
    return line.replace(/\{(pod|container|namespace|node|uptime|restarts)\}/g, (_m, k: string) => fields[k]!);
  }

  function appendLog(c: ContainerRuntime, lines: string[]): void {
    if (lines.length === 0 || !simLogs) return;
    c.logOps.push({ text: lines.map((l) => `${l}\n`).join('') });
    // Bounded: a pod whose log endpoint keeps failing must not grow the heap.
    if (c.logOps.length > 100) c.logOps.splice(0, c.logOps.length - 100);
  }

  async function startContainer(rt: PodRuntime, c: ContainerRuntime, behaviour: ImageBehaviour | undefined, env: Map<string, string>, now: Date): Promise<void> {
    const t = now.getTime();
    c.env = env;
    if (c.terminated) {
      c.lastTerminated = stripAt(c.terminated);
      c.restartCount += 1;
      if (simLogs) c.logOps.push({ rotate: true });
      c.terminated = undefined;
      await emit(rt, c, { type: 'Normal', reason: 'Pulled', message: `Container image "${c.image}" already present on machine` }, now);
    }
    c.starts += 1;
    c.containerId = `containerd://${hex(`${rt.uid}/${c.name}/${c.starts}`)}`;
    c.waiting = undefined;
    c.runningSince = t;
    c.ready = false;
    c.readiness = undefined;
    c.liveness = undefined;
    c.conditionSince = undefined;
    c.lastPeriodicLog = t;
    c.startFacts = await startFacts(rt, behaviour);
    await emit(rt, c, { type: 'Normal', reason: 'Created', message: `Created container ${c.name}` }, now);
    await emit(rt, c, { type: 'Normal', reason: 'Started', message: `Started container ${c.name}` }, now);
    appendLog(c, (behaviour?.logs ?? []).map((l) => fill(rt, c, l, t)));
  }

  async function exitContainer(rt: PodRuntime, c: ContainerRuntime, at: number, reason: string, exitCode: number, now: Date): Promise<void> {
    c.terminated = {
      reason,
      exitCode,
      startedAt: rfc3339(c.runningSince!),
      finishedAt: rfc3339(at),
      containerID: c.containerId,
      at,
    } as ContainerStateTerminated & { at: number };
    c.runningSince = undefined;
    c.ready = false;
    if (reason === 'OOMKilled') {
      await recorder(rt.node).record(
        { kind: 'Node', namespace: '', name: rt.node, uid: rt.node },
        { type: 'Warning', reason: 'OOMKilling', message: `Memory cgroup out of memory: Killed process ${1000 + c.starts} (${c.name}) total-vm:0kB, anon-rss:0kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:0kB oom_score_adj:1000` },
        now,
      );
    }
  }

  /** Plays one container forward to `now`: pull, config, start, probes, exit and restart back-off. */
  async function syncContainer(rt: PodRuntime, pod: RawPod, spec: RawContainer, c: ContainerRuntime, now: Date): Promise<void> {
    const t = now.getTime();
    const restartPolicy = pod.spec?.restartPolicy ?? 'Always';
    const entry = registry.lookup(c.image);
    const behaviour = entry?.behaviour;

    if (c.runningSince === undefined && !c.terminated) {
      // Not created yet: pull, then resolve config, then create and start.
      if (!c.pulled) {
        const nodeImages = imageCache.get(rt.node)!;
        const ref = normaliseImage(c.image);
        const alwaysPull = spec.imagePullPolicy === 'Always' || (!spec.imagePullPolicy && ref.endsWith(':latest'));
        if (nodeImages.has(ref) && !alwaysPull && registry.has(c.image)) {
          c.pulled = true;
          await emit(rt, c, { type: 'Normal', reason: 'Pulled', message: `Container image "${c.image}" already present on machine` }, now);
        } else if (c.pullingUntil !== undefined) {
          if (t < c.pullingUntil) return;
          c.pullingUntil = undefined;
          c.pulled = true;
          nodeImages.add(ref);
          const secs = entry?.pullSeconds ?? 1;
          await emit(rt, c, { type: 'Normal', reason: 'Pulled', message: `Successfully pulled image "${c.image}" in ${secs}s (${secs}s including waiting)` }, now);
        } else if (c.pullFailedAt !== undefined && inBackoffSince(c.pullBackoff, c.pullFailedAt, t)) {
          if (c.waiting?.reason !== 'ImagePullBackOff') {
            c.waiting = { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` };
            await emit(rt, c, { type: 'Normal', reason: 'BackOff', message: `Back-off pulling image "${c.image}"` }, now);
            await emit(rt, c, { type: 'Warning', reason: 'Failed', message: 'Error: ImagePullBackOff' }, now);
          }
          return;
        } else {
          await emit(rt, c, { type: 'Normal', reason: 'Pulling', message: `Pulling image "${c.image}"` }, now);
          const secrets = (pod.spec?.imagePullSecrets ?? []).map((s) => s.name ?? '');
          const result = registry.pull(c.image, secrets);
          if (!result.ok) {
            const reason = result.kind === 'invalid' ? 'InvalidImageName' : 'ErrImagePull';
            c.waiting = { reason, message: result.message };
            c.pullFailedAt = t;
            c.pullBackoff = nextBackoff(c.pullBackoff, t, t);
            await emit(rt, c, { type: 'Warning', reason: 'Failed', message: `Failed to pull image "${c.image}": ${result.message}` }, now);
            await emit(rt, c, { type: 'Warning', reason: 'Failed', message: `Error: ${reason}` }, now);
            return;
          }
          c.pullBackoff = undefined;
          c.pullFailedAt = undefined;
          c.waiting = { reason: 'ContainerCreating' };
          c.pullingUntil = t + (result.entry.pullSeconds ?? 1) * 1000;
          if (t < c.pullingUntil) return;
          c.pullingUntil = undefined;
          c.pulled = true;
          nodeImages.add(ref);
          await emit(rt, c, { type: 'Normal', reason: 'Pulled', message: `Successfully pulled image "${c.image}" in 0s (0s including waiting)` }, now);
        }
      }
      const env = await resolveEnv(rt.namespace, spec);
      if ('error' in env) {
        if (c.waiting?.message !== env.error) await emit(rt, c, { type: 'Warning', reason: 'Failed', message: `Error: ${env.error}` }, now);
        c.waiting = { reason: 'CreateContainerConfigError', message: env.error };
        return;
      }
      await startContainer(rt, c, behaviour, env.env, now);
    }

    // Restart after an exit, honouring the crash back-off.
    if (c.terminated) {
      const code = c.terminated.exitCode ?? 0;
      const restart = restartPolicy === 'Always' || (restartPolicy === 'OnFailure' && code !== 0);
      if (!restart || (c.init && code === 0)) return;
      const finished = c.terminated.at;
      if (inBackoffSince(c.crashBackoff, finished, t)) {
        const message = `back-off ${goDuration(c.crashBackoff!.delay)} restarting failed container=${c.name} pod=${rt.name}_${rt.namespace}(${rt.uid})`;
        if (c.waiting?.message !== message) {
          await emit(rt, c, { type: 'Warning', reason: 'BackOff', message: `Back-off restarting failed container ${c.name} in pod ${rt.name}_${rt.namespace}(${rt.uid})` }, now);
        }
        c.waiting = { reason: 'CrashLoopBackOff', message };
        return;
      }
      c.crashBackoff = nextBackoff(c.crashBackoff, finished, t);
      const env = await resolveEnv(rt.namespace, spec);
      if ('error' in env) {
        if (c.waiting?.message !== env.error) await emit(rt, c, { type: 'Warning', reason: 'Failed', message: `Error: ${env.error}` }, now);
        c.waiting = { reason: 'CreateContainerConfigError', message: env.error };
        return;
      }
      await startContainer(rt, c, behaviour, env.env, now);
    }

    // Running: exits, probes.
    await watchDependencies(rt, c, behaviour, t);
    const exit = plannedExit(rt, c, spec, behaviour, c.env ?? new Map());
    const liveness = spec.livenessProbe;
    const readiness = spec.readinessProbe;
    const since = c.runningSince!;
    const probeState = (p: Probe) => ({ nextAt: since + (p.initialDelaySeconds ?? 0) * 1000, successes: 0, failures: 0 });
    if (liveness && !c.liveness) c.liveness = probeState(liveness);
    if (readiness && !c.readiness) c.readiness = probeState(readiness);
    if (!readiness) c.ready = true;

    // Walk probe times and the planned exit in order, so a probe never sees a dead process.
    for (;;) {
      const lAt = c.liveness && liveness ? c.liveness.nextAt : Infinity;
      const rAt = c.readiness && readiness ? c.readiness.nextAt : Infinity;
      const eAt = exit ? exit.at : Infinity;
      const next = Math.min(lAt, rAt, eAt);
      if (next > t) break;
      if (next === eAt && exit) {
        if (exit.log) appendLog(c, exit.log.split('\n').map((l) => fill(rt, c, l, exit.at)));
        await exitContainer(rt, c, exit.at, exit.reason, exit.exitCode, now);
        break;
      }
      if (next === lAt && liveness && c.liveness) {
        const fail = probe(liveness, spec, behaviour, rt.podIP, since, lAt, 'Liveness');
        c.liveness.nextAt += (liveness.periodSeconds ?? 10) * 1000;
        if (fail) {
          c.liveness.failures += 1;
          await emit(rt, c, { type: 'Warning', reason: 'Unhealthy', message: fail }, now);
          if (c.liveness.failures >= (liveness.failureThreshold ?? 3)) {
            await emit(rt, c, { type: 'Normal', reason: 'Killing', message: `Container ${c.name} failed liveness probe, will be restarted` }, now);
            await exitContainer(rt, c, lAt, 'Error', 143, now);
            break;
          }
        } else c.liveness.failures = 0;
        continue;
      }
      if (readiness && c.readiness) {
        const fail = probe(readiness, spec, behaviour, rt.podIP, since, rAt, 'Readiness');
        c.readiness.nextAt += (readiness.periodSeconds ?? 10) * 1000;
        if (fail) {
          c.readiness.successes = 0;
          c.readiness.failures += 1;
          await emit(rt, c, { type: 'Warning', reason: 'Unhealthy', message: fail }, now);
          if (c.readiness.failures >= (readiness.failureThreshold ?? 3)) c.ready = false;
        } else {
          c.readiness.failures = 0;
          c.readiness.successes += 1;
          if (c.readiness.successes >= (readiness.successThreshold ?? 1)) c.ready = true;
        }
      }
    }
    const periodic = behaviour?.periodicLogs;
    if (periodic && c.runningSince !== undefined && periodic.everySeconds > 0) {
      const every = periodic.everySeconds * 1000;
      c.lastPeriodicLog ??= c.runningSince;
      for (let n = 0; t - c.lastPeriodicLog >= every && n < 50; n++) {
        c.lastPeriodicLog += every;
        appendLog(c, periodic.lines.map((l) => fill(rt, c, l, c.lastPeriodicLog!)));
      }
    }
    // An exit is followed by a restart decision in the same pass, like the kubelet's next sync.
    if (c.terminated && (restartPolicy === 'Always' || (restartPolicy === 'OnFailure' && c.terminated.exitCode !== 0)) && !(c.init && c.terminated.exitCode === 0)) {
      await syncContainer(rt, pod, spec, c, now);
    }
  }

  function containerStatus(c: ContainerRuntime, spec: RawContainer): ContainerStatus & { containerID?: string } {
    let state: ContainerState;
    if (c.runningSince !== undefined) state = { running: { startedAt: rfc3339(c.runningSince) } };
    else if (c.waiting && (c.waiting.reason !== 'ContainerCreating' || !c.terminated)) state = { waiting: { ...c.waiting } };
    else if (c.terminated) state = { terminated: stripAt(c.terminated) };
    else state = { waiting: { reason: 'ContainerCreating' } };
    const status: ContainerStatus & { containerID?: string } = {
      name: c.name,
      image: spec.image,
      imageID: c.pulled ? `${normaliseImage(c.image).replace(/:[^:/@]+$/, '')}@sha256:${hex(normaliseImage(c.image))}` : '',
      ready: c.ready && c.runningSince !== undefined,
      started: c.runningSince !== undefined,
      restartCount: c.restartCount,
      state,
      lastState: c.lastTerminated ? { terminated: c.lastTerminated } : {},
    };
    if (c.containerId && (c.runningSince !== undefined || c.terminated)) status.containerID = c.containerId;
    return status;
  }

  function setCondition(rt: PodRuntime, type: string, ok: boolean, now: Date, reason?: string, message?: string): Condition {
    const status = ok ? 'True' : 'False';
    const prior = rt.conditions.get(type);
    const cond: Condition & { lastProbeTime: null } = {
      type,
      status,
      lastProbeTime: null,
      lastTransitionTime: prior && prior.status === status ? prior.lastTransitionTime : rfc3339(now),
      ...(reason ? { reason } : {}),
      ...(message ? { message } : {}),
    };
    rt.conditions.set(type, cond);
    return cond;
  }

  async function syncPod(pod: RawPod, now: Date): Promise<void> {
    const uid = pod.metadata?.uid ?? `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    // The caller syncs only pods bound to one of this kubelet's nodes.
    const node = pod.spec!.nodeName!;
    let rt = pods.get(uid);
    if (!rt) {
      const info = nodes.get(node)!;
      const n = (ipSeq.get(node) ?? 0) + 1;
      ipSeq.set(node, n);
      rt = {
        uid,
        namespace: pod.metadata?.namespace ?? 'default',
        name: pod.metadata?.name ?? '',
        node,
        startTime: now.getTime(),
        podIP: `10.244.${info.index}.${(n % 250) + 2}`,
        init: (pod.spec?.initContainers ?? []).map((c) => newContainer(c, true)),
        containers: (pod.spec?.containers ?? []).map((c) => newContainer(c, false)),
        conditions: new Map((pod.status?.conditions ?? []).map((c) => [c.type ?? '', c])),
        killing: false,
      };
      pods.set(uid, rt);
    }
    // Image changes on a live pod (kubectl set image on a bare Pod) restart that container.
    const specs = pod.spec?.containers ?? [];
    for (const [i, c] of rt.containers.entries()) {
      const s = specs[i];
      if (s?.image && s.image !== c.image) {
        if (c.runningSince !== undefined) {
          await emit(rt, c, { type: 'Normal', reason: 'Killing', message: `Container ${c.name} definition changed, will be restarted` }, now);
          await exitContainer(rt, c, now.getTime(), 'Error', 143, now);
        }
        c.image = s.image;
        c.pulled = false;
        c.pullBackoff = undefined;
        c.pullFailedAt = undefined;
        c.crashBackoff = undefined;
      }
    }

    rt.pod = pod;
    if (pod.metadata?.deletionTimestamp) {
      await finalise(rt, pod, now);
      return;
    }
    if (rt.evicted) return;
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;

    const volumeError = await missingVolume(pod);
    const initSpecs = pod.spec?.initContainers ?? [];
    let initialised = true;
    if (volumeError) {
      initialised = rt.init.length === 0;
      if (rt.mountWarning !== volumeError) {
        await emit(rt, undefined, { type: 'Warning', reason: 'FailedMount', message: volumeError }, now);
        rt.mountWarning = volumeError;
      }
    } else {
      rt.mountWarning = undefined;
      for (const [i, c] of rt.init.entries()) {
        if (c.terminated?.exitCode === 0) continue;
        initialised = false;
        await syncContainer(rt, pod, initSpecs[i] ?? {}, c, now);
        if (c.terminated?.exitCode === 0) {
          initialised = i === rt.init.length - 1;
          continue;
        }
        break;
      }
      if (initialised) for (const [i, c] of rt.containers.entries()) await syncContainer(rt, pod, specs[i] ?? {}, c, now);
    }
    await writeStatus(rt, pod, initialised, now);
    await flushLogs(rt);
  }

  async function writeStatus(rt: PodRuntime, pod: RawPod, initialised: boolean, now: Date): Promise<void> {
    const specs = pod.spec?.containers ?? [];
    const initSpecs = pod.spec?.initContainers ?? [];
    const statuses = rt.containers.map((c, i) => {
      const s = containerStatus(c, specs[i] ?? {});
      // Until every init container has completed, app containers wait with the kubelet's PodInitializing.
      if (!initialised && s.state?.waiting?.reason === 'ContainerCreating' && rt.init.length > 0) s.state = { waiting: { reason: 'PodInitializing' } };
      return s;
    });
    const initStatuses = rt.init.map((c, i) => {
      const s = containerStatus(c, initSpecs[i] ?? {});
      if (c.terminated?.exitCode === 0) s.ready = true;
      return s;
    });
    // getPhase (pkg/kubelet/kubelet_pods.go): waiting containers that never ran keep the pod Pending.
    let running = 0;
    let waiting = 0;
    let stopped = 0;
    let succeeded = 0;
    for (const c of rt.containers) {
      if (c.runningSince !== undefined) running++;
      else if (c.terminated && !c.waiting) {
        stopped++;
        if (c.terminated.exitCode === 0) succeeded++;
      } else if (c.lastTerminated || c.terminated) stopped++;
      else waiting++;
    }
    const policy = pod.spec?.restartPolicy ?? 'Always';
    let phase: string;
    if (!initialised || waiting > 0) phase = 'Pending';
    else if (running > 0) phase = 'Running';
    else if (stopped > 0 && policy === 'Always') phase = 'Running';
    else if (stopped > 0 && stopped === succeeded) phase = 'Succeeded';
    else if (stopped > 0 && policy === 'Never') phase = 'Failed';
    else if (stopped > 0) phase = 'Running';
    else phase = 'Pending';

    const notReady = rt.containers.filter((c) => !(c.ready && c.runningSince !== undefined)).map((c) => c.name);
    const incompleteInit = rt.init.filter((c) => c.terminated?.exitCode !== 0).map((c) => c.name);
    const conditions = [
      setCondition(rt, 'Initialized', incompleteInit.length === 0, now, incompleteInit.length ? 'ContainersNotInitialized' : undefined, incompleteInit.length ? `containers with incomplete status: [${incompleteInit.join(' ')}]` : undefined),
      setCondition(rt, 'Ready', notReady.length === 0, now, notReady.length ? 'ContainersNotReady' : undefined, notReady.length ? `containers with unready status: [${notReady.join(' ')}]` : undefined),
      setCondition(rt, 'ContainersReady', notReady.length === 0, now, notReady.length ? 'ContainersNotReady' : undefined, notReady.length ? `containers with unready status: [${notReady.join(' ')}]` : undefined),
      setCondition(rt, 'PodScheduled', true, now),
    ];
    const nodeIndex = nodes.get(rt.node)!.index;
    const status = {
      phase,
      conditions,
      hostIP: `10.0.${nodeIndex}.10`,
      podIP: rt.podIP,
      podIPs: [{ ip: rt.podIP }],
      startTime: rfc3339(rt.startTime),
      ...(initStatuses.length ? { initContainerStatuses: initStatuses } : {}),
      containerStatuses: statuses,
      qosClass: qosClass(specs),
    };
    const json = JSON.stringify(status);
    if (json === rt.lastWritten) return;
    // Merge patch replaces arrays whole; unset scalars explicitly so stale reason/message go away.
    await client.patch(`/api/v1/namespaces/${rt.namespace}/pods/${rt.name}/status`, {
      status: { reason: null, message: null, nominatedNodeName: null, ...status },
    });
    rt.lastWritten = json;
  }

  async function flushLogs(rt: PodRuntime): Promise<void> {
    if (!simLogs) return;
    for (const c of [...rt.init, ...rt.containers]) {
      try {
        const path = `/api/v1/namespaces/${rt.namespace}/pods/${rt.name}/simlog`;
        while (c.logOps.length > 0) {
          await client.create(path, { container: c.name, ...c.logOps[0] });
          c.logOps.shift();
        }
      } catch (e) {
        // The pod went away meanwhile: its log has nowhere to go.
        if (isNotFound(e)) c.logOps.length = 0;
        else throw e;
      }
    }
  }

  async function finalise(rt: PodRuntime, pod: RawPod, now: Date): Promise<void> {
    if (!rt.killing) {
      rt.killing = true;
      for (const c of rt.containers) {
        if (c.runningSince !== undefined) await emit(rt, c, { type: 'Normal', reason: 'Killing', message: `Stopping container ${c.name}` }, now);
      }
    }
    try {
      await client.delete(`/api/v1/namespaces/${rt.namespace}/pods/${rt.name}`, {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata?.uid },
      });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    pods.delete(rt.uid);
    recorder(rt.node).forget(rt.uid);
  }

  async function reconcile(): Promise<void> {
    if (stopped) return;
    const now = clock.now();
    if (!registered) {
      await registerNodes(now);
      registered = true;
      lastHeartbeat = now.getTime();
    } else if (now.getTime() - lastHeartbeat >= heartbeatMs) {
      lastHeartbeat = now.getTime();
      for (const { spec, index } of nodes.values()) await heartbeatNode(spec, index, now);
    }
    const all = await client.list<RawPod>('/api/v1/pods');
    pass = { pods: all, services: new Map() };
    const seen = new Set<string>();
    for (const pod of all) {
      if (stopped) return;
      const node = pod.spec?.nodeName;
      if (!node || !nodes.has(node)) continue;
      const uid = pod.metadata?.uid ?? '';
      seen.add(uid);
      try {
        await syncPod(pod, now);
      } catch (e) {
        // One pod's failure (e.g. deleted mid-sync) must not stall the others.
        if (!isNotFound(e)) onError(e);
      }
    }
    for (const [uid, rt] of pods) {
      if (!seen.has(uid)) {
        pods.delete(uid);
        recorder(rt.node).forget(uid);
      }
    }
    // The eviction manager's monitoring interval is 10 s.
    if (now.getTime() - lastEvictionCheck >= 10_000) {
      lastEvictionCheck = now.getTime();
      for (const { spec, index } of nodes.values()) await checkMemoryPressure(spec, index, now);
    }
  }

  /** Working-set bytes of a pod's running containers, from the behaviour model. */
  function podMemory(rt: PodRuntime, t: number): number {
    let bytes = 0;
    for (const c of rt.containers) {
      if (c.runningSince === undefined) continue;
      const b = registry.lookup(c.image)?.behaviour;
      if (b?.memoryMi === undefined) continue;
      bytes += memoryAt(b, t - c.runningSince);
    }
    return bytes;
  }

  /**
   * Memory eviction like the kubelet's eviction manager (hard threshold
   * memory.available < 100Mi): the node reports MemoryPressure and evicts
   * one pod per interval, first those using more than they requested, the
   * biggest overuse first.
   */
  async function checkMemoryPressure(spec: NodeSpec, index: number, now: Date): Promise<void> {
    const t = now.getTime();
    const allocatable = parseQuantity(spec.memory ?? '8Gi') ?? 8 * 2 ** 30;
    const threshold = 100 * MI;
    const live = [...pods.values()].filter((rt) => rt.node === spec.name && !rt.evicted && !rt.killing);
    const used = live.reduce((sum, rt) => sum + podMemory(rt, t), 0);
    const available = allocatable - used;
    const pressure = available < threshold;
    if (pressure !== (memoryPressure.get(spec.name) ?? false)) {
      memoryPressure.set(spec.name, pressure);
      await heartbeatNode(spec, index, now);
    }
    if (!pressure) return;
    const ranked = live
      .map((rt) => {
        const request = (rt.pod?.spec?.containers ?? []).reduce((sum, c) => sum + (parseQuantity(c.resources?.requests?.memory) ?? 0), 0);
        const usage = podMemory(rt, t);
        return { rt, usage, request, over: usage - request };
      })
      .filter((x) => x.usage > 0)
      .sort((a, b) => Number(b.over > 0) - Number(a.over > 0) || b.over - a.over);
    const victim = ranked[0];
    if (!victim) return;
    const { rt } = victim;
    const container = rt.containers.find((c) => c.runningSince !== undefined);
    const ki = (bytes: number) => `${Math.round(bytes / 1024)}Ki`;
    const containerSpec = rt.pod?.spec?.containers?.find((c) => c.name === container?.name);
    const message =
      `The node was low on resource: memory. Threshold quantity: 100Mi, available: ${ki(Math.max(0, available))}. ` +
      (container ? `Container ${container.name} was using ${ki(podMemory(rt, t))}, request is ${containerSpec?.resources?.requests?.memory ?? '0'}, has larger consumption of its request. ` : '');
    rt.evicted = true;
    await recorder(rt.node).record(podObject(rt), { type: 'Warning', reason: 'Evicted', message }, now);
    for (const c of rt.containers) {
      if (c.runningSince !== undefined) {
        await emit(rt, c, { type: 'Normal', reason: 'Killing', message: `Stopping container ${c.name}` }, now);
        await exitContainer(rt, c, t, 'Error', 137, now);
      }
    }
    const statuses = rt.containers.map((c, i) => containerStatus(c, rt.pod?.spec?.containers?.[i] ?? {}));
    await client.patch(`/api/v1/namespaces/${rt.namespace}/pods/${rt.name}/status`, {
      status: {
        phase: 'Failed',
        reason: 'Evicted',
        message,
        conditions: [
          setCondition(rt, 'Ready', false, now, 'PodFailed'),
          setCondition(rt, 'ContainersReady', false, now, 'PodFailed'),
          setCondition(rt, 'PodScheduled', true, now),
          setCondition(rt, 'Initialized', true, now),
        ],
        containerStatuses: statuses.map((st) => ({ ...st, ready: false, started: false })),
      },
    });
  }

  const guarded = async () => {
    if (running) return running;
    running = reconcile()
      .catch(onError)
      .finally(() => (running = undefined));
    return running;
  };

  const unlink = linkRegistry(client.url, registry);
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
      unlink();
      unsubscribe?.();
      if (timer) clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}

/** Go's time.Duration.String() for whole seconds: 10s, 1m20s, 5m0s (the kubelet's message format). */
export function goDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  if (h > 0) return `${h}h${m}m${sec}s`;
  if (m > 0) return `${m}m${sec}s`;
  return `${sec}s`;
}

function stripAt(t: ContainerStateTerminated & { at?: number }): ContainerStateTerminated {
  const { at: _at, ...rest } = t;
  return rest;
}

function qosClass(containers: RawContainer[]): string {
  let anySet = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) anySet = true;
    for (const r of ['cpu', 'memory']) {
      const l = lim[r];
      if (!l || (req[r] !== undefined && parseQuantity(req[r]) !== parseQuantity(l))) guaranteed = false;
    }
  }
  return guaranteed ? 'Guaranteed' : anySet ? 'Burstable' : 'BestEffort';
}

