import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KUBECTL } from './api/kubectl-flows';
import { deploymentManifest, startTestServer, type TestServer } from './api/testing';
import { startControllers, type Controllers } from './controllers';
import { startPodStandIn } from './controllers/testing';

const run = promisify(execFile);
let t: TestServer;
let controllers: Controllers;
let stopPods: () => void;
let dir: string;

/** kubectl 1.32 against the simulator, with its own discovery cache so runs never share one. */
async function kubectl(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(KUBECTL, ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), ...args], { timeout: 30_000 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: typeof e.code === 'number' ? e.code : 1 };
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sim-kubectl-'));
  t = await startTestServer({ seed: 7 });
  await t.server.writeKubeconfig(join(dir, 'kubeconfig'));
  controllers = startControllers({ store: t.server.store, clock: t.clock });
  stopPods = startPodStandIn(t.server.store, t.clock, () => true);
  await t.apps.createNamespacedDeployment({ namespace: 'default', body: deploymentManifest('shop', 'shop:1.0', 2) });
  await t.clock.advance(3);
});
afterAll(async () => {
  controllers?.stop();
  stopPods?.();
  await t?.server.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('kubectl against the simulator', () => {
  it('get prints server-side columns', async () => {
    const res = await kubectl('get', 'deployments', '-o', 'wide');
    expect(res.code).toBe(0);
    const [header, row] = res.stdout.trim().split('\n');
    expect(header!.split(/\s+/)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(row!.split(/\s+/)).toEqual(['shop', '2/2', '2', '2', '3s', 'main', 'shop:1.0', 'app=shop']);
    const pods = await kubectl('get', 'pods', '-l', 'app=shop', '--no-headers');
    expect(pods.stdout.trim().split('\n')).toHaveLength(2);
    expect(pods.stdout).toContain('Running');
  });

  it('describe shows the deployment and its new ReplicaSet', async () => {
    const res = await kubectl('describe', 'deployment', 'shop');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable/);
    expect(res.stdout).toMatch(/NewReplicaSet:\s+shop-\w+ \(2\/2 replicas created\)/);
  });

  it('scale goes through the scale subresource', async () => {
    const res = await kubectl('scale', 'deployment/shop', '--replicas=3');
    expect(res.code).toBe(0);
    await t.clock.advance(3);
    expect((await t.apps.readNamespacedDeployment({ name: 'shop', namespace: 'default' })).status!.availableReplicas).toBe(3);
  });

  it('patch (strategic by default) changes the image and starts revision 2', async () => {
    const res = await kubectl('patch', 'deployment', 'shop', '-p', JSON.stringify({ spec: { template: { spec: { containers: [{ name: 'main', image: 'shop:2.0' }] } } } }));
    expect(res.code).toBe(0);
    await t.clock.advance(10);
    const history = await kubectl('rollout', 'history', 'deployment/shop');
    expect(history.stdout.trim().split('\n').slice(-2).map((l) => l.split(/\s+/)[0])).toEqual(['1', '2']);
  });

  it('rollout undo restores the previous template as revision 3', async () => {
    const res = await kubectl('rollout', 'undo', 'deployment/shop');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('rolled back');
    await t.clock.advance(10);
    const d = await t.apps.readNamespacedDeployment({ name: 'shop', namespace: 'default' });
    expect(d.spec!.template.spec!.containers[0]!.image).toBe('shop:1.0');
    expect(d.metadata!.annotations!['deployment.kubernetes.io/revision']).toBe('3');
    const history = await kubectl('rollout', 'history', 'deployment/shop');
    expect(history.stdout.trim().split('\n').slice(-2).map((l) => l.split(/\s+/)[0])).toEqual(['2', '3']);
    const detail = await kubectl('rollout', 'history', 'deployment/shop', '--revision=3');
    expect(detail.stdout).toContain('shop:1.0');
  });

  it('a Kubernetes resource the simulator does not serve is a NotFound naming it, not an empty list', async () => {
    const res = await kubectl('get', '--raw', '/api/v1/namespaces/default/replicationcontrollers');
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('NotFound');
    expect(res.stderr).toContain('the simulated API server does not serve replicationcontrollers (v1)');
  });

  it('kubectl version shows the served version and no skew warning', async () => {
    const res = await kubectl('version');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Server Version: v1.32.0-sim');
    expect(res.stderr).not.toMatch(/version difference/i);
  });

  it('rollout status watches until the rollout completes as the clock moves', async () => {
    const patched = await kubectl('set', 'image', 'deployment/shop', 'main=shop:3.0');
    expect(patched.code).toBe(0);
    const status = kubectl('rollout', 'status', 'deployment/shop', '--timeout=30s');
    // Nothing moves until the virtual clock does: kubectl reads the stalled rollout, then watches.
    await new Promise((r) => setTimeout(r, 1500));
    for (let i = 0; i < 20; i++) await t.clock.advance(1);
    const res = await status;
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('deployment "shop" successfully rolled out');
    expect(res.stdout).toContain('Waiting for deployment "shop" rollout to finish');
  });

  it('logs -f streams new lines and returns when the pod goes away', async () => {
    const pods = await t.core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=shop' });
    const pod = pods.items[0]!.metadata!.name!;
    t.server.store.appendLog('default', pod, 'main', 'hello\n');
    const follow = kubectl('logs', '-f', pod);
    await new Promise((r) => setTimeout(r, 1000));
    t.server.store.appendLog('default', pod, 'main', 'still here\n');
    await new Promise((r) => setTimeout(r, 300));
    t.server.store.delete('pods', 'default', pod, { gracePeriodSeconds: 0 });
    const res = await follow;
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('hello\nstill here\n');
  });
});
