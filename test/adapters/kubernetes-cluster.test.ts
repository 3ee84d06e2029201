import { createServer, type Server, type Socket } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detect } from '../../bin/commands/detect';
import { KubeCluster } from '../../functions/adapters/kubernetes/kube-cluster';
import {
  KubeConflict,
  KubeInvalid,
  KubeNotFound,
  KubeTimeout,
  KubeUnauthorized,
  KubeUnavailable,
  ValidationError,
} from '../../functions/domain/errors';
import { startSimulatedCluster } from '../sim/index';
import { startKubeControlPlane } from '../support/kube-control-plane';

/**
 * The Kubernetes adapter against real servers over HTTPS. Each target is a
 * server the adapter must work against unchanged; a target that cannot run
 * here says why and its half is skipped visibly.
 */
interface Target {
  name: string;
  start(): Promise<{ kubeconfigPath: string; stop(): Promise<void> } | { skipped: string }>;
  /** Pod admission needs the namespace's default ServiceAccount (created by a controller). */
  serviceAccounts: boolean;
}

async function startSimulator(): Promise<{ kubeconfigPath: string; stop(): Promise<void> }> {
  const sim = await startSimulatedCluster();
  const dir = await mkdtemp(join(tmpdir(), 'kc-sim-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  await sim.writeKubeconfig(kubeconfigPath);
  return {
    kubeconfigPath,
    async stop() {
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const targets: Target[] = [
  { name: 'the cluster simulator (autoscaling/v2)', start: startSimulator, serviceAccounts: false },
  {
    name: 'real kube-apiserver 1.20 (autoscaling/v2beta2)',
    start: () => startKubeControlPlane(),
    serviceAccounts: true,
  },
];

const POD_COUNT = 7;
const PAGE = 3;

function hasDate(value: unknown): boolean {
  if (value instanceof Date) return true;
  if (Array.isArray(value)) return value.some(hasDate);
  if (value !== null && typeof value === 'object') return Object.values(value).some(hasDate);
  return false;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

async function eventually<T>(fn: () => Promise<T>, attempts = 100): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i += 1) {
    try {
      return await fn();
    } catch (error) {
      last = error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw last;
}

const deploymentBody = (name: string) => ({
  metadata: { name, labels: { app: name } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.25', resources: { requests: { memory: '64Mi' } } }] },
    },
  },
});

for (const target of targets) {
  describe(`KubeCluster against ${target.name}`, () => {
    let server: { kubeconfigPath: string; stop(): Promise<void> } | undefined;
    let skipped: string | undefined;
    let cluster: KubeCluster;
    let paged: KubeCluster;
    let core: CoreV1Api;
    let apps: AppsV1Api;
    const ns = `kc-${Math.random().toString(36).slice(2, 8)}`;

    beforeAll(async () => {
      const started = await target.start();
      if ('skipped' in started) {
        skipped = started.skipped;
        console.warn(`[kubernetes-cluster] ${target.name}: skipped — ${skipped}`);
        return;
      }
      server = started;
      const kc = new KubeConfig();
      kc.loadFromFile(server.kubeconfigPath);
      core = kc.makeApiClient(CoreV1Api);
      apps = kc.makeApiClient(AppsV1Api);
      cluster = KubeCluster.fromKubeconfigFile(server.kubeconfigPath, { clusterName: 'test' });
      paged = KubeCluster.fromKubeconfigFile(server.kubeconfigPath, { clusterName: 'test', pageSize: PAGE });

      await core.createNamespace({ body: { metadata: { name: ns } } });
      // Pod admission needs the namespace's default ServiceAccount, which a controller creates.
      if (target.serviceAccounts) await eventually(() => core.readNamespacedServiceAccount({ namespace: ns, name: 'default' }));
      for (let i = 0; i < POD_COUNT; i += 1) {
        await eventually(() =>
          core.createNamespacedPod({
            namespace: ns,
            body: {
              metadata: { name: `p${i}`, labels: { suite: 'paging', idx: String(i) } },
              spec: { automountServiceAccountToken: false, containers: [{ name: 'c', image: 'busybox:1.36' }] },
            },
          }),
        );
      }
      await apps.createNamespacedDeployment({ namespace: ns, body: deploymentBody('web') });
      // v2beta2 is the one HPA version both the 1.20 server and the simulator serve.
      await KubernetesObjectApi.makeApiClient(kc).create({
        apiVersion: 'autoscaling/v2beta2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'web', namespace: ns },
        spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 4 },
      } as never);
    });

    afterAll(async () => {
      await server?.stop();
    });

    const live = (name: string, fn: () => Promise<void>) =>
      it(name, async (ctx) => {
        if (skipped) ctx.skip(skipped);
        await fn();
      });

    live('follows continue tokens past the first page (pageSize 3, 7 pods)', async () => {
      // Without pagination the adapter would return only the first 3.
      const pods = await paged.listPods(ns, 'suite=paging');
      expect(pods.map((p) => p.metadata?.name).sort()).toEqual(Array.from({ length: POD_COUNT }, (_, i) => `p${i}`));
    });

    live('snapshot limited to a namespace holds its objects, paginated, as plain JSON', async () => {
      const snap = await paged.snapshot({ namespaces: [ns] });
      expect(snap.cluster).toBe('test');
      expect(snap.takenAt).toMatch(RFC3339);
      expect(snap.namespaces.map((n) => n.metadata?.name)).toEqual([ns]);
      expect(snap.pods.filter((p) => p.metadata?.labels?.suite === 'paging')).toHaveLength(POD_COUNT);
      expect(snap.pods.every((p) => p.metadata?.namespace === ns)).toBe(true);
      expect(snap.deployments.map((d) => d.metadata?.name)).toEqual(['web']);
      expect(snap.hpas.map((h) => h.spec?.maxReplicas)).toEqual([4]);
      // Plain JSON: no Date anywhere, timestamps are RFC 3339 strings, JSON round trip is lossless.
      expect(hasDate(snap)).toBe(false);
      expect(snap.pods[0]?.metadata?.creationTimestamp).toMatch(RFC3339);
      // List items get their kind back, as kubectl prints them.
      expect(snap.pods.every((p) => p.kind === 'Pod' && p.apiVersion === 'v1')).toBe(true);
      expect(snap.deployments.every((d) => d.kind === 'Deployment' && d.apiVersion === 'apps/v1')).toBe(true);
      expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    });

    live('cluster-wide snapshot sees the other namespaces too', async () => {
      // Guards the all-namespaces code path (different API calls than the scoped one).
      const snap = await paged.snapshot();
      const names = snap.namespaces.map((n) => n.metadata?.name);
      expect(names).toEqual(expect.arrayContaining([ns, 'default', 'kube-system']));
      expect(snap.pods.filter((p) => p.metadata?.namespace === ns && p.metadata.labels?.suite === 'paging')).toHaveLength(POD_COUNT);
      expect(snap.deployments.some((d) => d.metadata?.namespace === ns && d.metadata.name === 'web')).toBe(true);
    });

    live('snapshot of a namespace that does not exist is empty, not an error', async () => {
      const snap = await cluster.snapshot({ namespaces: ['no-such-ns'] });
      expect(snap.namespaces).toEqual([]);
      expect(snap.pods).toEqual([]);
    });

    live('strategic merge patch merges containers by name', async () => {
      const d = await cluster.patchDeployment(ns, 'web', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } } } }, 'strategic');
      // A plain merge patch would have replaced the list and lost the resources; strategic keeps them.
      expect(d.spec?.template?.spec?.containers?.[0]).toMatchObject({ image: 'nginx:1.26', resources: { requests: { memory: '64Mi' } } });
    });

    live('merge patch sets an annotation', async () => {
      const d = await cluster.patchDeployment(ns, 'web', { metadata: { annotations: { 'eks-reflexion.io/last-action': 'test' } } }, 'merge');
      expect(d.metadata?.annotations?.['eks-reflexion.io/last-action']).toBe('test');
    });

    live('JSON patch replaces by path', async () => {
      const d = await cluster.patchDeployment(ns, 'web', [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'nginx:1.27' }], 'json');
      expect(d.spec?.template?.spec?.containers?.[0]?.image).toBe('nginx:1.27');
    });

    live('dry run answers with the change but persists nothing (patch, scale, delete, event)', async () => {
      const before = await cluster.getDeployment(ns, 'web');
      const answered = await cluster.patchDeployment(ns, 'web', { metadata: { labels: { dry: 'yes' } } }, 'merge', { dryRun: true });
      expect(answered.metadata?.labels?.dry).toBe('yes');
      const scaled = await cluster.scaleDeployment(ns, 'web', 5, { dryRun: true });
      expect(scaled.spec?.replicas).toBe(before.spec?.replicas);
      await cluster.deletePod(ns, 'p0', { dryRun: true, gracePeriodSeconds: 0 });
      await cluster.createEvent(
        { involvedObject: { kind: 'Deployment', name: 'web', namespace: ns }, reason: 'DryRunOnly', message: 'must not persist' },
        { dryRun: true },
      );
      const after = await cluster.getDeployment(ns, 'web');
      expect(after.metadata?.labels?.dry).toBeUndefined();
      expect(after.spec?.replicas).toBe(before.spec?.replicas);
      // generation moves only when the spec is written (status updates by controllers do not count).
      expect(after.metadata?.generation).toBe(before.metadata?.generation);
      await expect(cluster.getPod(ns, 'p0')).resolves.toMatchObject({ metadata: { name: 'p0' } });
      expect((await cluster.eventsFor(ns, 'Deployment', 'web')).filter((e) => e.reason === 'DryRunOnly')).toEqual([]);
      const hpa = await cluster.patchHpa(ns, 'web', { spec: { maxReplicas: 9 } }, 'merge', { dryRun: true });
      expect(hpa.spec?.maxReplicas).toBe(9);
      expect((await cluster.getHpa(ns, 'web')).spec?.maxReplicas).toBe(4);
    });

    live('scale goes through the scale subresource and returns the Deployment', async () => {
      const d = await cluster.scaleDeployment(ns, 'web', 3);
      expect(d.kind).toBe('Deployment');
      expect(d.spec?.replicas).toBe(3);
      expect((await cluster.getDeployment(ns, 'web')).spec?.replicas).toBe(3);
    });

    live('HPA read and patch (json patch too) through the API version the server has', async () => {
      const hpa = await cluster.patchHpa(ns, 'web', { spec: { maxReplicas: 6 } }, 'merge');
      expect(hpa.spec?.maxReplicas).toBe(6);
      await cluster.patchHpa(ns, 'web', [{ op: 'replace', path: '/spec/minReplicas', value: 2 }], 'json');
      const read = await cluster.getHpa(ns, 'web');
      expect(read.spec).toMatchObject({ minReplicas: 2, maxReplicas: 6 });
      expect(read.apiVersion).toMatch(/^autoscaling\/v2/);
      expect(hasDate(read)).toBe(false);
    });

    live('createEvent records an Event that eventsFor finds, newest last, with string timestamps', async () => {
      await cluster.createEvent({
        involvedObject: { kind: 'Deployment', name: 'web', namespace: ns },
        reason: 'EksReflexionRemediation',
        message: 'rollback to revision 1: image tag not found',
      });
      const events = await cluster.eventsFor(ns, 'Deployment', 'web');
      const ours = events.filter((e) => e.reason === 'EksReflexionRemediation');
      expect(ours).toHaveLength(1);
      expect(ours[0]).toMatchObject({ type: 'Normal', involvedObject: { kind: 'Deployment', name: 'web' } });
      expect(ours[0]?.lastTimestamp).toMatch(RFC3339);
      const stamps = events.map((e) => e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '');
      expect([...stamps].sort()).toEqual(stamps);
      // The namespace's events (what recent_events reads) include it, and nothing from another namespace.
      const all = await cluster.listEvents(ns);
      expect(all.filter((e) => e.reason === 'EksReflexionRemediation')).toHaveLength(1);
      expect(all.every((e) => e.metadata?.namespace === ns)).toBe(true);
      await expect(cluster.listEvents('Not A Namespace')).rejects.toThrow(/namespace/);
    });

    live('deletePod with grace period 0 removes an unbound pod', async () => {
      await cluster.deletePod(ns, 'p6', { gracePeriodSeconds: 0 });
      await expect(cluster.getPod(ns, 'p6')).rejects.toBeInstanceOf(KubeNotFound);
    });

    live('eks-reflexion detect --kubeconfig finds a failing pod through this adapter', async () => {
      // Play the kubelet: p2 cannot pull its image.
      await core.patchNamespacedPodStatus(
        {
          namespace: ns,
          name: 'p2',
          body: {
            status: {
              phase: 'Pending',
              containerStatuses: [
                {
                  name: 'c',
                  image: 'busybox:1.36',
                  imageID: '',
                  ready: false,
                  restartCount: 0,
                  state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "busybox:1.36"' } },
                },
              ],
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      let stdout = '';
      let stderr = '';
      const code = await detect(['--kubeconfig', server!.kubeconfigPath, '--namespace', ns, '--cluster-name', 'test'], {
        env: {},
        stdout: (t) => (stdout += t),
        stderr: (t) => (stderr += t),
      });
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      const out = JSON.parse(stdout) as { incidents: { kind: string; cluster: string; target: { kind: string; name: string } }[] };
      expect(out.incidents.map((i) => [i.cluster, i.kind, i.target.name])).toContainEqual(['test', 'ImagePullBackOff', 'p2']);
    });

    live('404 → KubeNotFound with the server message', async () => {
      const error = await cluster.getDeployment(ns, 'nope').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KubeNotFound);
      expect((error as KubeNotFound).status).toBe(404);
      expect((error as Error).message).toContain('"nope" not found');
      expect((error as Error).cause).toBeDefined();
    });

    live('409 → KubeConflict on a stale resourceVersion', async () => {
      const d = await cluster.getDeployment(ns, 'web');
      await cluster.patchDeployment(ns, 'web', { metadata: { labels: { bump: '1' } } }, 'merge');
      const error = await cluster
        .patchDeployment(ns, 'web', { metadata: { resourceVersion: d.metadata?.resourceVersion, labels: { bump: '2' } } }, 'merge')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KubeConflict);
      expect((error as KubeConflict).retryable).toBe(true);
      expect((error as Error).message).toMatch(/modified/);
    });

    live('422 → KubeInvalid naming the invalid field', async () => {
      const error = await cluster.patchDeployment(ns, 'web', { spec: { replicas: -1 } }, 'merge').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KubeInvalid);
      expect((error as KubeInvalid).status).toBe(422);
      expect((error as Error).message).toContain('spec.replicas');
    });

    live('bad arguments are refused before any request', async () => {
      // These would otherwise reach the server as a different path or an invalid patch.
      await expect(cluster.getPod(ns, '../secrets')).rejects.toBeInstanceOf(ValidationError);
      await expect(cluster.patchDeployment(ns, 'web', { op: 'replace' }, 'json')).rejects.toBeInstanceOf(ValidationError);
      await expect(cluster.patchDeployment(ns, 'web', [], 'merge')).rejects.toThrow(/a JSON merge patch must be a JSON object/);
      await expect(cluster.scaleDeployment(ns, 'web', 1.5)).rejects.toBeInstanceOf(ValidationError);
      await expect(cluster.patchDeployment(ns, 'web', {}, 'apply' as never)).rejects.toThrow(/unknown patch type 'apply'/);
      await expect(cluster.snapshot({ namespaces: ['Bad_NS'] })).rejects.toBeInstanceOf(ValidationError);
    });

    live('401 → KubeUnauthorized, and the token is in no message', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'kc-401-'));
      try {
        const token = 'wrong-token-7f3a9c2e5b1d';
        const text = (await readFile(server!.kubeconfigPath, 'utf8')).replace(/token: .*/g, `token: ${token}`);
        const path = join(dir, 'kubeconfig');
        await writeFile(path, text);
        const bad = KubeCluster.fromKubeconfigFile(path);
        const error = await bad.getPod(ns, 'p1').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(KubeUnauthorized);
        expect((error as Error).message).not.toContain(token);
        expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain(token);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    live('the log of a pod that never ran is empty, not an error', async () => {
      // The API server answers 204 with no body here; the adapter must not choke on it.
      await expect(cluster.readLog(ns, 'p1', 'c', { tailLines: 10 })).resolves.toBe('');
    });

    live('the log of a container the pod does not have → KubeInvalid', async () => {
      const error = await cluster.readLog(ns, 'p1', 'nope').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KubeInvalid);
      expect((error as Error).message).toContain('nope');
    });
  });
}

