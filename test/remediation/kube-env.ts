import { AppsV1Api, AutoscalingV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll } from 'vitest';
import { KubeCluster } from '../../functions/adapters/kubernetes/kube-cluster';
import type { Deployment, Pod } from '../../functions/domain/k8s';
import type { Cluster } from '../../functions/ports/cluster';
import { startKubeControlPlane, type KubeControlPlane } from '../support/kube-control-plane';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer } from '../sim/api/server';
import { startControllers } from '../sim/controllers';
import { RealClock } from '../sim/clock';

/**
 * The real kube-apiserver (+ controller-manager) for executor tests, plus the
 * kubelet's part played by the test: pods are bound to one fake node and get
 * a status from their image (a tag containing `missing` cannot be pulled,
 * `crash` crash-loops, anything else runs Ready).
 */
export interface KubeEnv {
  plane: KubeControlPlane;
  kubeconfigPath: string;
  cluster: KubeCluster;
  core: CoreV1Api;
  apps: AppsV1Api;
  autoscaling: AutoscalingV1Api;
  /** The real kube-apiserver: its ServiceAccount admission needs a namespace's `default` account before pods. */
  real: boolean;
}

export async function startKubeEnv(clusterName = 'test'): Promise<KubeEnv | { skipped: string }> {
  const plane = await startKubeControlPlane();
  if ('skipped' in plane) return plane;
  const kc = new KubeConfig();
  kc.loadFromFile(plane.kubeconfigPath);
  const env: KubeEnv = {
    plane,
    kubeconfigPath: plane.kubeconfigPath,
    cluster: KubeCluster.fromKubeconfigFile(plane.kubeconfigPath, { clusterName }),
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    autoscaling: kc.makeApiClient(AutoscalingV1Api),
    real: true,
  };
  await env.core.createNode({ body: { metadata: { name: 'node-1' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } } });
  return env;
}

/**
 * The same environment on the simulator's API server and controllers (real
 * time, no kubelet or scheduler of its own), so the executor tests drive the
 * simulator exactly as they drive the real kube-apiserver.
 */
export async function startSimKubeEnv(clusterName = 'test'): Promise<KubeEnv> {
  const clock = new RealClock();
  const server = await startApiServer({ clock });
  const controllers = startControllers({ store: server.store, clock });
  // A real clock has no ticks of its own: reconcile like a controller-manager's resync.
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    // Not awaited (an interval tick); a failed reconcile surfaces as an unhandled rejection, which vitest reports.
    void controllers.reconcile().finally(() => {
      busy = false;
    });
  }, 100);
  const dir = await mkdtemp(join(tmpdir(), 'sim-kube-env-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  await server.writeKubeconfig(kubeconfigPath);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const plane: KubeControlPlane = {
    kubeconfigPath,
    url: server.url,
    runDir: dir,
    async stop() {
      clearInterval(timer);
      controllers.stop();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  const env: KubeEnv = {
    plane,
    kubeconfigPath,
    cluster: KubeCluster.fromKubeconfigFile(kubeconfigPath, { clusterName }),
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    autoscaling: kc.makeApiClient(AutoscalingV1Api),
    real: false,
  };
  await env.core.createNode({ body: { metadata: { name: 'node-1' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } } });
  return env;
}

let counter = 0;
export const freshNamespace = (prefix = 'rem') => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export async function createNamespace(env: KubeEnv, name: string, meta: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}) {
  await env.core.createNamespace({ body: { metadata: { name, ...meta } } });
  if (env.real) await defaultServiceAccount(env, name);
}

/**
 * Waits for the controller-manager to create the namespace's `default`
 * ServiceAccount (and its token): until then the real kube-apiserver refuses
 * pods with a 500 "No API token found" — a race a loaded CI machine loses.
 */
async function defaultServiceAccount(env: KubeEnv, namespace: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    // 1.20's tokens controller adds the token secret after the account exists; admission needs both.
    const found = await env.core.readNamespacedServiceAccount({ namespace, name: 'default' }).then(
      (sa) => (sa.secrets?.length ?? 0) > 0,
      () => false,
    );
    if (found) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`namespace ${namespace}: no default ServiceAccount with a token after 30 s`);
}

export async function createDeployment(
  env: KubeEnv,
  namespace: string,
  name: string,
  options: { image?: string; replicas?: number; labels?: Record<string, string>; annotations?: Record<string, string>; withProbe?: boolean } = {},
): Promise<void> {
  await env.apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name, namespace, labels: { app: name, ...(options.labels ?? {}) }, annotations: options.annotations ?? {} },
      spec: {
        replicas: options.replicas ?? 2,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            containers: [
              {
                name: 'app',
                image: options.image ?? 'registry.local/web:1.0',
                resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
                ...(options.withProbe ? { readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10, failureThreshold: 3 } } : {}),
              },
            ],
          },
        },
      },
    },
  });
}

