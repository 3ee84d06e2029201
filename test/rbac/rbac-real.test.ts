import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeCluster } from '../../functions/adapters/kubernetes/kube-cluster';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import type { ActionRequest } from '../../functions/domain/actions';
import { KubeForbidden } from '../../functions/domain/errors';
import { PolicyConfigSchema } from '../../functions/domain/policy-config';
import { executeAction, type ExecuteDeps } from '../../functions/app/execute-action';
import { undoAction } from '../../functions/app/undo';
import { silentLogger } from '../../functions/ports/logger';
import { systemClock } from '../../functions/ports/clock';
import { useDynamoDbLocal } from '../support/dynamodb';
import { connectionFromKubeconfig, createKubeClient } from '../sim/kube-client';
import { createDeployment, createNamespace, deploymentAvailable, kubeletPass, settle, startKubeEnv, type KubeEnv } from '../remediation/kube-env';

/**
 * Issue #10 item 2: everything the system does, done on the real
 * kube-apiserver as a service account bound ONLY by the manifests of
 * `eks-reflexion rbac` (applied with kubectl, as an operator would), so a
 * permission the code needs and the manifests lack fails here, and a
 * permission the manifests grant beyond need is visible in the can-i table.
 */
const REAL = Boolean(process.env.KUBE_ASSETS);
if (!REAL) console.log('[rbac] KUBE_ASSETS not set: the RBAC tests on the real kube-apiserver are skipped');

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'eks-reflexion.mjs');
const SA_NAMESPACE = 'eks-reflexion';
const SA = 'runner';
const SHOP = 'shop';
const OTHER = 'other';
/** A second opt-in namespace, for the `run` story (its own workload, no history of the catalogue test). */
const BILLING = 'billing';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
function exec(cmd: string, args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

const dynamo = useDynamoDbLocal();
let env: KubeEnv | undefined;
let saKubeconfig = '';

function need(): KubeEnv {
  if (!env) throw new Error('real kube-apiserver not started');
  return env;
}

describe.runIf(REAL)('least-privilege RBAC on the real kube-apiserver', () => {
  beforeAll(async () => {
    const started = await startKubeEnv('rbac');
    if ('skipped' in started) throw new Error(started.skipped);
    env = started;
    for (const ns of [SA_NAMESPACE, SHOP, OTHER, BILLING]) await createNamespace(env, ns);
    await env.core.createNamespacedServiceAccount({ namespace: SA_NAMESPACE, body: { metadata: { name: SA } } });

    // The operator's step: the CLI's manifests straight into kubectl (1.32, protobuf), as the cluster admin.
    const manifests = await exec('node', [CLI, 'rbac', '--namespace', SHOP, '--namespace', BILLING, '--service-account', `${SA_NAMESPACE}/${SA}`]);
    expect(manifests.code, manifests.stderr).toBe(0);
    const applied = await exec('kubectl', ['--kubeconfig', env.kubeconfigPath, 'apply', '-f', '-'], { stdin: manifests.stdout });
    expect(applied.code, applied.stderr).toBe(0);

    // The service account's own token (1.20's token controller writes it into a Secret).
    let token: string | undefined;
    for (let i = 0; i < 100 && !token; i++) {
      const secrets = (await env.core.listNamespacedSecret({ namespace: SA_NAMESPACE })).items;
      const secret = secrets.find((s) => s.type === 'kubernetes.io/service-account-token' && s.metadata?.annotations?.['kubernetes.io/service-account.name'] === SA);
      const data = secret?.data?.['token'];
      if (data) token = Buffer.from(data, 'base64').toString('utf8');
      else await new Promise((r) => setTimeout(r, 200));
    }
    if (!token) throw new Error('no token Secret for the service account');
    const admin = await readFile(env.kubeconfigPath, 'utf8');
    saKubeconfig = join(env.plane.runDir, 'sa.kubeconfig');
    await writeFile(saKubeconfig, admin.replace(/token: .*/, `token: ${token}`), { mode: 0o600 });

    // Workloads, made by the admin: the service account may not create any.
    for (const ns of [SHOP, OTHER, BILLING]) {
      await createDeployment(env, ns, 'web', { withProbe: true });
      await settle(env, ns, () => deploymentAvailable(env!.cluster, ns, 'web'));
    }
    const k = createKubeClient(await connectionFromKubeconfig(env.kubeconfigPath));
    await k.create(`/apis/autoscaling/v2beta2/namespaces/${SHOP}/horizontalpodautoscalers`, {
      apiVersion: 'autoscaling/v2beta2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5 },
    });
    k.close();
  }, 240_000);

  afterAll(async () => {
    await env?.plane.stop();
  });

  // Each row: what the service account may do, asked with its own token and by the admin with --as.
  const CAN_I: { verb: string; resource: string; namespace: string; allowed: boolean; why: string }[] = [
    { verb: 'get', resource: 'secrets', namespace: SHOP, allowed: false, why: 'edit would read Secrets; nothing here needs them' },
    { verb: 'create', resource: 'pods/exec', namespace: SHOP, allowed: false, why: 'edit would exec into pods' },
    { verb: 'create', resource: 'deployments.apps', namespace: SHOP, allowed: false, why: 'the catalogue patches, never creates workloads' },
    { verb: 'impersonate', resource: 'serviceaccounts', namespace: SHOP, allowed: false, why: 'edit would impersonate service accounts' },
    { verb: 'update', resource: 'deployments.apps', namespace: SHOP, allowed: false, why: 'patch only: no whole-object replace' },
    { verb: 'delete', resource: 'deployments.apps', namespace: SHOP, allowed: false, why: 'no deletes of workloads' },
    { verb: 'patch', resource: 'deployments.apps', namespace: OTHER, allowed: false, why: 'writes only in the opt-in namespaces' },
    { verb: 'list', resource: 'pods', namespace: OTHER, allowed: false, why: 'with opt-in namespaces, namespaced reads are scoped too' },
    { verb: 'patch', resource: 'deployments.apps', namespace: SHOP, allowed: true, why: 'every template/replica action' },
    { verb: 'patch', resource: 'deployments.apps/scale', namespace: SHOP, allowed: true, why: 'scale_deployment goes through the subresource' },
    { verb: 'patch', resource: 'horizontalpodautoscalers.autoscaling', namespace: SHOP, allowed: true, why: 'patch_hpa' },
    { verb: 'delete', resource: 'pods', namespace: SHOP, allowed: true, why: 'restart_pod' },
    { verb: 'create', resource: 'events', namespace: SHOP, allowed: true, why: 'the audit Event edit would not allow' },
    { verb: 'get', resource: 'pods/log', namespace: SHOP, allowed: true, why: 'analysis reads bounded log tails' },
    { verb: 'list', resource: 'replicasets.apps', namespace: SHOP, allowed: true, why: 'rollback finds revisions' },
  ];

  it.each(CAN_I)('kubectl auth can-i $verb $resource -n $namespace → $allowed ($why)', async ({ verb, resource, namespace, allowed }) => {
    const [res, sub] = resource.split('/') as [string, string | undefined];
    const args = ['auth', 'can-i', verb, res, '-n', namespace, ...(sub ? [`--subresource=${sub}`] : [])];
    const own = await exec('kubectl', ['--kubeconfig', saKubeconfig, ...args]);
    expect(own.stdout.trim(), own.stderr).toBe(allowed ? 'yes' : 'no');
    const as = await exec('kubectl', ['--kubeconfig', need().kubeconfigPath, ...args, `--as=system:serviceaccount:${SA_NAMESPACE}:${SA}`]);
    expect(as.stdout.trim(), as.stderr).toBe(allowed ? 'yes' : 'no');
  });

  it('a missing permission is an error naming the verb, the resource and the namespace', async () => {
    const cluster = KubeCluster.fromKubeconfigFile(saKubeconfig, { clusterName: 'rbac' });
    const error = await cluster.patchDeployment(OTHER, 'web', { spec: { replicas: 3 } }, 'merge').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeForbidden);
    expect((error as KubeForbidden).permission).toEqual({ verb: 'patch', resource: 'deployments', group: 'apps', namespace: OTHER });
    expect((error as Error).message).toMatch(/missing RBAC permission 'patch deployments\.apps' in namespace other/);
  });

  it('the whole action catalogue, reads and Events included, works as the service account', async () => {
    const e = need();
    const cluster = KubeCluster.fromKubeconfigFile(saKubeconfig, { clusterName: 'rbac' });
    const locks = createDynamoMemory({ client: dynamo.doc, tables: dynamo.tables, namespace: dynamo.namespace('rbac') }).locks;
    const deps: ExecuteDeps = {
      cluster,
      policy: PolicyConfigSchema.parse({ mode: 'enforce', cooldownSeconds: 0, maxActionsPerHour: 100, optInNamespaces: [SHOP] }),
      clock: systemClock,
      logger: silentLogger,
      locks,
    };
    // Reads of detection and analysis.
    const snapshot = await cluster.snapshot({ namespaces: [SHOP] });
    expect(snapshot.deployments.map((d) => d.metadata?.name)).toEqual(['web']);
    expect(snapshot.nodes.length).toBe(1);
    expect(snapshot.hpas.length).toBe(1);
    await cluster.listEvents(SHOP);
    await cluster.eventsFor(SHOP, 'Deployment', 'web');
    const [pod] = await cluster.listPods(SHOP, 'app=web');
    // No kubelet serves logs here: whatever the answer, it is not a permission refusal.
    const log = await cluster.readLog(SHOP, pod!.metadata!.name!, 'app').catch((err: unknown) => err);
    expect(log).not.toBeInstanceOf(KubeForbidden);

    // A history to roll back to and pick images from (made by the admin).
    await e.apps.patchNamespacedDeployment(
      { namespace: SHOP, name: 'web', body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'registry.local/web:1.1' }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    await settle(e, SHOP, () => deploymentAvailable(e.cluster, SHOP, 'web'));

    const requests: { request: ActionRequest; undo: boolean }[] = [
      { request: { action: 'scale_deployment', namespace: SHOP, deployment: 'web', replicas: 3 }, undo: true },
      { request: { action: 'patch_resources', namespace: SHOP, deployment: 'web', container: 'app', limits: { memory: '1Gi' } }, undo: true },
      { request: { action: 'patch_image', namespace: SHOP, deployment: 'web', container: 'app', image: 'registry.local/web:1.0' }, undo: true },
      { request: { action: 'patch_probe', namespace: SHOP, deployment: 'web', container: 'app', probe: 'readiness', period_seconds: 20 }, undo: true },
      { request: { action: 'rollback_deployment', namespace: SHOP, deployment: 'web' }, undo: true },
      { request: { action: 'rollout_restart', namespace: SHOP, deployment: 'web' }, undo: false },
      { request: { action: 'patch_hpa', namespace: SHOP, hpa: 'web', max_replicas: 8 }, undo: true },
      // The pod is named when its turn comes: the rollouts above replaced the earlier ones.
      { request: { action: 'restart_pod', namespace: SHOP, pod: '' }, undo: false },
    ];
    for (const [i, step] of requests.entries()) {
      await settle(e, SHOP, () => deploymentAvailable(e.cluster, SHOP, 'web'));
      if (step.request.action === 'restart_pod') {
        const live = (await e.cluster.listPods(SHOP, 'app=web')).find((p) => !p.metadata?.deletionTimestamp);
        step.request = { ...step.request, pod: live!.metadata!.name! };
      }
      const { request, undo } = step;
      const actionId = `rbac-${i}`;
      const dry = await executeAction({ ...deps, policy: { ...deps.policy, mode: 'dry-run' } }, request, { actionId: `${actionId}-dry`, reason: 'dry run as the service account' });
      expect(dry, request.action).toMatchObject({ dryRun: true, applied: false });
      const result = await executeAction(deps, request, { actionId, reason: `rbac test ${request.action}` });
      expect(result, request.action).toMatchObject({ applied: true, noop: false, details: { eventRecorded: true } });
      if (undo) {
        const undone = await undoAction(deps, result, { actionId: `${actionId}#undo`, reason: 'rbac test undo' });
        expect(undone, `undo ${request.action}`).toMatchObject({ applied: true });
      }
    }
    const events = await e.cluster.listEvents(SHOP);
    const ours = events.filter((ev) => ev.reason === 'EksReflexionRemediation').map((ev) => ev.message ?? '');
    for (const { request } of requests) expect(ours.some((m) => m.includes(`rbac test ${request.action}`)), request.action).toBe(true);
  }, 240_000);

  it('eks-reflexion run --mode enforce --once, as the service account, fixes a bad-image rollout and leaves its Event', async () => {
    const e = need();
    await e.apps.patchNamespacedDeployment(
      { namespace: BILLING, name: 'web', body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'registry.local/web:1.2-missing' }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    // Let the bad pods reach ImagePullBackOff before the detection pass.
    await settle(e, BILLING, async () => (await e.cluster.listPods(BILLING, 'app=web')).some((p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff'));

    // The kubelet's part runs beside the CLI for as long as it works.
    let running = true;
    const kubelet = (async () => {
      while (running) {
        await kubeletPass(e, BILLING).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    const run = await exec(
      'node',
      [CLI, 'run', '--json', '--kubeconfig', saKubeconfig, '--mode', 'enforce', '--once', '--namespace', BILLING, '--dynamodb-endpoint', dynamo.endpoint, '--memory-namespace', dynamo.namespace('run')],
      { timeoutMs: 280_000 },
    ).finally(() => {
      running = false;
    });
    await kubelet;
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { outcomes: { outcome?: string; actions?: string[] }[] };
    expect(report.outcomes.length, run.stdout).toBeGreaterThan(0);
    expect(report.outcomes.every((o) => o.outcome === 'resolved'), run.stdout).toBe(true);
    const d = await e.cluster.getDeployment(BILLING, 'web');
    expect(d.spec?.template?.spec?.containers?.[0]?.image).not.toContain('missing');
    expect(await deploymentAvailable(e.cluster, BILLING, 'web')).toBe(true);
    const events = await e.cluster.eventsFor(BILLING, 'Deployment', 'web');
    expect(events.some((ev) => ev.reason === 'EksReflexionRemediation')).toBe(true);
  }, 300_000);
});
