/**
 * Test support for the simulated API server: a started server with typed
 * @kubernetes/client-node APIs built from its kubeconfig, plus a raw HTTPS
 * request helper that trusts the server's CA (for what the client cannot
 * express: exact Status bodies, odd verbs, streams).
 */
import { request as httpsRequest } from 'node:https';
import { AppsV1Api, AutoscalingV2Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { VirtualClock } from '../clock';
import { startApiServer, type SimApiServer } from './server';

export interface TestServer {
  server: SimApiServer;
  clock: VirtualClock;
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  autoscaling: AutoscalingV2Api;
  raw(method: string, path: string, options?: { body?: unknown; contentType?: string; token?: string | null; accept?: string }): Promise<{ code: number; body: any; text: string }>;
}

export async function startTestServer(options: { seed?: number } = {}): Promise<TestServer> {
  const clock = new VirtualClock('2026-01-01T00:00:00Z');
  const server = await startApiServer({ clock, ...(options.seed !== undefined ? { seed: options.seed } : {}) });
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeconfigYaml());
  const raw: TestServer['raw'] = (method, path, opts = {}) =>
    new Promise((resolve, reject) => {
      const url = new URL(path, server.url);
      const headers: Record<string, string> = {};
      if (opts.token !== null) headers.Authorization = `Bearer ${opts.token ?? server.token}`;
      if (opts.accept) headers.Accept = opts.accept;
      let payload: string | undefined;
      if (opts.body !== undefined) {
        payload = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
        headers['Content-Type'] = opts.contentType ?? 'application/json';
      }
      const req = httpsRequest(url, { method, headers, ca: server.caPem }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // plain text (logs)
          }
          resolve({ code: res.statusCode ?? 0, body, text });
        });
      });
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  return { server, clock, kc, core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), autoscaling: kc.makeApiClient(AutoscalingV2Api), raw };
}

/** A minimal valid Deployment manifest. */
export function deploymentManifest(name: string, image: string, replicas = 2, extra: Record<string, unknown> = {}): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image }] } },
      ...extra,
    },
  };
}

/** The Kubernetes Status body inside a client-node ApiException (its body is the raw response text). */
export function statusOf(error: unknown): any {
  const body = (error as { body?: unknown }).body;
  return typeof body === 'string' ? JSON.parse(body) : body;
}
