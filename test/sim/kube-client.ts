import http from 'node:http';
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import { KubeConfig } from '@kubernetes/client-node';

/**
 * A deliberately thin REST client for the simulator's own parts (kubelet and
 * scheduler emulators, fault scenarios). It speaks plain paths and JSON so
 * that the same calls go to the simulated API server and to a real
 * kube-apiserver without any client-library behaviour in between.
 */
export type PatchKind = 'merge' | 'strategic' | 'json';

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  patch?: PatchKind;
  /** Extra headers (e.g. Accept). */
  headers?: Record<string, string>;
}

export interface KubeClientLike {
  readonly url: string;
  request<T = unknown>(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<T>;
  get<T = unknown>(path: string, query?: RequestOptions['query']): Promise<T>;
  /** GET that returns undefined on 404 instead of throwing. */
  getOrUndefined<T = unknown>(path: string): Promise<T | undefined>;
  /** Follows `continue` until the list is complete; returns its items. */
  list<T = unknown>(path: string, query?: RequestOptions['query']): Promise<T[]>;
  create<T = unknown>(path: string, body: unknown, query?: RequestOptions['query']): Promise<T>;
  replace<T = unknown>(path: string, body: unknown, query?: RequestOptions['query']): Promise<T>;
  patch<T = unknown>(path: string, body: unknown, kind?: PatchKind, query?: RequestOptions['query']): Promise<T>;
  delete<T = unknown>(path: string, body?: unknown, query?: RequestOptions['query']): Promise<T>;
  close(): void;
}

/** A non-2xx answer, with the server's Status body when it sent one. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError' as const;
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    /** Parsed Status body (kind: Status, reason, code, message) or the raw text. */
    readonly body: unknown,
  ) {
    const msg = typeof body === 'object' && body !== null && 'message' in body ? String((body as { message: unknown }).message) : String(body).slice(0, 300);
    super(`${method} ${path} → ${status}: ${msg}`);
  }
  get reason(): string | undefined {
    return typeof this.body === 'object' && this.body !== null ? (this.body as { reason?: string }).reason : undefined;
  }
}

const CONTENT_TYPES: Record<PatchKind, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

export interface KubeConnection {
  url: string;
  token?: string;
  caPem?: string;
  /** Skip server certificate checks (only for throwaway local servers). */
  insecure?: boolean;
}

export function createKubeClient(conn: KubeConnection): KubeClientLike {
  const base = new URL(conn.url);
  const isHttps = base.protocol === 'https:';
  const agent = isHttps
    ? new https.Agent({ keepAlive: true, maxSockets: 8, ...(conn.caPem ? { ca: conn.caPem } : {}), rejectUnauthorized: !conn.insecure })
    : new http.Agent({ keepAlive: true, maxSockets: 8 });
  const prefix = base.pathname.replace(/\/$/, '');

  function request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) qs.set(k, String(v));
    const fullPath = prefix + path + (qs.size > 0 ? (path.includes('?') ? '&' : '?') + qs.toString() : '');
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
    if (conn.token) headers.Authorization = `Bearer ${conn.token}`;
    if (payload) {
      headers['Content-Type'] = method === 'PATCH' ? CONTENT_TYPES[options.patch ?? 'merge'] : 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const lib = isHttps ? https : http;
    return new Promise<T>((resolve, reject) => {
      const req = lib.request(
        { protocol: base.protocol, hostname: base.hostname, port: base.port, path: fullPath, method, headers, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            if (text.length > 0) {
              try {
                parsed = JSON.parse(text);
              } catch {
                // logs and some errors are plain text; keep them as they came
              }
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(parsed as T);
            else reject(new KubeApiError(method, path, status, parsed));
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  return {
    url: conn.url,
    request,
    get: (path, query) => request('GET', path, undefined, { query }),
    async getOrUndefined<T>(path: string) {
      try {
        return await request<T>('GET', path);
      } catch (e) {
        if (e instanceof KubeApiError && e.status === 404) return undefined;
        throw e;
      }
    },
    async list<T>(path: string, query: RequestOptions['query'] = {}) {
      const items: T[] = [];
      let cont: string | undefined;
      do {
        const page = await request<{ items?: T[]; metadata?: { continue?: string } }>('GET', path, undefined, {
          query: { limit: 500, ...query, continue: cont },
        });
        items.push(...(page.items ?? []));
        cont = page.metadata?.continue || undefined;
      } while (cont);
      return items;
    },
    create: (path, body, query) => request('POST', path, body, { query }),
    replace: (path, body, query) => request('PUT', path, body, { query }),
    patch: (path, body, kind = 'merge', query) => request('PATCH', path, body, { patch: kind, query }),
    delete: (path, body, query) => request('DELETE', path, body, { query }),
    close: () => agent.destroy(),
  };
}

/** Connection details from a kubeconfig file (current context; token auth only). */
export async function connectionFromKubeconfig(path: string): Promise<KubeConnection> {
  const kc = new KubeConfig();
  kc.loadFromString(await readFile(path, 'utf8'));
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster) throw new Error(`kubeconfig ${path}: the current context names no cluster`);
  const caPem = cluster.caData ? Buffer.from(cluster.caData, 'base64').toString('utf8') : cluster.caFile ? await readFile(cluster.caFile, 'utf8') : undefined;
  return { url: cluster.server, token: user?.token, caPem, insecure: cluster.skipTLSVerify };
}

/** True when the error is a Kubernetes 404 (object or path not found). */
export function isNotFound(e: unknown): boolean {
  return e instanceof KubeApiError && e.status === 404;
}
export function isConflict(e: unknown): boolean {
  return e instanceof KubeApiError && e.status === 409;
}
