import { ApiException, HttpMethod, KubeConfig, ServerConfiguration, createConfiguration, type HttpLibrary } from '@kubernetes/client-node';
import { KubeError, KubeThrottled, KubeTimeout, KubeUnavailable, ValidationError } from '../../domain/errors';
import type { ControllerKind } from '../../ports/cluster';
import { toKubeError } from './errors';

/**
 * The Kubernetes adapter's transport: one API request through client-node's
 * HTTP library with the KubeConfig's authentication and TLS, retried as
 * client-go does, every failure a named Kube* error without credentials; and
 * the resources the adapter addresses.
 */
export class KubeTransport {
  private readonly server: ServerConfiguration<Record<string, string>>;
  private readonly http: HttpLibrary;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly timeoutMs: number,
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new ValidationError('kubeConfig: the current context names no cluster', 'kubeConfig');
    this.server = new ServerConfiguration(cluster.server.replace(/\/+$/, ''), {});
    this.http = createConfiguration({ baseServer: this.server }).httpApi;
  }

  /** Secrets that must never appear in an error message. */
  private secrets(): string[] {
    const token = this.kubeConfig.getCurrentUser()?.token;
    return token ? [token] : [];
  }

  /**
   * One API request through client-node's transport, with the KubeConfig's
   * authentication (token, client certificate, exec plugin, EKS IAM token)
   * and TLS settings (CA, server name). Answers are the server's JSON as it
   * sent it: no model classes in between, so nothing is dropped or reformatted.
   */
  async request<T>(what: string, method: HttpMethod, path: string, options: RequestOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.requestOnce<T>(what, method, path, options);
      } catch (error) {
        const wait = retryDelayMs(error, method, attempt);
        if (wait === undefined) throw error;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  private async requestOnce<T>(what: string, method: HttpMethod, path: string, options: RequestOptions): Promise<T> {
    try {
      const context = this.server.makeRequestContext(path, method);
      context.setHeaderParam('Accept', options.answer === 'text' ? '*/*' : 'application/json');
      for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) context.setQueryParam(key, value);
      if (options.body !== undefined) {
        context.setHeaderParam('Content-Type', options.contentType ?? 'application/json');
        context.setBody(JSON.stringify(options.body));
      }
      await this.kubeConfig.applySecurityAuthentication(context);
      context.setSignal(AbortSignal.timeout(this.timeoutMs));
      const response = await this.http.send(context).toPromise();
      const text = await response.body.text();
      if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
        throw new ApiException(response.httpStatusCode, 'Unsuccessful HTTP request', text, response.headers);
      }
      if (options.answer === 'text') return text as T;
      try {
        return (text.length === 0 ? {} : JSON.parse(text)) as T;
      } catch (error) {
        throw new KubeError(`${what}: the server answered ${response.httpStatusCode} with a body that is not JSON`, response.httpStatusCode, { cause: error });
      }
    } catch (error) {
      throw toKubeError(error, what, this.secrets());
    }
  }
}

/**
 * Attempts of one request that failed transiently, as client-go retries: a
 * read (idempotent) on 429, 5xx and connection failures, a timed-out read
 * once more; a write only on 429 (refused unread; anything else may have been
 * applied, and the executor's idempotency decides). Found by the chaos bench:
 * one failed list among a snapshot's dozen lost the whole detection pass.
 */
const MAX_ATTEMPTS = 3;
const MAX_TIMEOUT_ATTEMPTS = 2;
/** Longest Retry-After honoured between attempts. */
const MAX_RETRY_AFTER_MS = 2_000;

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  answer?: 'json' | 'text';
}

/** Milliseconds to wait before attempt `attempt + 1`, or undefined: do not retry (see MAX_ATTEMPTS). */
function retryDelayMs(error: unknown, method: HttpMethod, attempt: number): number | undefined {
  const read = method === HttpMethod.GET;
  const retry =
    error instanceof KubeThrottled ? attempt < MAX_ATTEMPTS
    : !read ? false
    : error instanceof KubeTimeout ? attempt < MAX_TIMEOUT_ATTEMPTS
    : error instanceof KubeUnavailable && attempt < MAX_ATTEMPTS;
  if (!retry) return undefined;
  const headers = ((error as { cause?: { headers?: Record<string, string> } }).cause?.headers ?? {}) as Record<string, string>;
  const after = Number(headers['retry-after']);
  if (Number.isFinite(after) && after >= 0) return Math.min(after * 1000, MAX_RETRY_AFTER_MS);
  return 100 * 2 ** (attempt - 1) * (0.5 + Math.random());
}

export interface Resource {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

export const RESOURCES = {
  namespaces: { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  nodes: { apiVersion: 'v1', kind: 'Node', plural: 'nodes', namespaced: false },
  pods: { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  events: { apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true },
  deployments: { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
  replicaSets: { apiVersion: 'apps/v1', kind: 'ReplicaSet', plural: 'replicasets', namespaced: true },
  statefulSets: { apiVersion: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets', namespaced: true },
  daemonSets: { apiVersion: 'apps/v1', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true },
  jobs: { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs', namespaced: true },
  cronJobs: { apiVersion: 'batch/v1', kind: 'CronJob', plural: 'cronjobs', namespaced: true },
  k8sgptResults: { apiVersion: 'core.k8sgpt.ai/v1alpha1', kind: 'Result', plural: 'results', namespaced: true },
} as const satisfies Record<string, Resource>;

export const CONTROLLERS: Readonly<Record<ControllerKind, Resource>> = {
  Deployment: RESOURCES.deployments,
  ReplicaSet: RESOURCES.replicaSets,
  StatefulSet: RESOURCES.statefulSets,
  DaemonSet: RESOURCES.daemonSets,
  Job: RESOURCES.jobs,
  CronJob: RESOURCES.cronJobs,
};

export function hpaResource(version: 'v2' | 'v2beta2'): Resource {
  return { apiVersion: `autoscaling/${version}`, kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true };
}

/** `/api/v1/namespaces/ns/pods/name`; names are validated before they get here. */
export function objectPath(resource: Resource, namespace?: string, name?: string): string {
  const root = resource.apiVersion.includes('/') ? `/apis/${resource.apiVersion}` : `/api/${resource.apiVersion}`;
  const ns = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${root}${ns}/${resource.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}
