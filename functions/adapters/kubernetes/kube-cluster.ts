import { HttpMethod, KubeConfig, PatchStrategy } from '@kubernetes/client-node';
import { z } from 'zod';
import { KubeNotFound, ValidationError } from '../../domain/errors';
import type { ClusterSnapshot, Deployment, HorizontalPodAutoscaler, KubeEvent, KubeObject, Namespace, Pod, ReplicaSet } from '../../domain/k8s';
import { systemClock, type Clock } from '../../ports/clock';
import type { Cluster, ControllerKind, PatchType, WriteOptions } from '../../ports/cluster';
import {
  KindSchema,
  LogOptionsSchema,
  NameSchema,
  NamespaceSchema,
  PATCH_CONTENT_TYPES,
  PatchOptionsSchema,
  SelectorSchema,
  check,
  checkPatch,
  writeQuery,
} from './kube-input';
import { listAll, takeSnapshot, type HpaVersion, type ListSelectors } from './kube-snapshot';
import { CONTROLLERS, KubeTransport, RESOURCES, hpaResource, objectPath, type RequestOptions, type Resource } from './kube-transport';

export interface KubeClusterOptions {
  clusterName: string;
  kubeConfig: KubeConfig;
  /** Items per list request (`limit`); @default 500 */
  pageSize?: number;
  /** Per-request timeout; @default 30000 */
  requestTimeoutMs?: number;
  /** Source of `snapshot().takenAt` and of default Event timestamps; @default the system clock */
  clock?: Clock;
}

const DEFAULT_PAGE_SIZE = 500;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_TAIL_LINES = 100;
const DEFAULT_LIMIT_BYTES = 8 * 1024;
/** Timestamp an event sorts by: the newest observation it records. */
function eventTime(event: KubeEvent): string {
  return event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata?.creationTimestamp ?? '';
}

/**
 * The Cluster port over `@kubernetes/client-node` (the only module that
 * imports it). Reads return plain API JSON; every failure is a named Kube*
 * error whose message carries the server's Status message and never a
 * credential.
 */
export class KubeCluster implements Cluster {
  readonly clusterName: string;
  private readonly kubeConfig: KubeConfig;
  private readonly pageSize: number;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly transport: KubeTransport;
  private hpaVersion?: Promise<HpaVersion>;

  constructor(options: KubeClusterOptions) {
    this.clusterName = check(z.string().min(1).max(100), options.clusterName, 'clusterName');
    this.pageSize = check(z.number().int().min(1).max(10_000), options.pageSize ?? DEFAULT_PAGE_SIZE, 'pageSize');
    this.timeoutMs = check(z.number().int().min(1).max(600_000), options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS, 'requestTimeoutMs');
    this.clock = options.clock ?? systemClock;
    this.kubeConfig = options.kubeConfig;
    this.transport = new KubeTransport(this.kubeConfig, this.timeoutMs);
  }

  /**
   * A cluster from a kubeconfig file. `context` selects a context other than
   * the current one; `clusterName` defaults to the context's cluster name.
   */
  static fromKubeconfigFile(
    path: string,
    options: { context?: string; clusterName?: string } & Omit<KubeClusterOptions, 'clusterName' | 'kubeConfig'> = {},
  ): KubeCluster {
    const kubeConfig = new KubeConfig();
    try {
      kubeConfig.loadFromFile(path);
    } catch (error) {
      throw new ValidationError(`kubeconfig ${path}: ${(error as Error).message}`, 'kubeconfig', { cause: error });
    }
    if (options.context !== undefined) {
      if (!kubeConfig.getContextObject(options.context)) {
        const known = kubeConfig.getContexts().map((c) => c.name);
        throw new ValidationError(`context '${options.context}' is not in ${path} (has: ${known.join(', ') || 'none'})`, 'context');
      }
      kubeConfig.setCurrentContext(options.context);
    }
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new ValidationError(`kubeconfig ${path}: no current context with a cluster`, 'kubeconfig');
    const { context: _context, clusterName, ...rest } = options;
    return new KubeCluster({ ...rest, clusterName: clusterName ?? cluster.name, kubeConfig });
  }

