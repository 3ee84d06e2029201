import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get as httpsGet } from 'node:https';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeCluster } from '../../functions/adapters/kubernetes/kube-cluster';
import { KubeConflict, KubeThrottled, KubeTimeout, KubeUnavailable } from '../../functions/domain/errors';
import { startApiServer } from '../sim/api/server';
import { RealClock } from '../sim/clock';
import { startKubeControlPlane, type KubeControlPlane } from '../support/kube-control-plane';
import { chaosProxyForKubeconfig, faultFor, FAULT_KINDS, startChaosProxy, type ChaosProxy, type FaultKind } from './chaos-proxy';

const run = promisify(execFile);
const KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';

describe('faultFor (which request gets which fault)', () => {
  const all = { kinds: FAULT_KINDS };
  const requests = (n: number) => Array.from({ length: n }, (_, i) => ({ method: ['GET', 'PATCH', 'POST', 'DELETE', 'PUT'][i % 5]!, path: `/api/v1/namespaces/ns-${i % 37}/pods/p-${i % 11}`, occurrence: Math.floor(i / 407) }));

  it.each([
    // The share asked for is the share injected (within sampling error over 5000 requests).
    { share: 0.1, seed: 1 },
    { share: 0.1, seed: 2 },
    { share: 0.3, seed: 7 },
  ])('injects about $share of requests (seed $seed)', ({ share, seed }) => {
    const reqs = requests(5000);
    const hits = reqs.filter((r) => faultFor({ ...all, share, seed }, r.method, r.path, r.occurrence) !== undefined).length;
    // 4 standard deviations of a binomial(5000, share).
    const sd = Math.sqrt(5000 * share * (1 - share));
    expect(Math.abs(hits - 5000 * share)).toBeLessThan(4 * sd);
  });

  it('is transparent at share 0, reproducible per seed, and different across seeds', () => {
    const reqs = requests(2000);
    const pattern = (share: number, seed: number) => reqs.map((r) => faultFor({ ...all, share, seed }, r.method, r.path, r.occurrence) ?? '-').join(',');
    expect(pattern(0, 1)).toBe(reqs.map(() => '-').join(','));
    expect(pattern(0.1, 1)).toBe(pattern(0.1, 1));
    expect(pattern(0.1, 1)).not.toBe(pattern(0.1, 2));
  });

  it('answers 409 only to PATCH and PUT, and loses answers only of writes', () => {
    const seen = new Map<string, Set<string>>();
    for (const r of requests(5000)) {
      const fault = faultFor({ kinds: FAULT_KINDS, share: 1, seed: 3 }, r.method, r.path, r.occurrence);
      if (fault) seen.set(fault, (seen.get(fault) ?? new Set()).add(r.method));
    }
    expect([...(seen.get('409') ?? [])].sort()).toEqual(['PATCH', 'PUT']);
    expect([...(seen.get('timeout-after-apply') ?? [])].sort()).toEqual(['DELETE', 'PATCH', 'POST', 'PUT']);
    for (const kind of ['429', '500', 'timeout']) expect(seen.get(kind)?.size).toBe(5);
  });
});

