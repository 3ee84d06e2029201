/**
 * The simulated kube-controller-manager: Deployment, ReplicaSet, StatefulSet,
 * HPA, garbage collector and namespace controllers, run in-process against the
 * store on every tick of the cluster clock. Their writes go through the same
 * store verbs as API requests, so clients see them exactly like a real
 * controller's (watch events, resourceVersions, events).
 */
import type { SimClock } from '../clock';
import { createRng } from '../api/random';
import type { ObjectStore } from '../api/store';
import { DeploymentController } from './deployment';
import { EventRecorder } from './events';
import { collectGarbage, expireEvents, finalizeNamespaces } from './gc';
import { HpaController } from './hpa';
import { syncReplicaSet } from './replicaset';
import { syncStatefulSet } from './statefulset';

export { METRIC_ANNOTATION } from './hpa';
export { REVISION, podTemplateHash } from './deployment';

export interface Controllers {
  stop(): void;
  /** One pass of every controller (what each clock tick runs). */
  reconcile(): Promise<void>;
}

export interface StartControllersOptions {
  store: ObjectStore;
  clock: SimClock;
  /** Seed for generated pod names and event names. */
  seed?: number;
  /** Called with any error a controller throws; the pass goes on with the next object. Default: console.error. */
  onError?: (error: unknown, where: string) => void;
}

export function startControllers(options: StartControllersOptions): Controllers {
  const { store, clock } = options;
  const rng = createRng(options.seed ?? 1_000_003);
  const events = new EventRecorder(store, rng);
  const deployments = new DeploymentController(store, events);
  const hpas = new HpaController(store, events);
  const report = options.onError ?? ((error: unknown, where: string) => console.error(`[controllers] ${where}:`, error));
  let running = false;
  let lastEventSweep = 0;

  const each = (resource: string, sync: (o: Record<string, unknown>) => void): void => {
    for (const object of store.list(resource)) {
      try {
        sync(object);
      } catch (error) {
        const m = object.metadata as Record<string, unknown>;
        report(error, `${resource} ${String(m.namespace)}/${String(m.name)}`);
      }
    }
  };

  const reconcile = async (): Promise<void> => {
    // Ticks can overlap with a RealClock; one pass at a time keeps reads and writes consistent.
    if (running) return;
    running = true;
    try {
      guard(() => finalizeNamespaces(store), 'namespaces');
      guard(() => collectGarbage(store), 'garbage collector');
      if (clock.now().getTime() - lastEventSweep >= 60_000) {
        lastEventSweep = clock.now().getTime();
        guard(() => expireEvents(store), 'event ttl');
      }
      each('horizontalpodautoscalers', (h) => hpas.sync(h));
      each('deployments', (d) => deployments.sync(d));
      each('replicasets', (rs) => syncReplicaSet(store, rs, rng, events));
      each('statefulsets', (sts) => syncStatefulSet(store, sts, events));
      // A second Deployment pass picks up the ReplicaSets' new status in the same tick.
      each('deployments', (d) => deployments.sync(d));
    } finally {
      running = false;
    }
  };

  const guard = (fn: () => void, where: string): void => {
    try {
      fn();
    } catch (error) {
      report(error, where);
    }
  };

  const unsubscribe = clock.onTick(() => reconcile());
  return { stop: unsubscribe, reconcile };
}
