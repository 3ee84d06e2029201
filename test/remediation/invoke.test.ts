import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedCluster } from '../sim/index';
import { startShopSimulator, type ShopSimulator } from '../support/shop-simulator';

/** `eks-reflexion invoke` as a user runs it: a separate process, a kubeconfig, a payload file. */
const run = promisify(execFile);
const CLI = resolve(__dirname, '../../bin/eks-reflexion.mjs');
let shop: ShopSimulator | undefined;
let sim: SimulatedCluster;
let dir: string;

beforeAll(async () => {
  shop = await startShopSimulator({ seed: 3, dirPrefix: 'invoke-' });
  ({ sim, dir } = shop);
});

afterAll(() => shop?.stop());

async function invoke(payload: unknown, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const file = join(dir, `payload-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(payload));
  try {
    // In dir: the default data dir (.eks-reflexion/dynamodb) is the test's own.
    const { stdout, stderr } = await run(process.execPath, [CLI, 'invoke', file, '--kubeconfig', join(dir, 'kubeconfig'), '--cluster-name', 'sim', ...args], { cwd: dir });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

describe('eks-reflexion invoke', () => {
  it('prints the ok answer and exits 0; a dry run by default changes nothing', async () => {
    const before = (await sim.client.get<{ metadata: { resourceVersion: string } }>('/apis/apps/v1/namespaces/shop/deployments/web')).metadata.resourceVersion;
    const r = await invoke({ action: 'scale_deployment', cluster_name: 'sim', namespace: 'shop', deployment: 'web', replicas: 3 });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, action: 'scale_deployment', dry_run: true, result: { applied: false, dryRun: true } });
    const after = (await sim.client.get<{ metadata: { resourceVersion: string } }>('/apis/apps/v1/namespaces/shop/deployments/web')).metadata.resourceVersion;
    expect(after).toBe(before);
  });

  it('back-to-back invocations (separate processes, the documented local usage) share the cooldown: 2→3 applies, 3→4 is refused', async () => {
    // #10 item 9: without a DynamoDB endpoint the locks and action records lived in the process, so every
    // invocation started with an empty history and the second scale passed the cooldown.
    const scale = (replicas: number) =>
      invoke({ action: 'scale_deployment', cluster_name: 'sim', namespace: 'shop', deployment: 'web', replicas, requested_by: 'test' }, '--mode', 'enforce');
    const first = await scale(3);
    expect(first.code, first.err + first.out).toBe(0);
    expect(JSON.parse(first.out)).toMatchObject({ ok: true, result: { applied: true, noop: false } });
    const second = await scale(4);
    expect(second.code, second.err + second.out).toBe(1);
    expect(JSON.parse(second.out)).toMatchObject({ ok: false, error: { code: 'POLICY_VIOLATION', message: expect.stringMatching(/^cooldown: /) } });
    const d = await sim.client.get<{ spec: { replicas: number } }>('/apis/apps/v1/namespaces/shop/deployments/web');
    expect(d.spec.replicas).toBe(3);
  }, 120_000);

  it('prints the error answer and exits 1 for a bad payload', async () => {
    const r = await invoke({ action: 'scale_deployment', cluster_name: 'sim', namespace: 'shop', deployment: 'web', replicas: -1 });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toEqual({ ok: false, error: { code: 'INVALID_PAYLOAD', message: 'replicas: must be >= 0' } });
  });

  it('exits 2 with a usage message for a bad flag value', async () => {
    const r = await invoke({ action: 'cluster_metrics', cluster_name: 'sim' }, '--mode', 'yolo');
    expect(r.code).toBe(2);
    expect(r.err).toContain("--mode: 'yolo' is not observe, dry-run or enforce");
  });
});
