import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeCluster } from '../../functions/adapters/kubernetes/kube-cluster';
import {
  KubeError,
  KubeForbidden,
  KubeNotFound,
  KubeThrottled,
  KubeTimeout,
  KubeUnauthorized,
  KubeUnavailable,
} from '../../functions/domain/errors';

/**
 * Answers no real server gives on demand (throttling, 5xx, expired continue
 * tokens, a proxy echoing credentials) from a scripted local HTTP server, so
 * the adapter's mapping of each is pinned down.
 */
const TOKEN = 'sekret-bearer-token-0123456789';

const status = (code: number, message: string, reason: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
const podItem = (name: string) => ({ metadata: { name, namespace: 'ns', creationTimestamp: '2026-03-01T10:00:00Z' } });

let server: Server;
let requests: string[] = [];
let continueCalls = 0;
let inFlight = 0;
let maxInFlight = 0;

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  requests.push(`${req.method} ${url.pathname}${url.search}`);
  const json = (code: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const pod = /^\/api\/v1\/namespaces\/ns\/pods\/([^/]+)$/.exec(url.pathname)?.[1];
  switch (pod) {
    case 'forbidden':
      return json(403, status(403, 'pods "forbidden" is forbidden: User "arn:aws:sts::1:assumed-role/detect" cannot get resource "pods"', 'Forbidden'));
    case 'throttled':
      return json(429, status(429, 'Too many requests, please try again later.', 'TooManyRequests'), { 'retry-after': '1' });
    case 'broken':
      return json(500, status(500, 'etcdserver: leader changed', 'InternalError'));
    case 'unavailable':
      return json(503, status(503, 'the server is currently unable to handle the request', 'ServiceUnavailable'));
    case 'gateway':
      return json(504, status(504, 'the server was unable to return a response in the time allotted', 'Timeout'));
    case 'echo':
      // A misbehaving proxy that quotes the request's credentials back.
      return json(404, status(404, `no route for request with Authorization: ${req.headers.authorization ?? ''}`, 'NotFound'));
    case 'unauthorized':
      res.writeHead(401, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify(status(401, 'Unauthorized', 'Unauthorized')));
    default:
      break;
  }
  if (url.pathname === '/api/v1/namespaces/ns/pods/logged/log') {
    // Ignores limitBytes and sends 20 KiB.
    res.writeHead(200, { 'content-type': 'text/plain' });
    return void res.end('x'.repeat(20 * 1024));
  }
  if (url.pathname === '/api/v1/namespaces/paged/pods') {
    const cont = url.searchParams.get('continue');
    if (!cont) return json(200, { kind: 'PodList', metadata: { continue: 'c1' }, items: [podItem('a'), podItem('b')] });
    continueCalls += 1;
    // The first continue token has expired (etcd compacted); the list must restart.
    if (continueCalls === 1) return json(410, status(410, 'The provided continue parameter is too old', 'Expired'));
    return json(200, { kind: 'PodList', metadata: {}, items: [podItem('c')] });
  }
  if (url.pathname === '/api/v1/namespaces/loop/pods') {
    return json(200, { kind: 'PodList', metadata: { continue: 'same' }, items: [podItem('a')] });
  }
  if (url.pathname === '/api/v1/nodes') {
    return json(403, status(403, 'nodes is forbidden: User "detect" cannot list resource "nodes" at the cluster scope', 'Forbidden'));
  }
  if (url.pathname === '/apis/autoscaling') {
    return json(200, { kind: 'APIGroup', name: 'autoscaling', versions: [{ groupVersion: 'autoscaling/v1', version: 'v1' }] });
  }
  const many = /^\/api\/v1\/namespaces\/(n\d+)\/pods$/.exec(url.pathname)?.[1];
  if (many) {
    // Held briefly so that requests the adapter runs side by side overlap here.
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    setTimeout(() => {
      inFlight -= 1;
      json(200, { kind: 'PodList', metadata: {}, items: [podItem(`pod-of-${many}`)] });
    }, 20);
    return;
  }
  const nsName = /^\/api\/v1\/namespaces\/(ns|n\d+)$/.exec(url.pathname)?.[1];
  if (nsName) return json(200, { kind: 'Namespace', metadata: { name: nsName } });
  if (/^\/api\/v1\/namespaces\/n\d+\/events$/.test(url.pathname) || /^\/apis\/apps\/v1\/namespaces\/n\d+\/\w+$/.test(url.pathname)) {
    return json(200, { kind: 'List', metadata: {}, items: [] });
  }
  if (/^\/api\/v1\/namespaces\/ns\/(pods|events)$/.test(url.pathname) || /^\/apis\/apps\/v1\/namespaces\/ns\/\w+$/.test(url.pathname)) {
    return json(200, { kind: 'List', metadata: {}, items: [] });
  }
  json(404, status(404, `the server could not find the requested resource ${url.pathname}`, 'NotFound'));
}

let cluster: KubeCluster;

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: TOKEN }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  cluster = new KubeCluster({ clusterName: 'c', kubeConfig, pageSize: 2 });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('KubeCluster error mapping', () => {
  it.each([
    // The state machine retries only the retryable ones; names are what its Retry/Catch match.
    { pod: 'forbidden', type: KubeForbidden, name: 'KubeForbidden', retryable: false, status: 403, message: /403 Forbidden: .*cannot get resource "pods"/ },
    { pod: 'throttled', type: KubeThrottled, name: 'KubeThrottled', retryable: true, status: 429, message: /429 .*Too many requests/ },
    { pod: 'broken', type: KubeUnavailable, name: 'KubeUnavailable', retryable: true, status: 500, message: /500 .*leader changed/ },
    { pod: 'unavailable', type: KubeUnavailable, name: 'KubeUnavailable', retryable: true, status: 503, message: /503 .*unable to handle/ },
    { pod: 'gateway', type: KubeTimeout, name: 'KubeTimeout', retryable: true, status: 504, message: /504 / },
    { pod: 'unauthorized', type: KubeUnauthorized, name: 'KubeUnauthorized', retryable: false, status: 401, message: /401 Unauthorized/ },
  ])('$status → $name', async ({ pod, type, name, retryable, status: code, message }) => {
    const error = await cluster.getPod('ns', pod).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect((error as KubeError).name).toBe(name);
    expect((error as KubeError).retryable).toBe(retryable);
    expect((error as KubeError).status).toBe(code);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(`get pod ns/${pod}`);
    expect((error as Error).cause).toBeDefined();
  });

  it('a server message quoting the bearer token is redacted', async () => {
    const error = await cluster.getPod('ns', 'echo').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeNotFound);
    expect((error as Error).message).not.toContain(TOKEN);
    expect((error as Error).message).toContain('[REDACTED]');
  });
});