describe('KubeCluster transport failures', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  let silentPort = 0;
  let closedPort = 0;
  const dir = join(tmpdir(), `kc-net-${process.pid}`);

  const kubeconfig = async (port: number) => {
    const path = join(dir, `kubeconfig-${port}`);
    await writeFile(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: c\n  cluster:\n    server: https://127.0.0.1:${port}\n    insecure-skip-tls-verify: true`,
        'users:',
        '- name: u\n  user:\n    token: secret-token-abc123',
        'contexts:',
        '- name: x\n  context: {cluster: c, user: u}',
        'current-context: x',
      ].join('\n'),
    );
    return path;
  };

  beforeAll(async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dir, { recursive: true });
    // Accepts connections and never answers: a hung API server.
    silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    silentPort = (silent.address() as { port: number }).port;
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    closedPort = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((r) => silent.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('a server that never answers → KubeTimeout (retryable)', async () => {
    const c = KubeCluster.fromKubeconfigFile(await kubeconfig(silentPort), { requestTimeoutMs: 300 });
    const error = await c.getPod('default', 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeTimeout);
    expect((error as KubeTimeout).retryable).toBe(true);
    expect((error as Error).message).not.toContain('secret-token-abc123');
  });

  it('nothing listening → KubeUnavailable (retryable)', async () => {
    const c = KubeCluster.fromKubeconfigFile(await kubeconfig(closedPort));
    const error = await c.getPod('default', 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeUnavailable);
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('an unknown kubeconfig context is a ValidationError naming the contexts it has', async () => {
    const path = await kubeconfig(closedPort);
    expect(() => KubeCluster.fromKubeconfigFile(path, { context: 'prod' })).toThrow(/context 'prod' is not in .*has: x/);
  });
});
