/**
 * Benchmark: list 10 000 pods in pages of 500 over HTTPS with the real client
 * path (TLS, bearer token, JSON), and report per-page latency and heap.
 *
 *   npx tsx test/sim/api/bench.ts [--pods 10000] [--limit 500] [--rounds 3]
 *
 * Pods are inserted through the store (the write path is not what is
 * measured); each has a realistic size (~1.5 KB of JSON: labels, owner
 * reference, two containers with resources and probes, status).
 */
import { Agent, request } from 'node:https';
import { VirtualClock } from '../clock';
import { startApiServer } from './server';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, got ${process.argv[i + 1]}`);
  return value;
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main(): Promise<void> {
  const podCount = arg('pods', 10_000);
  const limit = arg('limit', 500);
  const rounds = arg('rounds', 3);
  const clock = new VirtualClock();
  const server = await startApiServer({ clock, seed: 1 });
  const { store } = server;
  const namespaces = 20;
  for (let n = 0; n < namespaces; n++) store.create('namespaces', { metadata: { name: `team-${n}` } });
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  for (let i = 0; i < podCount; i++) {
    const ns = `team-${i % namespaces}`;
    const pod = store.create('pods', {
      metadata: {
        name: `app-${i}-${(i * 7919).toString(36)}`,
        namespace: ns,
        labels: { app: `app-${i % 50}`, tier: i % 2 ? 'web' : 'worker', 'pod-template-hash': '5d9c7b8f6' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `app-${i % 50}-5d9c7b8f6`, uid: `00000000-0000-4000-8000-${String(i % 50).padStart(12, '0')}`, controller: true }],
      },
      spec: {
        containers: [
          {
            name: 'main',
            image: `registry.example.com/app-${i % 50}:1.${i % 7}.0`,
            resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
            readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
            env: [{ name: 'MODE', value: 'prod' }],
          },
          { name: 'sidecar', image: 'registry.example.com/proxy:2.1', resources: { requests: { cpu: '10m', memory: '32Mi' } } },
        ],
      },
    });
    const meta = pod.metadata as { namespace: string; name: string };
    store.bind(meta.namespace, meta.name, { target: { kind: 'Node', name: `node-${i % 30}` } });
  }
  const loadMs = performance.now() - t0;
  global.gc?.();
  const heapLoaded = process.memoryUsage().heapUsed;
  console.log(`loaded ${store.count('pods')} pods in ${loadMs.toFixed(0)} ms; heap ${mb(heapBefore)} → ${mb(heapLoaded)} (${((heapLoaded - heapBefore) / store.count('pods') / 1024).toFixed(2)} KB/pod)`);

  const get = (path: string): Promise<{ ms: number; bytes: number; body: { items: unknown[]; metadata: { continue?: string; resourceVersion: string } } }> =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const req = request(new URL(path, server.url), { headers: { Authorization: `Bearer ${server.token}`, Accept: 'application/json' }, ca: server.caPem, agent: agentFor() }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          resolve({ ms: performance.now() - started, bytes: raw.length, body: JSON.parse(raw.toString('utf8')) });
        });
      });
      req.on('error', reject);
      req.end();
    });

  const all: number[] = [];
  let peakHeap = heapLoaded;
  for (let round = 1; round <= rounds; round++) {
    let token: string | undefined;
    let page = 0;
    let items = 0;
    const times: number[] = [];
    let rv: string | undefined;
    do {
      const res = await get(`/api/v1/pods?limit=${limit}${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
      page++;
      items += res.body.items.length;
      times.push(res.ms);
      rv ??= res.body.metadata.resourceVersion;
      if (rv !== res.body.metadata.resourceVersion) throw new Error(`page ${page}: resourceVersion changed ${rv} → ${res.body.metadata.resourceVersion}`);
      token = res.body.metadata.continue;
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      if (round === 1 && (page <= 2 || !token)) console.log(`  round 1 page ${String(page).padStart(2)}: ${res.ms.toFixed(1)} ms, ${(res.bytes / 1024).toFixed(0)} KB, ${res.body.items.length} items`);
    } while (token);
    if (items !== podCount) throw new Error(`round ${round}: listed ${items} pods, expected ${podCount}`);
    all.push(...times);
    const sorted = [...times].sort((a, b) => a - b);
    console.log(`round ${round}: ${page} pages, first ${times[0]!.toFixed(1)} ms (sorts and pins the snapshot), median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms, total ${times.reduce((a, b) => a + b, 0).toFixed(0)} ms`);
  }
  const sorted = [...all].sort((a, b) => a - b);
  const p95 = sorted[Math.floor(sorted.length * 0.95)]!;
  global.gc?.();
  console.log(`all pages: n=${sorted.length}, median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms`);
  console.log(`heap: loaded ${mb(heapLoaded)}, peak while listing ${mb(peakHeap)}, after ${mb(process.memoryUsage().heapUsed)}; rss ${mb(process.memoryUsage().rss)}`);
  await server.stop();
  agent?.destroy();
}

let agent: Agent | undefined;
function agentFor(): Agent {
  // One keep-alive connection, as a client library would use.
  agent ??= new Agent({ keepAlive: true, maxSockets: 1 });
  return agent;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