  // ---------------------------------------------------------------- reads

  async snapshot(options: { namespaces?: string[] } = {}): Promise<ClusterSnapshot> {
    const scoped = options.namespaces?.map((ns, i) => check(NamespaceSchema, ns, `namespaces.${i}`));
    const source = { transport: this.transport, pageSize: this.pageSize, clusterName: this.clusterName, hpaVersion: () => this.detectHpaVersion() };
    return takeSnapshot(source, this.clock.now().toISOString(), scoped);
  }

  async getNamespace(name: string): Promise<Namespace> {
    check(NamespaceSchema, name, 'name');
    return this.request<Namespace>(`get namespace ${name}`, HttpMethod.GET, `/api/v1/namespaces/${name}`);
  }

  async getPod(namespace: string, name: string): Promise<Pod> {
    this.checkRef(namespace, name);
    return this.request<Pod>(`get pod ${namespace}/${name}`, HttpMethod.GET, objectPath(RESOURCES.pods, namespace, name));
  }

  async listPods(namespace: string, labelSelector?: string): Promise<Pod[]> {
    check(NamespaceSchema, namespace, 'namespace');
    if (labelSelector !== undefined) check(SelectorSchema, labelSelector, 'labelSelector');
    return this.list<Pod>(RESOURCES.pods, namespace, { labelSelector });
  }

  async getDeployment(namespace: string, name: string): Promise<Deployment> {
    this.checkRef(namespace, name);
    return this.request<Deployment>(`get deployment ${namespace}/${name}`, HttpMethod.GET, objectPath(RESOURCES.deployments, namespace, name));
  }

  async listReplicaSets(namespace: string, labelSelector?: string): Promise<ReplicaSet[]> {
    check(NamespaceSchema, namespace, 'namespace');
    if (labelSelector !== undefined) check(SelectorSchema, labelSelector, 'labelSelector');
    return this.list<ReplicaSet>(RESOURCES.replicaSets, namespace, { labelSelector });
  }

  async getHpa(namespace: string, name: string): Promise<HorizontalPodAutoscaler> {
    this.checkRef(namespace, name);
    const what = `get horizontalpodautoscaler ${namespace}/${name}`;
    const version = await this.detectHpaVersion();
    if (version === 'none') throw new KubeNotFound(`${what}: the server serves no autoscaling/v2 or v2beta2 API`, 404);
    return this.request<HorizontalPodAutoscaler>(what, HttpMethod.GET, objectPath(hpaResource(version), namespace, name));
  }

  async getController(namespace: string, kind: ControllerKind, name: string): Promise<KubeObject> {
    this.checkRef(namespace, name);
    if (!Object.hasOwn(CONTROLLERS, kind)) throw new ValidationError(`kind: '${String(kind)}' is not a controller kind this adapter reads (${Object.keys(CONTROLLERS).join(', ')})`, 'kind');
    const resource = CONTROLLERS[kind];
    const what = `get ${resource.plural} ${namespace}/${name}`;
    try {
      return await this.request<KubeObject>(what, HttpMethod.GET, objectPath(resource, namespace, name));
    } catch (error) {
      // CronJob is batch/v1 from Kubernetes 1.21, batch/v1beta1 before (same resource for RBAC).
      if (kind !== 'CronJob' || !(error instanceof KubeNotFound)) throw error;
      return this.request<KubeObject>(what, HttpMethod.GET, objectPath({ ...resource, apiVersion: 'batch/v1beta1' }, namespace, name));
    }
  }

  async listEvents(namespace: string): Promise<KubeEvent[]> {
    check(NamespaceSchema, namespace, 'namespace');
    const events = await this.list<KubeEvent>(RESOURCES.events, namespace);
    return events.sort((a, b) => eventTime(a).localeCompare(eventTime(b)));
  }

