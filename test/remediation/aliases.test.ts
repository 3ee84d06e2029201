import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalPayload } from '../../functions/app/action-api/aliases';
import { checkPayloadOffline } from '../../functions/app/action-api/router';
import { defaultPolicyConfig } from '../../functions/domain/policy-config';
import type { SimulatedCluster } from '../sim/index';
import { startShopSimulator, type ShopSimulator } from '../support/shop-simulator';

describe('payload aliases → canonical form', () => {
  it.each([
    // Seed-style restart: pod_name is the pod.
    { in: { action: 'restart_pod', pod_name: 'web-1', namespace: 'shop', cluster_name: 'a' }, out: { action: 'restart_pod', pod: 'web-1', namespace: 'shop', cluster_name: 'a' } },
    // deployment_name on a Deployment action.
    { in: { action: 'rollout_restart', deployment_name: 'web', namespace: 'shop' }, out: { action: 'rollout_restart', deployment: 'web', namespace: 'shop' } },
    // deployment_name on start_remediation becomes the target.
    { in: { action: 'start_remediation', deployment_name: 'web', namespace: 'shop', cluster_name: 'a' }, out: { action: 'start_remediation', target_name: 'web', target_kind: 'Deployment', namespace: 'shop', cluster_name: 'a' } },
    // A read defaults its namespace to `default`, as the old tools did.
    { in: { action: 'pod_status', pod_name: 'web-1' }, out: { action: 'pod_status', pod: 'web-1', namespace: 'default' } },
    // A write never guesses a namespace, and no cluster is ever guessed.
    { in: { action: 'restart_pod', pod_name: 'web-1' }, out: { action: 'restart_pod', pod: 'web-1' } },
    // The same value under both names is fine.
    { in: { action: 'restart_pod', pod_name: 'web-1', pod: 'web-1' }, out: { action: 'restart_pod', pod: 'web-1' } },
  ])('$in', ({ in: input, out }) => {
    expect(canonicalPayload(input)).toEqual(out);
  });

  it.each([
    // Two different pods: refuse rather than pick one.
    { in: { action: 'restart_pod', pod_name: 'a', pod: 'b' }, message: /pod_name: is an alias of pod/ },
    { in: { action: 'start_remediation', deployment_name: 'web', target_kind: 'StatefulSet' }, message: /target_kind is 'StatefulSet'/ },
  ])('refuses $in', ({ in: input, message }) => {
    expect(() => canonicalPayload(input)).toThrow(message);
  });

  it('an alias on an action without that field stays an unknown field', () => {
    expect(checkPayloadOffline(defaultPolicyConfig(), { action: 'cluster_metrics', cluster_name: 'a', pod_name: 'x' })).toMatchObject({ ok: false, error: { message: expect.stringMatching(/unknown field 'pod_name'/) } });
  });
});

/** `invoke` as a user runs it, with seed-style payloads; and offline for bad ones. */
const run = promisify(execFile);
const CLI = resolve(__dirname, '../../bin/eks-reflexion.mjs');
let sim: SimulatedCluster;
let dir: string;

async function invoke(payload: unknown, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const file = join(dir, `payload-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(payload));
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'invoke', file, ...args], { env: { ...process.env, KUBECONFIG: '' }, cwd: dir }); // its default data dir under dir
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

describe('eks-reflexion invoke with payloads other tools send', () => {
  let shop: ShopSimulator | undefined;
  beforeAll(async () => {
    shop = await startShopSimulator({ seed: 4, dirPrefix: 'aliases-' });
    ({ sim, dir } = shop);
  });
  afterAll(() => shop?.stop());

  it('seed-style {"action": "restart_pod", "pod_name", "namespace", "cluster_name"} is answered ok (dry-run default; enforce also needs requested_by)', async () => {
    const pods = await sim.client.list<{ metadata: { name: string } }>('/api/v1/namespaces/shop/pods', { labelSelector: 'app=web' });
    const pod = pods[0]!.metadata.name;
    const kc = ['--kubeconfig', join(dir, 'kubeconfig'), '--cluster-name', 'sim'];
    const dry = await invoke({ action: 'restart_pod', pod_name: pod, namespace: 'shop', cluster_name: 'sim' }, ...kc);
    expect(dry.code, dry.err + dry.out).toBe(0);
    expect(JSON.parse(dry.out)).toMatchObject({ ok: true, action: 'restart_pod', dry_run: true });
    // In enforce mode a write must name its caller (the policy's anonymous-write rule), alias or not.
    const r = await invoke({ action: 'restart_pod', pod_name: pod, namespace: 'shop', cluster_name: 'sim', requested_by: 'seed-agent' }, ...kc, '--mode', 'enforce');
    expect(r.code, r.err + r.out).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, action: 'restart_pod', dry_run: false, result: { applied: true } });
    await sim.advance(60, 1); // graceful termination on the simulator's clock
    const after = await sim.client.list<{ metadata: { name: string } }>('/api/v1/namespaces/shop/pods', { labelSelector: 'app=web' });
    expect(after.map((p) => p.metadata.name)).not.toContain(pod);
  });

  it.each([
    // Out of bounds: named field.
    { payload: { action: 'scale_deployment', cluster_name: 'sim', namespace: 'shop', deployment_name: 'web', replicas: -1 }, code: 'INVALID_PAYLOAD', message: /replicas: must be >= 0/ },
    // Unknown action.
    { payload: { action: 'reboot_cluster' }, code: 'UNKNOWN_ACTION', message: /reboot_cluster/ },
    // A write with no namespace is not guessed.
    { payload: { action: 'restart_pod', pod_name: 'web-1', cluster_name: 'sim' }, code: 'INVALID_PAYLOAD', message: /namespace/ },
  ])('bad payload → ok:false, exit 1, with no kubeconfig anywhere: $payload', async ({ payload, code, message }) => {
    const r = await invoke(payload, '--kubeconfig', join(dir, 'does-not-exist'));
    expect(r.code).toBe(1);
    const answer = JSON.parse(r.out) as { ok: boolean; error: { code: string; message: string } };
    expect(answer).toMatchObject({ ok: false, error: { code } });
    expect(answer.error.message).toMatch(message);
  });
});