describe('the proxy in front of the simulated API server', () => {
  let server: Awaited<ReturnType<typeof startApiServer>>;
  let dir: string;
  const proxies: ChaosProxy[] = [];
  beforeAll(async () => {
    server = await startApiServer({ clock: new RealClock() });
    dir = await mkdtemp(join(tmpdir(), 'chaos-proxy-'));
  });
  afterAll(async () => {
    for (const p of proxies) await p.stop();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function through(share: number, seed: number, kinds: readonly FaultKind[] = FAULT_KINDS): Promise<{ proxy: ChaosProxy; cluster: KubeCluster }> {
    const proxy = await startChaosProxy({ upstream: server.url, caPem: server.caPem, share, seed, kinds, hangMs: 2_000 });
    proxies.push(proxy);
    const path = join(dir, `kubeconfig-${proxies.length}`);
    await writeFile(path, proxy.kubeconfigYaml(server.token));
    return { proxy, cluster: KubeCluster.fromKubeconfigFile(path, { clusterName: 'chaos', requestTimeoutMs: 300 }) };
  }

  it('injects the configured share, in the places the seed predicts, and the adapter survives single faults', async () => {
    const share = 0.25;
    const seed = 11;
    const { proxy, cluster } = await through(share, seed);
    let failed = 0;
    for (let i = 0; i < 80; i++) await cluster.getNamespace('default').catch(() => (failed += 1));
    // Every request the proxy saw (the adapter's retries included) got exactly the fault the seed names for it.
    const got = proxy.log.map((r) => r.fault ?? '-');
    expect(got).toEqual(got.map((_, i) => faultFor({ share, seed, kinds: FAULT_KINDS }, 'GET', '/api/v1/namespaces/default', i) ?? '-'));
    const faults = got.filter((f) => f !== '-').length;
    const sd = Math.sqrt(got.length * share * (1 - share));
    expect(Math.abs(faults - got.length * share)).toBeLessThan(4 * sd);
    expect(new Set(got.filter((f) => f !== '-'))).toEqual(new Set(['429', '500', 'timeout']));
    // Reads are retried (KubeCluster, as client-go): a caller sees an error only when consecutive attempts all failed.
    expect(failed).toBeLessThan(faults / 2);
  });

  it('answers 429 with Retry-After and a Status body', async () => {
    const { proxy, cluster } = await through(1, 5, ['429']);
    const answer = await new Promise<{ status: number; retryAfter: string | undefined; body: string }>((resolve, reject) => {
      const req = httpsGet(`${proxy.url}/api/v1/namespaces`, { ca: proxy.caPem, headers: { authorization: `Bearer ${server.token}` } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body }));
      });
      req.on('error', reject);
    });
    expect(answer).toMatchObject({ status: 429, retryAfter: '1' });
    expect(JSON.parse(answer.body)).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429 });
    const error = await cluster.getNamespace('default').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeThrottled);
  });

  it('a 409 on a write is a conflict to the client, and the write was not applied', async () => {
    const { cluster } = await through(1, 5, ['409']);
    const direct = KubeCluster.fromKubeconfigFile(await kubeconfigOf(server, dir), { clusterName: 'direct' });
    const error = await cluster.patchDeployment('default', 'nope', { metadata: { labels: { a: 'b' } } }, 'merge').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeConflict);
    // Reads are never answered 409.
    await expect(cluster.getNamespace('default')).resolves.toMatchObject({ metadata: { name: 'default' } });
    await expect(direct.getNamespace('default')).resolves.toBeTruthy();
  });

  it.each([
    // Why: a timeout before the server saw the request leaves nothing applied ...
    { kind: 'timeout' as const, applied: false },
    // ... and a lost answer leaves the write applied, which only idempotency makes safe to retry.
    { kind: 'timeout-after-apply' as const, applied: true },
  ])('a $kind on a write: the client times out, applied upstream: $applied', async ({ kind, applied }) => {
    const path = '/api/v1/namespaces/default/events';
    const seed = Array.from({ length: 200 }, (_, s) => s).find((s) => faultFor({ share: 1, seed: s, kinds: ['timeout'] }, 'POST', path, 0) === kind)!;
    const { proxy, cluster } = await through(1, seed, ['timeout']);
    const name = `lost-${kind}`.replace(/[^a-z-]/g, '');
    const started = Date.now();
    const error = await cluster.createEvent({ metadata: { namespace: 'default', name }, involvedObject: { kind: 'Pod', name: 'x', namespace: 'default' }, reason: 'Test' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeTimeout);
    expect(Date.now() - started).toBeLessThan(1_900);
    const direct = KubeCluster.fromKubeconfigFile(await kubeconfigOf(server, dir), { clusterName: 'direct' });
    const events = await direct.listEvents('default');
    expect(events.some((e) => e.metadata?.name === name)).toBe(applied);
    expect(proxy.log.at(-1)?.upstreamStatus).toBe(applied ? 201 : undefined);
  });

  it('kubectl 1.32 works through it at share 0', async () => {
    const { proxy } = await through(0, 1);
    await kubectlRoundTrip(proxy.kubeconfigYaml(server.token), await kubeconfigOf(server, dir), dir, 'sim');
  });
});

