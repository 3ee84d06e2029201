import type {
  ClusterSnapshot,
  Deployment,
  HorizontalPodAutoscaler,
  KubeEvent,
  KubeObject,
  Namespace,
  Pod,
  ReplicaSet,
} from '../domain/k8s';

/** The controllers a pod's ownerReferences (or an HPA's scaleTargetRef) can name that the system reads. */
export const CONTROLLER_KINDS = ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'] as const;
export type ControllerKind = (typeof CONTROLLER_KINDS)[number];

/**
 * Read access to one cluster. Returns plain Kubernetes JSON (domain/k8s.ts).
 * Errors are the named Kube* errors of domain/errors.ts.
 */
export interface ClusterReader {
  readonly clusterName: string;
  /** Everything a detection pass needs, fetched with paginated lists. */
  snapshot(options?: { namespaces?: string[] }): Promise<ClusterSnapshot>;
  getNamespace(name: string): Promise<Namespace>;
  getPod(namespace: string, name: string): Promise<Pod>;
  listPods(namespace: string, labelSelector?: string): Promise<Pod[]>;
  getDeployment(namespace: string, name: string): Promise<Deployment>;
  listReplicaSets(namespace: string, labelSelector?: string): Promise<ReplicaSet[]>;
  getHpa(namespace: string, name: string): Promise<HorizontalPodAutoscaler>;
  /** One controller object (an owner of pods, or an HPA's scale target), as the API serves it. */
  getController(namespace: string, kind: ControllerKind, name: string): Promise<KubeObject>;
  /** Events of a namespace, newest last. */
  listEvents(namespace: string): Promise<KubeEvent[]>;
  /** Events whose involvedObject is the given object, newest last. */
  eventsFor(namespace: string, kind: string, name: string): Promise<KubeEvent[]>;
  /** Bounded tail of a container's log; `previous` reads the last terminated instance. */
  readLog(
    namespace: string,
    pod: string,
    container: string,
    options?: { previous?: boolean; tailLines?: number; limitBytes?: number },
  ): Promise<string>;
}

export type PatchType = 'strategic' | 'merge' | 'json';

export interface WriteOptions {
  /** Server-side dry run (`dryRun=All`): validated and admitted, nothing persisted. */
  dryRun?: boolean;
  fieldManager?: string;
}

/**
 * Write access to one cluster: the only mutations the action catalogue needs.
 * A patch that carries `metadata.resourceVersion` is an optimistic-concurrency
 * write (409 → KubeConflict).
 */
export interface ClusterWriter {
  patchDeployment(namespace: string, name: string, patch: unknown, type: PatchType, options?: WriteOptions): Promise<Deployment>;
  scaleDeployment(namespace: string, name: string, replicas: number, options?: WriteOptions): Promise<Deployment>;
  patchHpa(
    namespace: string,
    name: string,
    patch: unknown,
    type: PatchType,
    options?: WriteOptions,
  ): Promise<HorizontalPodAutoscaler>;
  /** With `uid`, only that pod: a replacement of the same name (a StatefulSet's) is a 409, never deleted. */
  deletePod(namespace: string, name: string, options?: WriteOptions & { gracePeriodSeconds?: number; uid?: string }): Promise<void>;
  /** Records a core/v1 Event on an object (reason EksReflexionRemediation). */
  createEvent(event: KubeEvent, options?: WriteOptions): Promise<void>;
}

export interface Cluster extends ClusterReader, ClusterWriter {}
