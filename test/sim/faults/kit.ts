import type { FailureKind } from '../../../functions/domain/incident';
import { mulberry32 } from '../../../functions/domain/selection';
import type { ActionName } from '../../../functions/domain/actions';
import type { Container, Deployment, Pod, ReplicaSet } from '../../../functions/domain/k8s';
import type { KubeClientLike } from '../kube-client';
import { isConflict, isNotFound, KubeApiError } from '../kube-client';
import type { RegistryEntry } from '../registry';
import type { SimClock } from '../clock';
import type { NodeSpec } from '../kubelet/kubelet';
import type { CollateralSnapshot } from '../scenario/oracle';
import type { Remedy } from '../scenario/schema';

/**
 * Shared pieces of the fault catalogue: the scenario contract, a seeded
 * random source, manifests, and the checks every oracle builds on. Every call
 * is a plain API call, so a scenario runs unchanged against the simulator and
 * against a real kube-apiserver (with the kubelet/scheduler emulators).
 */

export interface FaultExpectation {
  /** What a detector should report; null for the no-fault control. */
  kind: FailureKind | null;
  subReason?: string;
  /** Whether the closed action catalogue can fix it (false → the right outcome is escalate / hands off). */
  fixable: boolean;
  /** Catalogue actions that fix it. */
  fixes: ActionName[];
}

export interface FaultScenario {
  name: string;
  description: string;
  expected: FaultExpectation;
  /** False when the symptom needs a simulator-only part (e.g. the simulated HPA metric). */
  realCluster: boolean;
  /** One instance: the seed decides everything (names, sizes, the hidden cause); `options` can shift the cause mix. */
  instantiate(seed: number, options?: InstantiateOptions): ScenarioInstance;
  /** The scenario file it was loaded from. */
  source?: string;
  /** Who wrote it (benchmarks report families by author). */
  authors?: string[];
  family?: string;
  /** For the oracle and the benchmark only; never written to the cluster. A family's is per instance (ScenarioInstance.groundTruth). */
  groundTruth?: { rootCause: string; acceptableRemedies: Remedy[]; maskingRemedies: Remedy[] };
  /** A family's hidden causes, with their ground truth (for the oracle and the benchmark only). */
  causes?: { name: string; groundTruth: CauseGroundTruth }[];
  /** The author's mid-stream shift of the cause mix (pass as `instantiate(seed, { causeWeights: shift.causeWeights })`). */
  shift?: { causeWeights: Record<string, number> };
  /** The cluster's nodes when the scenario needs its own (default: the simulator's three). */
  nodes?: NodeSpec[];
}

export interface InstantiateOptions {
  /**
   * Factors on the causes' prior weights (after the conditional priors), by
   * cause name; unnamed causes keep ×1, 0 removes one. The draw takes one
   * number from the seed's stream whatever the weights, so an override changes
   * the cause of an instance and nothing else that was drawn before it.
   */
  causeWeights?: Readonly<Record<string, number>>;
  /**
   * Take this cause whatever the draw (tests of one cause; a bench that runs
   * each cause on purpose). Everything else is drawn as usual, the cause's
   * draw included, so the instance is the same but for its cause.
   */
  cause?: string;
}

/** What was wrong and what fixes it, for one cause. */
export interface CauseGroundTruth {
  symptom: { kind: string; subReason?: string } | null;
  rootCause: string;
  fixable: boolean;
  acceptableRemedies: Remedy[];
  maskingRemedies: Remedy[];
}

/** One instance's ground truth: the drawn cause (a single-cause file: its own name) and its truth. */
export interface InstanceGroundTruth extends CauseGroundTruth {
  cause: string;
}

export interface ScenarioInstance {
  scenario: string;
  seed: number;
  /** For the oracle and the benchmark only: nothing of it is written to the cluster (no label, annotation, log or event). */
  groundTruth: InstanceGroundTruth;
  namespace: string;
  workload: { kind: 'Deployment' | 'Pod'; name: string };
  /**
   * Images to add to the cluster's registry before setup. The registry keeps
   * these objects by reference; some scenarios change a behaviour in place
   * at inject time (e.g. transient-crashloop poisons one running pod).
   */
  images: RegistryEntry[];
  /** Creates the healthy baseline (namespace, config, workload at its first revision). */
  setup(k: KubeClientLike): Promise<void>;
  /** Introduces the fault. */
  inject(k: KubeClientLike): Promise<void>;
  /** True when the workload is fixed and healthy. */
  oracle(k: KubeClientLike): Promise<boolean>;
  /** The right fix, by hand (what an SRE would do). */
  manualFix(k: KubeClientLike): Promise<void>;
  /** Steps after the fault's first moment and background noise, on the cluster clock; returns a stop function. */
  schedule?(k: KubeClientLike, clock: SimClock, startedAt: number, onError?: (e: unknown) => void): () => void;
  /** The oracle's rest: how long healthy must hold, and the collateral checks. */
  judge?: {
    stabilityWindowSeconds: number;
    snapshot(k: KubeClientLike): Promise<CollateralSnapshot>;
    problems(before: CollateralSnapshot, after: CollateralSnapshot): string[];
  };
}