const podConditions = (ready: boolean, now: Date) => [
  { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
  { type: 'Initialized', status: 'True', lastTransitionTime: now },
  { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: now },
  { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now },
];

// A pod changed (or vanished) between list and write: the next pass sees the new version.
function ignoreConflict(error: unknown): void {
  const code = (error as { code?: number }).code;
  if (code !== 409 && code !== 404) throw error;
}

/**
 * One kubelet pass over the namespace: binds unbound pods, writes their
 * status from the image, and finishes deletions (no kubelet would otherwise).
 */
export async function kubeletPass(env: KubeEnv, namespace: string): Promise<void> {
  const pods = (await env.core.listNamespacedPod({ namespace })).items;
  // client-node serialises Date-typed fields with toISOString, so they must be Dates here.
  const now = new Date();
  for (const pod of pods) {
    const name = pod.metadata!.name!;
    if (pod.metadata?.deletionTimestamp) {
      await env.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 }).catch(() => undefined);
      continue;
    }
    if (!pod.spec?.nodeName) {
      await env.core.createNamespacedPodBinding({ namespace, name, body: { metadata: { name }, target: { kind: 'Node', name: 'node-1' } } }).catch(ignoreConflict);
      continue; // the status goes on the bound pod in the next pass
    }
    const containers = pod.spec?.containers ?? [];
    const failing = containers.some((c) => /missing|crash/.test(c.image ?? ''));
    const existing = new Map((pod.status?.containerStatuses ?? []).map((cs) => [cs.name, cs]));
    const statuses = containers.map((c) => {
      const image = c.image ?? '';
      const restartCount = existing.get(c.name)?.restartCount ?? 0;
      if (image.includes('missing')) return { name: c.name, image, imageID: '', ready: false, restartCount, state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` } } };
      if (image.includes('crash')) return { name: c.name, image, imageID: '', ready: false, restartCount: restartCount + 1, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'Error', exitCode: 1, finishedAt: now } } };
      const started = existing.get(c.name)?.state?.running?.startedAt;
      return { name: c.name, image, imageID: `docker-pullable://${image}`, ready: true, restartCount, state: { running: { startedAt: started ?? now } } };
    });
    const wasReady = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (wasReady && !failing) continue;
    await env.core
      .replaceNamespacedPodStatus({
        namespace,
        name,
        body: { ...pod, status: { phase: failing ? 'Pending' : 'Running', conditions: podConditions(!failing, now), containerStatuses: statuses as never, startTime: now } },
      })
      .catch(ignoreConflict);
  }
}

/** Runs kubelet passes until `done` holds (controllers work asynchronously), or fails after `tries`. */
export async function settle(env: KubeEnv, namespace: string, done: () => Promise<boolean>, tries = 60): Promise<void> {
  for (let i = 0; i < tries; i++) {
    await kubeletPass(env, namespace);
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`settle: condition not reached in namespace ${namespace}`);
}

export async function deploymentAvailable(cluster: Cluster, namespace: string, name: string): Promise<boolean> {
  const d: Deployment = await cluster.getDeployment(namespace, name);
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    s.updatedReplicas === want &&
    s.availableReplicas === want &&
    (s.replicas ?? 0) === want
  );
}

/** The parts of a Deployment the catalogue may change: what "restored exactly" compares. */
export function relevantSpec(d: Deployment) {
  return {
    replicas: d.spec?.replicas,
    template: d.spec?.template,
  };
}

export type WriteCounter = { writes: { method: string; dryRun: boolean }[] };

/** Wraps the Cluster port so a test can count every write call that reached the adapter. */
export function countingCluster(inner: Cluster): Cluster & WriteCounter {
  const writes: { method: string; dryRun: boolean }[] = [];
  const writeMethods = new Set(['patchDeployment', 'scaleDeployment', 'patchHpa', 'deletePod', 'createEvent']);
  return new Proxy(inner as Cluster & WriteCounter, {
    get(target, prop, receiver) {
      if (prop === 'writes') return writes;
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (typeof prop === 'string' && writeMethods.has(prop)) {
        return (...args: unknown[]) => {
          const options = args.find((a, i) => i >= 1 && typeof a === 'object' && a !== null && 'dryRun' in (a as object)) as { dryRun?: boolean } | undefined;
          writes.push({ method: prop, dryRun: options?.dryRun === true });
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

export async function podsOf(env: KubeEnv, namespace: string, app: string): Promise<Pod[]> {
  return env.cluster.listPods(namespace, `app=${app}`);
}

export { PatchStrategy, setHeaderOptions };

/**
 * Call inside a describe: starts the environment before its tests (a
 * skipped real control plane fails them, naming why), hands it and a generic
 * object client to `ready`, and stops it after.
 */
export function useKubeEnv(start: () => Promise<KubeEnv | { skipped: string }>, ready: (env: KubeEnv, objects: KubernetesObjectApi) => void): void {
  let env: KubeEnv | undefined;
  beforeAll(async () => {
    const started = await start();
    if ('skipped' in started) throw new Error(started.skipped);
    env = started;
    const kc = new KubeConfig();
    kc.loadFromFile(env.kubeconfigPath);
    ready(env, KubernetesObjectApi.makeApiClient(kc));
  }, 120_000);
  afterAll(async () => {
    await env?.plane.stop();
  });
}