  async eventsFor(namespace: string, kind: string, name: string): Promise<KubeEvent[]> {
    this.checkRef(namespace, name);
    check(KindSchema, kind, 'kind');
    const events = await this.list<KubeEvent>(RESOURCES.events, namespace, {
      fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}`,
    });
    // Filtered again here: a server that ignores the field selector must not
    // make another object's events look like this one's.
    return events
      .filter((e) => e.involvedObject?.kind === kind && e.involvedObject?.name === name)
      .sort((a, b) => eventTime(a).localeCompare(eventTime(b)));
  }

  async readLog(
    namespace: string,
    pod: string,
    container: string,
    options: { previous?: boolean; tailLines?: number; limitBytes?: number } = {},
  ): Promise<string> {
    this.checkRef(namespace, pod);
    check(NamespaceSchema, container, 'container');
    const o = check(LogOptionsSchema, options, 'options');
    const limitBytes = o.limitBytes ?? DEFAULT_LIMIT_BYTES;
    // Text, not JSON; and a pod that never ran answers 204 with no body.
    const text = await this.request<string>(
      `read log of ${namespace}/${pod}/${container}`,
      HttpMethod.GET,
      `${objectPath(RESOURCES.pods, namespace, pod)}/log`,
      {
        query: {
          container,
          previous: o.previous ? 'true' : undefined,
          tailLines: String(o.tailLines ?? DEFAULT_TAIL_LINES),
          limitBytes: String(limitBytes),
        },
        answer: 'text',
      },
    );
    // The bound holds even against a server that ignores limitBytes.
    const bytes = Buffer.from(text, 'utf8');
    return bytes.length <= limitBytes ? text : bytes.subarray(0, limitBytes).toString('utf8').replace(/\uFFFD$/, '');
  }

  // --------------------------------------------------------------- writes

  async patchDeployment(namespace: string, name: string, patch: unknown, type: PatchType, options: WriteOptions = {}): Promise<Deployment> {
    this.checkRef(namespace, name);
    checkPatch(patch, type);
    const o = check(PatchOptionsSchema, options, 'options');
    return this.request<Deployment>(`patch deployment ${namespace}/${name}`, HttpMethod.PATCH, objectPath(RESOURCES.deployments, namespace, name), {
      query: writeQuery(o),
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
    });
  }

  async scaleDeployment(namespace: string, name: string, replicas: number, options: WriteOptions = {}): Promise<Deployment> {
    this.checkRef(namespace, name);
    check(z.number().int().min(0).max(100_000), replicas, 'replicas');
    const o = check(PatchOptionsSchema, options, 'options');
    await this.request(`scale deployment ${namespace}/${name} to ${replicas}`, HttpMethod.PATCH, `${objectPath(RESOURCES.deployments, namespace, name)}/scale`, {
      query: writeQuery(o),
      body: { spec: { replicas } },
      contentType: PatchStrategy.MergePatch,
    });
    // The scale subresource answers with a Scale; callers want the Deployment
    // as stored now (unchanged under a dry run).
    return this.getDeployment(namespace, name);
  }

  async patchHpa(
    namespace: string,
    name: string,
    patch: unknown,
    type: PatchType,
    options: WriteOptions = {},
  ): Promise<HorizontalPodAutoscaler> {
    this.checkRef(namespace, name);
    checkPatch(patch, type);
    const o = check(PatchOptionsSchema, options, 'options');
    const what = `patch horizontalpodautoscaler ${namespace}/${name}`;
    const version = await this.detectHpaVersion();
    if (version === 'none') throw new KubeNotFound(`${what}: the server serves no autoscaling/v2 or v2beta2 API`, 404);
    return this.request<HorizontalPodAutoscaler>(what, HttpMethod.PATCH, objectPath(hpaResource(version), namespace, name), {
      query: writeQuery(o),
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
    });
  }

  async deletePod(namespace: string, name: string, options: WriteOptions & { gracePeriodSeconds?: number; uid?: string } = {}): Promise<void> {
    this.checkRef(namespace, name);
    const { gracePeriodSeconds, uid, ...write } = options;
    if (gracePeriodSeconds !== undefined) check(z.number().int().min(0).max(86_400), gracePeriodSeconds, 'gracePeriodSeconds');
    if (uid !== undefined) check(z.string().min(1).max(128), uid, 'uid');
    const o = check(PatchOptionsSchema, write, 'options');
    await this.request(`delete pod ${namespace}/${name}`, HttpMethod.DELETE, objectPath(RESOURCES.pods, namespace, name), {
      query: {
        dryRun: o.dryRun ? 'All' : undefined,
        gracePeriodSeconds: gracePeriodSeconds === undefined ? undefined : String(gracePeriodSeconds),
      },
      // DeleteOptions.preconditions: the server refuses (409) when the pod of that name is another one now.
      // A body replaces the query's options on kube-apiserver, so it repeats them (a dry run must stay one).
      ...(uid !== undefined
        ? {
            body: {
              apiVersion: 'v1',
              kind: 'DeleteOptions',
              preconditions: { uid },
              ...(o.dryRun ? { dryRun: ['All'] } : {}),
              ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}),
            },
          }
        : {}),
    });
  }

  async createEvent(event: KubeEvent, options: WriteOptions = {}): Promise<void> {
    const o = check(PatchOptionsSchema, options, 'options');
    const involved = check(
      z.object({ kind: KindSchema, name: NameSchema, namespace: NamespaceSchema, uid: z.string().optional() }),
      event.involvedObject,
      'event.involvedObject',
    );
    check(z.string().min(1).max(128), event.reason, 'event.reason');
    check(z.string().max(1024).optional(), event.message, 'event.message');
    const namespace = event.metadata?.namespace ?? involved.namespace;
    if (namespace !== involved.namespace) {
      throw new ValidationError('event.metadata.namespace must equal event.involvedObject.namespace', 'event.metadata.namespace');
    }
    // metav1.Time has whole seconds.
    const now = this.clock.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const body = {
      type: 'Normal',
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: 'eks-reflexion' },
      reportingComponent: 'eks-reflexion',
      ...event,
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        ...event.metadata,
        namespace,
        ...(event.metadata?.name ? {} : { generateName: `${involved.name.slice(0, 200)}.` }),
      },
      involvedObject: { ...event.involvedObject, namespace },
    };
    await this.request(`create event on ${involved.kind} ${namespace}/${involved.name}`, HttpMethod.POST, objectPath(RESOURCES.events, namespace), {
      query: writeQuery(o),
      body,
    });
  }

  // -------------------------------------------------------------- helpers

  private checkRef(namespace: string, name: string): void {
    check(NamespaceSchema, namespace, 'namespace');
    check(NameSchema, name, 'name');
  }

  /** Every list, paginated (kube-snapshot.ts). */
  private list<T>(resource: Resource, namespace: string | undefined, selectors: ListSelectors = {}): Promise<T[]> {
    return listAll<T>(this.transport, this.pageSize, resource, namespace, selectors);
  }

  /**
   * autoscaling/v2 where the server has it, else v2beta2 (Kubernetes < 1.23),
   * decided once per adapter from API discovery. A server without discovery
   * for the group is assumed to be modern (v2).
   */
  private detectHpaVersion(): Promise<HpaVersion> {
    this.hpaVersion ??= this.request<{ versions?: { version?: string }[] }>('discover autoscaling API versions', HttpMethod.GET, '/apis/autoscaling')
      .then((group): HpaVersion => {
        const versions = new Set((group.versions ?? []).map((v) => v.version));
        if (versions.has('v2')) return 'v2';
        if (versions.has('v2beta2')) return 'v2beta2';
        return 'none';
      })
      .catch((error: unknown): HpaVersion => {
        if (error instanceof KubeNotFound) return 'v2';
        // Not cached: a transient failure must not fix the choice for the adapter's life.
        this.hpaVersion = undefined;
        throw error;
      });
    return this.hpaVersion;
  }

  /** One API request (see KubeTransport.request). */
  private request<T>(what: string, method: HttpMethod, path: string, options?: RequestOptions): Promise<T> {
    return this.transport.request<T>(what, method, path, options);
  }
}