/** mulberry32 (the selection's own): the same sequence on every machine. */
export const rng = mulberry32;

const APPS = ['checkout', 'cart', 'catalog', 'payments', 'search', 'profile', 'orders', 'inventory', 'billing', 'ledger', 'notify', 'gateway'];
const TEAMS = ['shop', 'core', 'growth', 'platform', 'data', 'edge'];

export interface Names {
  app: string;
  team: string;
  namespace: string;
  repo: string;
  /** A semver-ish tag and the next one. */
  tag: string;
  nextTag: string;
  replicas: number;
  /** Integers in [lo, hi] from the same stream. */
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
}

/** Names, images and sizes for one instance: the seed decides everything, the scenario name salts it. */
export function names(scenario: string, seed: number): Names {
  let salt = 0;
  for (const ch of scenario) salt = (Math.imul(salt, 31) + ch.charCodeAt(0)) >>> 0;
  const r = rng((seed ^ salt) >>> 0);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const app = pick(APPS);
  const team = pick(TEAMS);
  const suffix = int(0, 0xfffff).toString(16).padStart(5, '0');
  const major = int(1, 4);
  const minor = int(0, 30);
  const patch = int(0, 9);
  return {
    app,
    team,
    namespace: `${team}-${suffix}`,
    repo: `registry.sim.local/${team}/${app}`,
    tag: `${major}.${minor}.${patch}`,
    nextTag: `${major}.${minor + 1}.0`,
    replicas: int(2, 3),
    int,
    pick,
  };
}

export async function ensureNamespace(k: KubeClientLike, name: string): Promise<void> {
  try {
    await k.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  } catch (e) {
    if (!(e instanceof KubeApiError && e.status === 409)) throw e;
  }
}

export interface DeploymentParams {
  namespace: string;
  name: string;
  replicas: number;
  container: Container & { ports?: { containerPort: number; name?: string }[] };
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  progressDeadlineSeconds?: number;
}

export function deploymentManifest(p: DeploymentParams): Deployment {
  const labels = { app: p.name, ...p.labels };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: p.name, namespace: p.namespace, labels, ...(p.annotations ? { annotations: p.annotations } : {}) },
    spec: {
      replicas: p.replicas,
      selector: { matchLabels: { app: p.name } },
      progressDeadlineSeconds: p.progressDeadlineSeconds ?? 120,
      revisionHistoryLimit: 10,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: { metadata: { labels }, spec: { containers: [p.container] } },
    },
  };
}

export const deploymentPath = (ns: string, name = '') => `/apis/apps/v1/namespaces/${ns}/deployments${name ? `/${name}` : ''}`;

export async function createDeployment(k: KubeClientLike, d: Deployment): Promise<void> {
  await k.create(deploymentPath(d.metadata!.namespace!, ''), d);
}

/** Strategic merge on the named container (containers merge by name, like kubectl set/patch). */
export async function patchContainer(k: KubeClientLike, ns: string, deployment: string, container: Record<string, unknown>): Promise<Deployment> {
  return k.patch<Deployment>(deploymentPath(ns, deployment), { spec: { template: { spec: { containers: [container] } } } }, 'strategic');
}

export async function getDeployment(k: KubeClientLike, ns: string, name: string): Promise<Deployment | undefined> {
  return k.getOrUndefined<Deployment>(deploymentPath(ns, name));
}

export async function podsOf(k: KubeClientLike, ns: string, app: string): Promise<Pod[]> {
  return k.list<Pod>(`/api/v1/namespaces/${ns}/pods`, { labelSelector: `app=${app}` });
}

/** Revision of a ReplicaSet (deployment.kubernetes.io/revision), 0 when absent. */
export function revisionOf(o: { metadata?: { annotations?: Record<string, string> } }): number {
  return Number(o.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0) || 0;
}

