import { startApiServer } from './api/server';
import type { SimClock } from './clock';
import { VirtualClock } from './clock';
import { startControllers } from './controllers';
import type { ScenarioInstance } from './faults/kit';
import { createKubeClient, type KubeClientLike } from './kube-client';
import { startKubelet, type NodeSpec } from './kubelet/kubelet';
import { startMetricsEmulator } from './kubelet/metrics';
import { ImageRegistry } from './registry';
import { startScheduler } from './scheduler/scheduler';

export type { NodeSpec } from './kubelet/kubelet';
export { ImageRegistry, type RegistryEntry, type ImageBehaviour } from './registry';
export type { SimClock } from './clock';
export { VirtualClock, RealClock } from './clock';
export { createKubeClient, connectionFromKubeconfig, type KubeClientLike } from './kube-client';

/**
 * The whole simulated cluster: the API server and its controllers, plus the
 * scheduler and kubelet emulators, which talk to the server over HTTPS like
 * their real counterparts. With the default VirtualClock nothing moves until
 * `advance`; with a RealClock everything runs on its own.
 */
export interface SimulatedCluster {
  url: string;
  token: string;
  caPem: string;
  kubeconfigYaml(): string;
  writeKubeconfig(path: string): Promise<void>;
  clock: SimClock;
  registry: ImageRegistry;
  /** An API client for this cluster (the one scenarios and tests use). */
  client: KubeClientLike;
  nodes: NodeSpec[];
  /** Moves cluster time forward (VirtualClock.advance: every loop reacts at each step). */
  advance(seconds: number, stepSeconds?: number): Promise<void>;
  /** Makes the instance's images pullable and creates its healthy baseline (does not inject). */
  apply(instance: ScenarioInstance): Promise<void>;
  /** HTTP requests the API server has served (a cost measure). */
  requestCount(): number;
  stop(): Promise<void>;
}

export interface SimulatedClusterOptions {
  clock?: SimClock;
  nodes?: NodeSpec[];
  registry?: ImageRegistry;
  seed?: number;
  port?: number;
  /** Fixed bearer token (e.g. for `sim serve`); random otherwise. */
  token?: string;
}

export const DEFAULT_NODES: NodeSpec[] = [
  { name: 'sim-node-a', cpu: '4', memory: '8Gi' },
  { name: 'sim-node-b', cpu: '4', memory: '8Gi' },
  { name: 'sim-node-c', cpu: '4', memory: '8Gi' },
];

export async function startSimulatedCluster(options: SimulatedClusterOptions = {}): Promise<SimulatedCluster> {
  const clock = options.clock ?? new VirtualClock();
  const registry = options.registry ?? new ImageRegistry();
  const nodes = options.nodes ?? DEFAULT_NODES;
  const names = new Set<string>();
  for (const n of nodes) {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(n.name)) throw new RangeError(`startSimulatedCluster: node name ${JSON.stringify(n.name)} is not a DNS-1123 name`);
    if (names.has(n.name)) throw new RangeError(`startSimulatedCluster: node ${n.name} given twice`);
    names.add(n.name);
  }
  const server = await startApiServer({
    clock,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
  });
  const client = createKubeClient({ url: server.url, token: server.token, caPem: server.caPem });
  // Order of the loops on each tick: controllers create pods, the scheduler binds them, the kubelet runs them.
  const controllers = startControllers({ store: server.store, clock, ...(options.seed !== undefined ? { seed: options.seed } : {}) });
  const scheduler = startScheduler({ client, clock });
  const kubelet = startKubelet({ client, clock, registry, nodes, simLogs: true });
  const metrics = startMetricsEmulator({ client, clock, registry });
  // The controllers react to clock ticks; a real clock only ticks inside advance(), so drive them here.
  const controllerTimer = clock.virtual ? undefined : setInterval(() => void controllers.reconcile().catch(() => undefined), 1000);
  try {
    await kubelet.reconcile(); // registers the nodes before anyone schedules
  } catch (e) {
    clearInterval(controllerTimer);
    await metrics.stop();
    await kubelet.stop();
    await scheduler.stop();
    controllers.stop();
    client.close();
    await server.stop();
    throw e;
  }
  let stopped = false;
  return {
    url: server.url,
    token: server.token,
    caPem: server.caPem,
    kubeconfigYaml: () => server.kubeconfigYaml(),
    writeKubeconfig: (path) => server.writeKubeconfig(path),
    clock,
    registry,
    client,
    nodes,
    advance: (seconds, stepSeconds) => clock.advance(seconds, stepSeconds),
    async apply(instance) {
      for (const image of instance.images) registry.add(image);
      await instance.setup(client);
    },
    requestCount: () => server.requestCount(),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(controllerTimer);
      await metrics.stop();
      await kubelet.stop();
      await scheduler.stop();
      controllers.stop();
      client.close();
      await server.stop();
    },
  };
}