async function kubeconfigOf(server: { writeKubeconfig(path: string): Promise<void> }, dir: string): Promise<string> {
  const path = join(dir, 'direct-kubeconfig');
  await server.writeKubeconfig(path);
  return path;
}

/** kubectl through the proxy and directly: the same objects (by uid), and writes through the proxy land. */
async function kubectlRoundTrip(proxyKubeconfig: string, directPath: string, dir: string, label: string): Promise<void> {
  const viaPath = join(dir, `via-${label}`);
  await writeFile(viaPath, proxyKubeconfig);
  const kubectl = async (path: string, ...args: string[]) => (await run(KUBECTL, ['--kubeconfig', path, ...args], { timeout: 60_000 })).stdout;
  await kubectl(viaPath, 'create', 'namespace', `via-proxy-${label}`);
  const viaProxy = JSON.parse(await kubectl(viaPath, 'get', 'namespace', `via-proxy-${label}`, '-o', 'json')) as { metadata: { uid: string } };
  const direct = JSON.parse(await kubectl(directPath, 'get', 'namespace', `via-proxy-${label}`, '-o', 'json')) as { metadata: { uid: string } };
  expect(viaProxy.metadata.uid).toBe(direct.metadata.uid);
  await kubectl(viaPath, 'label', 'namespace', `via-proxy-${label}`, 'chaos=ok');
  expect(await kubectl(directPath, 'get', 'namespace', `via-proxy-${label}`, '-o', 'jsonpath={.metadata.labels.chaos}')).toBe('ok');
  expect(await kubectl(viaPath, 'get', 'ns', '-o', 'name')).toContain(`namespace/via-proxy-${label}`);
}

const REAL = Boolean(process.env.KUBE_ASSETS);
describe.runIf(REAL)('the proxy in front of the real kube-apiserver (TLS upstream)', () => {
  let plane: KubeControlPlane;
  let dir: string;
  let proxy: ChaosProxy | undefined;
  beforeAll(async () => {
    const started = await startKubeControlPlane();
    if ('skipped' in started) throw new Error(started.skipped);
    plane = started;
    dir = await mkdtemp(join(tmpdir(), 'chaos-proxy-real-'));
  }, 240_000);
  afterAll(async () => {
    await proxy?.stop();
    await plane?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('kubectl 1.32 works through it at share 0', async () => {
    const made = await chaosProxyForKubeconfig(plane.kubeconfigPath, { share: 0, seed: 1 });
    proxy = made.proxy;
    await kubectlRoundTrip(made.kubeconfig, plane.kubeconfigPath, dir, 'real');
  }, 120_000);

  it('injects faults in front of it as configured', async () => {
    const made = await chaosProxyForKubeconfig(plane.kubeconfigPath, { share: 0.3, seed: 4, kinds: ['500'] });
    const kc = new KubeConfig();
    kc.loadFromString(made.kubeconfig);
    const cluster = new KubeCluster({ clusterName: 'real', kubeConfig: kc });
    for (let i = 0; i < 40; i++) await cluster.getNamespace('default').catch((e: unknown) => expect(e).toBeInstanceOf(KubeUnavailable));
    await made.proxy.stop();
    const got = made.proxy.log.map((r) => (r.fault ? r.fault : r.upstreamStatus === 200 ? '-' : `upstream ${r.upstreamStatus}`));
    expect(got).toEqual(got.map((_, i) => faultFor({ share: 0.3, seed: 4, kinds: ['500'] }, 'GET', '/api/v1/namespaces/default', i) ?? '-'));
    expect(got.filter((s) => s === '500').length).toBeGreaterThan(4);
  }, 60_000);
});