export async function replicaSetsOf(k: KubeClientLike, d: Deployment): Promise<ReplicaSet[]> {
  const ns = d.metadata!.namespace!;
  const selector = Object.entries(d.spec?.selector?.matchLabels ?? {})
    .map(([a, b]) => `${a}=${b}`)
    .join(',');
  const all = await k.list<ReplicaSet>(`/apis/apps/v1/namespaces/${ns}/replicasets`, { labelSelector: selector });
  return all
    .filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.uid === d.metadata?.uid && o.controller))
    .sort((a, b) => revisionOf(a) - revisionOf(b));
}

/**
 * What `kubectl rollout undo` does: copy the previous (or the given)
 * revision's pod template back into the Deployment, without the
 * pod-template-hash label, in one JSON patch guarded by resourceVersion.
 */
export async function rolloutUndo(k: KubeClientLike, ns: string, name: string, toRevision?: number): Promise<Deployment> {
  for (let attempt = 0; ; attempt++) {
    const d = await k.get<Deployment>(deploymentPath(ns, name));
    const current = revisionOf(d);
    const sets = await replicaSetsOf(k, d);
    const target = toRevision
      ? sets.find((rs) => revisionOf(rs) === toRevision)
      : [...sets].reverse().find((rs) => revisionOf(rs) < current);
    if (!target) throw new Error(`rollout undo ${ns}/${name}: no revision ${toRevision ?? `before ${current}`} found`);
    const template = structuredClone(target.spec!.template!);
    delete template.metadata?.labels?.['pod-template-hash'];
    try {
      return await k.patch<Deployment>(
        deploymentPath(ns, name),
        [{ op: 'replace', path: '/spec/template', value: template }],
        'json',
      );
    } catch (e) {
      // Someone wrote in between: read again, like kubectl's retry on conflict.
      if (attempt < 3 && isConflict(e)) continue;
      throw e;
    }
  }
}

export async function scaleDeployment(k: KubeClientLike, ns: string, name: string, replicas: number): Promise<void> {
  await k.patch(`${deploymentPath(ns, name)}/scale`, { spec: { replicas } }, 'merge');
}

function podReady(p: Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * The common oracle: the controller has seen the latest spec, every desired
 * replica is updated, ready and available, no old pods linger, and every live
 * pod of the workload is Ready. `check` adds what the scenario must also see.
 */
export async function deploymentHealthy(
  k: KubeClientLike,
  ns: string,
  name: string,
  check?: (d: Deployment, pods: Pod[]) => boolean,
): Promise<boolean> {
  const d = await getDeployment(k, ns, name);
  if (!d) return false;
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  if ((s.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) return false;
  if ((s.updatedReplicas ?? 0) !== want || (s.availableReplicas ?? 0) !== want || (s.readyReplicas ?? 0) !== want) return false;
  if ((s.replicas ?? 0) !== want || (s.unavailableReplicas ?? 0) > 0) return false;
  const pods = (await podsOf(k, ns, d.spec?.selector?.matchLabels?.app ?? name)).filter((p) => !p.metadata?.deletionTimestamp);
  if (pods.length !== want || !pods.every(podReady)) return false;
  return check ? check(d, pods) : true;
}

/** The image of the deployment's named container (the one scenarios patch). */
export function imageOf(d: Deployment, container: string): string | undefined {
  return d.spec?.template?.spec?.containers?.find((c) => c.name === container)?.image;
}

export async function deleteIfExists(k: KubeClientLike, path: string): Promise<void> {
  try {
    await k.delete(path);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

/** A readiness probe on the image's health endpoint, with forgiving timings (the healthy baseline). */
export function httpProbe(path: string, port: number, extra: Record<string, number> = {}) {
  return { httpGet: { path, port }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3, successThreshold: 1, ...extra };
}

/** A typical web service image: health endpoint, a start-up log line, modest memory. */
export function webImage(image: string, opts: { healthyAfterSeconds?: number; memoryMi?: number; port?: number; path?: string } = {}): RegistryEntry {
  const port = opts.port ?? 8080;
  return {
    image,
    behaviour: {
      endpoints: [{ path: opts.path ?? '/healthz', port, healthyAfterSeconds: opts.healthyAfterSeconds ?? 2 }],
      memoryMi: opts.memoryMi ?? 96,
      logs: [`starting ${image}`, `listening on :${port}`],
    },
  };
}

/** The baseline container of a web service built by webImage. */
export function webContainer(name: string, image: string, extra: Partial<Container> = {}): Container & { ports: { containerPort: number; name: string }[] } {
  return {
    name,
    image,
    ports: [{ containerPort: 8080, name: 'http' }],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    readinessProbe: httpProbe('/healthz', 8080),
    ...extra,
  };
}
