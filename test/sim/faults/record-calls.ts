import type { KubeClientLike, RequestOptions } from '../kube-client';

/**
 * A KubeClientLike that answers from nothing and records every call a
 * scenario makes (method, path, body, patch kind), so two implementations of
 * a scenario can be compared call for call without a cluster.
 */
export interface RecordedCall {
  method: string;
  path: string;
  body?: unknown;
  patch?: string;
  query?: unknown;
}

export function recordingClient(pods: (ns: string) => string[]): { client: KubeClientLike; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const push = (c: RecordedCall) => calls.push(JSON.parse(JSON.stringify(c)) as RecordedCall);
  const client: KubeClientLike = {
    url: 'https://recorder.invalid',
    async request<T>(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<T> {
      push({ method, path, body, ...(options?.patch ? { patch: options.patch } : {}) });
      return body as T;
    },
    async get<T>(path: string): Promise<T> {
      if (path === '/apis/autoscaling') return { versions: [{ version: 'v2' }] } as T;
      push({ method: 'GET', path });
      const d = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)$/.exec(path);
      if (d) return { metadata: { namespace: d[1], name: d[2], uid: 'uid-1', annotations: { 'deployment.kubernetes.io/revision': '2' } }, spec: { selector: { matchLabels: { app: d[2] } } } } as T;
      return {} as T;
    },
    async getOrUndefined<T>(path: string): Promise<T | undefined> {
      push({ method: 'GET', path });
      return undefined;
    },
    async list<T>(path: string, query?: RequestOptions['query']): Promise<T[]> {
      push({ method: 'LIST', path, ...(query ? { query } : {}) });
      const rs = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/replicasets$/.exec(path);
      if (rs) {
        return [1, 2].map((revision) => ({
          metadata: { name: `rs-${revision}`, namespace: rs[1], annotations: { 'deployment.kubernetes.io/revision': String(revision) }, ownerReferences: [{ uid: 'uid-1', controller: true }] },
          spec: { template: { metadata: { labels: { 'pod-template-hash': `h${revision}`, revision: String(revision) } }, spec: {} } },
        })) as T[];
      }
      const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(path);
      if (!m) return [];
      return pods(m[1]!).map((name) => ({ metadata: { name, namespace: m[1] }, spec: { nodeName: 'sim-node-a' } })) as T[];
    },
    async create<T>(path: string, body: unknown): Promise<T> {
      push({ method: 'POST', path, body });
      return body as T;
    },
    async replace<T>(path: string, body: unknown): Promise<T> {
      push({ method: 'PUT', path, body });
      return body as T;
    },
    async patch<T>(path: string, body: unknown, kind: string = 'merge'): Promise<T> {
      push({ method: 'PATCH', path, body, patch: kind });
      return body as T;
    },
    async delete<T>(path: string): Promise<T> {
      push({ method: 'DELETE', path });
      return {} as T;
    },
    close() {},
  };
  return { client, calls };
}