describe('KubeCluster lists and bounds', () => {
  it('restarts a list once when its continue token has expired (410)', async () => {
    requests = [];
    continueCalls = 0;
    const pods = await cluster.listPods('paged');
    expect(pods.map((p) => p.metadata?.name)).toEqual(['a', 'b', 'c']);
    expect(requests.filter((r) => r.startsWith('GET /api/v1/namespaces/paged/pods'))).toHaveLength(4);
    expect(typeof pods[0]?.metadata?.creationTimestamp).toBe('string');
  });

  it('a server that repeats its continue token is an error, not an endless scan', async () => {
    const error = await cluster.listPods('loop').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeError);
    expect((error as Error).message).toMatch(/repeated the same continue token/);
  });

  it('readLog stays within limitBytes even when the server ignores it', async () => {
    requests = [];
    const text = await cluster.readLog('ns', 'logged', 'app', { limitBytes: 4096, previous: true, tailLines: 50 });
    expect(Buffer.byteLength(text)).toBe(4096);
    const query = new URLSearchParams(requests[0]?.split('?')[1]);
    expect(Object.fromEntries(query)).toEqual({ container: 'app', previous: 'true', tailLines: '50', limitBytes: '4096' });
    // The default bound is 8 KiB.
    expect(Buffer.byteLength(await cluster.readLog('ns', 'logged', 'app'))).toBe(8192);
  });

  it('a snapshot without permission to list nodes still has everything else', async () => {
    const snap = await cluster.snapshot({ namespaces: ['ns'] });
    expect(snap.nodes).toEqual([]);
    expect(snap.namespaces.map((n) => n.metadata?.name)).toEqual(['ns']);
    // autoscaling without v2 or v2beta2: no HPAs, not a failure.
    expect(snap.hpas).toEqual([]);
  });

  it('a snapshot of many namespaces keeps a bounded number of requests in flight, results in order', async () => {
    // Hundreds of opted-in namespaces must not become hundreds of simultaneous requests.
    maxInFlight = 0;
    const names = Array.from({ length: 10 }, (_, i) => `n${i}`);
    const snap = await cluster.snapshot({ namespaces: names });
    expect(snap.pods.map((p) => p.metadata?.name)).toEqual(names.map((n) => `pod-of-${n}`));
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(4);
  });
});
