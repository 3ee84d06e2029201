import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeCluster } from '../../functions/adapters/kubernetes/kube-cluster';
import { detectIncidents } from '../../functions/domain/detectors';
import { startApiServer } from '../sim/api/server';
import { VirtualClock } from '../sim/clock';

const run = promisify(execFile);

export interface ScanFigures {
  pods: number;
  namespaces: number;
  failingPods: number;
  incidents: number;
  /** Paginated snapshot through the Kubernetes adapter over HTTPS (500 per page). */
  snapshotMs: number;
  /** detectIncidents over the fetched snapshot (pure). */
  classifyMs: number;
  classifyPodsPerSecond: number;
  totalMs: number;
  peakRssMb: number;
  peakHeapMb: number;
  /** `kubectl get pods -A -o json` against the same server in the same run; undefined when kubectl is absent. */
  kubectlMs?: number;
  /** Our full scan (all kinds + classification) over kubectl's pods-only list. */
  ratioToKubectl?: number;
}

const NAMESPACES = 50;
/** One pod in fifty fails (ImagePullBackOff), in groups of two per workload. */
const FAILING_EVERY = 50;

function pod(ns: string, name: string, failing: boolean, at: string) {
  const container = failing
    ? { name: 'app', image: 'registry.local/app:missing', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.local/app:missing"' } } }
    : { name: 'app', image: 'registry.local/app:1.0.0', ready: true, restartCount: 0, state: { running: { startedAt: at } } };
  return {
    spec: { containers: [{ name: 'app', image: container.image, resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
    status: {
      phase: failing ? 'Pending' : 'Running',
      conditions: [{ type: 'Ready', status: failing ? 'False' : 'True', lastTransitionTime: at }],
      containerStatuses: [container],
      startTime: at,
    },
    metadata: { name, namespace: ns, labels: { app: name.replace(/-\d+$/, '') } },
  };
}

/**
 * Scans a simulated cluster of `pods` pods the way the detector Lambda does:
 * a paginated snapshot through the real Kubernetes adapter over HTTPS, then
 * the pure classification. Memory is sampled while it runs.
 */
export async function scanBench(pods: number, options: { kubectl?: boolean } = {}): Promise<ScanFigures> {
  const clock = new VirtualClock();
  const server = await startApiServer({ clock });
  const dir = await mkdtemp(join(tmpdir(), 'scan-bench-'));
  try {
    const at = clock.now().toISOString();
    for (let n = 0; n < NAMESPACES; n++) server.store.create('namespaces', { metadata: { name: `team-${n}` } });
    let failing = 0;
    for (let i = 0; i < pods; i++) {
      const ns = `team-${i % NAMESPACES}`;
      const bad = Math.floor(i / 2) % (FAILING_EVERY / 2) === 0;
      if (bad) failing++;
      const body = pod(ns, `svc-${Math.floor(i / 2)}-${i % 2}`, bad, at);
      const { status, ...rest } = body;
      server.store.create('pods', rest, { namespace: ns });
      server.store.update('pods', { ...rest, status }, { namespace: ns, name: body.metadata.name, subresource: 'status' });
    }
    const kubeconfig = join(dir, 'kubeconfig');
    await server.writeKubeconfig(kubeconfig);
    const cluster = KubeCluster.fromKubeconfigFile(kubeconfig, { clusterName: 'bench' });

    global.gc?.();
    const base = process.memoryUsage();
    let peakRss = base.rss;
    let peakHeap = base.heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 10);
    const t0 = performance.now();
    const snapshot = await cluster.snapshot();
    const t1 = performance.now();
    const { incidents } = detectIncidents(snapshot, { source: 'schedule', protectedNamespaces: ['kube-system', 'kube-public', 'kube-node-lease'] });
    const t2 = performance.now();
    clearInterval(sampler);
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);

    let kubectlMs: number | undefined;
    if (options.kubectl !== false) {
      try {
        const k0 = performance.now();
        await run('kubectl', ['--kubeconfig', kubeconfig, 'get', 'pods', '-A', '-o', 'json', '--chunk-size=500'], { maxBuffer: 1024 * 1024 * 1024 });
        kubectlMs = performance.now() - k0;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    const totalMs = t2 - t0;
    return {
      pods,
      namespaces: NAMESPACES,
      failingPods: failing,
      incidents: incidents.length,
      snapshotMs: t1 - t0,
      classifyMs: t2 - t1,
      classifyPodsPerSecond: pods / ((t2 - t1) / 1000),
      totalMs,
      peakRssMb: peakRss / 2 ** 20,
      peakHeapMb: peakHeap / 2 ** 20,
      ...(kubectlMs !== undefined ? { kubectlMs, ratioToKubectl: totalMs / kubectlMs } : {}),
    };
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
