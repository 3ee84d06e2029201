import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';
import { createDeployment, createNamespace, deploymentAvailable, freshNamespace, kubeletPass, PatchStrategy, settle, setHeaderOptions, startSimKubeEnv, type KubeEnv } from './kube-env';

/**
 * #10 item 9, the story as a new user lived it, with the CLI in
 * separate processes and their default memory: `run --mode enforce` rolls
 * billing back from a bad image tag (revision 2 → 3, a copy of 1); then the
 * documented rollback_deployment example (docs/actions.md) must not restore
 * revision 2. Before: invoke kept its cooldown in its own process, so the
 * example ran at once (and, before the marker fix, chose revision 2).
 */

const GOOD = 'registry.local/billing:1.0';
const BAD = 'registry.local/billing:1.1-missing';

describe('the rollback story', () => {
  let env: KubeEnv;
  let dir: string;
  beforeAll(async () => {
    env = await startSimKubeEnv('sim');
    dir = await mkdtemp(join(tmpdir(), 'rollback-story-'));
  }, 60_000);
  afterAll(async () => {
    await env?.plane.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('after run --mode enforce rolled billing back 2→3, the documented rollback example never restores revision 2', async () => {
    const ns = freshNamespace('billing');
    await createNamespace(env, ns);
    await createDeployment(env, ns, 'billing', { image: GOOD, replicas: 2 });
    await settle(env, ns, () => deploymentAvailable(env.cluster, ns, 'billing'));
    await env.apps.patchNamespacedDeployment(
      { namespace: ns, name: 'billing', body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: BAD }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    await settle(env, ns, async () => (await env.cluster.listPods(ns, 'app=billing')).some((p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff'));

    // The kubelet's part runs beside the CLI for as long as the test works.
    let running = true;
    const kubelet = (async () => {
      while (running) {
        await kubeletPass(env, ns).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    try {
      const run = await runCli(['run', '--json', '--kubeconfig', env.kubeconfigPath, '--cluster-name', 'sim', '--mode', 'enforce', '--once', '--namespace', ns], { cwd: dir, timeoutMs: 280_000 });
      expect(run.code, run.stderr).toBe(0);
      const rolled = await env.cluster.getDeployment(ns, 'billing');
      expect(rolled.spec?.template?.spec?.containers?.[0]?.image).toBe(GOOD);
      expect(rolled.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('3');

      // The documented example, named for this cluster, as the user ran it: invoke in the same directory.
      const payload = { action: 'rollback_deployment', cluster_name: 'sim', namespace: ns, deployment: 'billing', reason: 'image tag not found', idempotency_key: 'inc-42-trial-1', requested_by: 'agent:oncall-bot' };
      const file = join(dir, 'rollback.json');
      await writeFile(file, JSON.stringify(payload));
      const invoke = (...args: string[]) => runCli(['invoke', file, '--kubeconfig', env.kubeconfigPath, '--cluster-name', 'sim', '--mode', 'enforce', ...args], { cwd: dir });
      // Why: run's own rollback is in the shared memory, so the cooldown holds across the two processes.
      const first = await invoke();
      expect(first.code, first.stderr + first.stdout).toBe(1);
      expect(JSON.parse(first.stdout)).toMatchObject({ ok: false, error: { code: 'POLICY_VIOLATION', message: expect.stringMatching(/^cooldown: /) } });

      // Why: once the cooldown has passed (a policy without one stands for "later"), revision 2 is still known failing.
      await writeFile(join(dir, 'later.json'), JSON.stringify({ cooldownSeconds: 0 }));
      await writeFile(file, JSON.stringify({ ...payload, idempotency_key: 'inc-42-trial-2' }));
      const later = await invoke('--policy', join(dir, 'later.json'));
      const answer = JSON.parse(later.stdout) as { ok: boolean; result?: { details?: { toRevision?: number } }; error?: { message: string } };
      expect(answer.result?.details?.toRevision, later.stdout).not.toBe(2);
      expect(answer).toMatchObject({ ok: false, error: { message: expect.stringMatching(/no earlier revision that is not known to be failing/) } });
      const after = await env.cluster.getDeployment(ns, 'billing');
      expect(after.spec?.template?.spec?.containers?.[0]?.image).toBe(GOOD);

      // Why (#10 item 9, rest): a later action overwrites the last-action marker, and revision 2's pods are long
      // gone; the action record of run's rollback and the episode of its incident still know revision 2 failed.
      // Before, the marker was the only memory of it: this third try chose revision 2.
      const scale = join(dir, 'scale.json');
      await writeFile(scale, JSON.stringify({ action: 'scale_deployment', cluster_name: 'sim', namespace: ns, deployment: 'billing', replicas: 3, reason: 'load', idempotency_key: 'inc-43', requested_by: 'agent:oncall-bot' }));
      const scaled = await runCli(['invoke', scale, '--kubeconfig', env.kubeconfigPath, '--cluster-name', 'sim', '--mode', 'enforce', '--policy', join(dir, 'later.json')], { cwd: dir });
      expect(scaled.code, scaled.stderr + scaled.stdout).toBe(0);
      const marked = await env.cluster.getDeployment(ns, 'billing');
      expect(JSON.parse(marked.metadata?.annotations?.['eks-reflexion.io/last-action'] ?? '{}')).toMatchObject({ action: 'scale_deployment' });
      expect((await env.cluster.listPods(ns, 'app=billing')).filter((p) => p.spec?.containers?.[0]?.image === BAD)).toEqual([]);
      await writeFile(file, JSON.stringify({ ...payload, idempotency_key: 'inc-42-trial-3' }));
      const third = await invoke('--policy', join(dir, 'later.json'));
      const thirdAnswer = JSON.parse(third.stdout) as { ok: boolean; result?: { details?: { toRevision?: number } }; error?: { message: string } };
      expect(thirdAnswer.result?.details?.toRevision, third.stdout).not.toBe(2);
      expect(thirdAnswer).toMatchObject({ ok: false, error: { message: expect.stringMatching(/no earlier revision that is not known to be failing/) } });
      expect(thirdAnswer.error?.message).toMatch(/revision 2 \(billing-[a-z0-9]+\): action-record: action [^ ]+ \(rollback_deployment, /);
      expect(thirdAnswer.error?.message).toMatch(/episode: episode /);
      expect((await env.cluster.getDeployment(ns, 'billing')).spec?.template?.spec?.containers?.[0]?.image).toBe(GOOD);
    } finally {
      running = false;
      await kubelet;
    }
  }, 420_000);
});
