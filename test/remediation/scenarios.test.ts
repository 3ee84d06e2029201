import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeCluster } from '../../functions/adapters/kubernetes/kube-cluster';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import { handleActionPayload } from '../../functions/app/action-api/router';
import type { AppDeps } from '../../functions/app/deps';
import { executeAction, type ExecuteDeps } from '../../functions/app/execute-action';
import { undoAction } from '../../functions/app/undo';
import { verifyWorkload } from '../../functions/app/verify-workload';
import type { ActionRequest, ActionResult } from '../../functions/domain/actions';
import { detectIncidents } from '../../functions/domain/detectors';
import type { Incident } from '../../functions/domain/incident';
import type { Memory } from '../../functions/ports/memory';
import type { Verification } from '../../functions/domain/model';
import { PolicyConfigSchema, type PolicyConfig } from '../../functions/domain/policy-config';
import { buildLocalDeps } from '../../functions/local/local-deps';
import { silentLogger } from '../../functions/ports/logger';
import type { WorkflowStarter } from '../../functions/ports/workflow';
import { FAULTS, type ScenarioInstance } from '../sim/faults';
import { createDeployment, deploymentManifest, ensureNamespace, patchContainer, webContainer, webImage } from '../sim/faults/kit';
import { startSimulatedCluster, type SimulatedCluster } from '../sim/index';
import { useDynamoDbLocal } from '../support/dynamodb';
import { countingCluster } from './kube-env';

/**
 * Remediation stories on the simulated cluster (virtual clock): a fault is
 * injected, detected, acted on through the same executor as the state
 * machine, and verified with the stability window; plus the action API end
 * to end against the same cluster and DynamoDB Local.
 */

const dynamo = useDynamoDbLocal();
let sim: SimulatedCluster;
let cluster: KubeCluster;
let memory: Memory;
let dir: string;

const POLICY: PolicyConfig = PolicyConfigSchema.parse({
  mode: 'enforce',
  cooldownSeconds: 0,
  maxActionsPerHour: 50,
  // The action API attributes these tests' anonymous payloads to a configured caller (enforce refuses anonymous writes).
  defaultRequestedBy: 'scenario-test',
  verify: { intervalSeconds: 15, timeoutSeconds: 300, stabilitySeconds: 60 },
});

beforeAll(async () => {
  sim = await startSimulatedCluster({ seed: 7 });
  dir = await mkdtemp(join(tmpdir(), 'rem-sim-'));
  await sim.writeKubeconfig(join(dir, 'kubeconfig'));
  cluster = KubeCluster.fromKubeconfigFile(join(dir, 'kubeconfig'), { clusterName: 'sim', clock: sim.clock });
  memory = createDynamoMemory({ client: dynamo.doc, tables: dynamo.tables, namespace: dynamo.namespace('scn'), clock: sim.clock });
});

afterAll(async () => {
  await sim?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function execDeps(policy: PolicyConfig = POLICY) {
  const counted = countingCluster(cluster);
  const deps: ExecuteDeps = { cluster: counted, policy, clock: sim.clock, logger: silentLogger, locks: memory.locks };
  return { deps, realWrites: () => counted.writes.filter((w) => !w.dryRun), allWrites: () => counted.writes };
}

async function advanceUntil(check: () => Promise<boolean>, maxSeconds: number, step = 5): Promise<void> {
  for (let t = 0; t <= maxSeconds; t += step) {
    if (await check()) return;
    await sim.advance(step, 1);
  }
  throw new Error(`condition not reached within ${maxSeconds}s of cluster time`);
}

async function start(name: string, seed: number): Promise<ScenarioInstance> {
  const inst = FAULTS[name]!.instantiate(seed);
  await sim.apply(inst);
  await advanceUntil(() => inst.oracle(sim.client), 120);
  return inst;
}

async function incidentFor(inst: ScenarioInstance): Promise<Incident> {
  let found: Incident | undefined;
  await advanceUntil(async () => {
    const snapshot = await cluster.snapshot({ namespaces: [inst.namespace] });
    const { incidents } = detectIncidents(snapshot, { source: 'direct', protectedNamespaces: [] });
    found = incidents.find((i) => i.target.name === inst.workload.name);
    return found !== undefined;
  }, 180);
  return found!;
}

/** The Verify ⟲ loop of the state machine: check every interval until healthy or failed. */
async function verifyLoop(incident: Incident, remediation: ActionResult): Promise<Verification[]> {
  const checks: Verification[] = [];
  let previous: Verification | undefined;
  for (let i = 0; i < 100; i++) {
    await sim.advance(POLICY.verify.intervalSeconds, 1);
    previous = await verifyWorkload({ cluster, clock: sim.clock, policy: POLICY }, { incident, remediation, ...(previous ? { previous } : {}) });
    checks.push(previous);
    if (previous.status !== 'converging') return checks;
  }
  throw new Error('verification never ended');
}

describe('remediation scenarios on the simulator', () => {
  it('bad-image-tag: rollback to the last healthy revision fixes it, and only after the stability window is it healthy', async () => {
    // Arrange
    const inst = await start('bad-image-tag', 11);
    await inst.inject(sim.client);
    const incident = await incidentFor(inst);
    expect(incident.kind).toBe('ImagePullBackOff');
    const { deps } = execDeps();
    // Act
    const result = await executeAction(deps, { action: 'rollback_deployment', namespace: inst.namespace, deployment: inst.workload.name }, { actionId: 'scn-bad-tag#1', reason: 'image tag not found', trial: 1 });
    const checks = await verifyLoop(incident, result);
    // Assert
    expect(result).toMatchObject({ applied: true, details: { fromRevision: 2, toRevision: 1, basis: 'healthy' } });
    const last = checks.at(-1)!;
    expect(last.status).toBe('healthy');
    expect(checks.slice(0, -1).every((c) => c.status === 'converging')).toBe(true);
    expect(Date.parse(last.checkedAt) - Date.parse(last.healthySince!)).toBeGreaterThanOrEqual(POLICY.verify.stabilitySeconds * 1000);
    expect(await inst.oracle(sim.client)).toBe(true);
  });

  it('a trial that makes things worse is detected as worse and undone', async () => {
    // Arrange: a workload whose history holds a bad image (rolled out once, then undone by hand).
    const inst = await start('bad-image-tag', 12);
    await inst.inject(sim.client);
    await advanceUntil(async () => (await cluster.listPods(inst.namespace)).some((p) => p.status?.containerStatuses?.some((c) => c.state?.waiting)), 120);
    await inst.manualFix(sim.client);
    await advanceUntil(() => inst.oracle(sim.client), 180);
    const d = await cluster.getDeployment(inst.namespace, inst.workload.name);
    const good = d.spec!.template!.spec!.containers![0]!;
    const history = (await cluster.listReplicaSets(inst.namespace)).map((rs) => rs.spec?.template?.spec?.containers?.[0]?.image);
    const bad = history.find((image) => image !== good.image)!;
    const incident: Incident = { ...(await anyIncidentShape(inst)), kind: 'ProbeFailure' };
    const { deps } = execDeps();
    // Act: the "fix" picks the bad image from history; the workload gets worse.
    const trial = await executeAction(deps, { action: 'patch_image', namespace: inst.namespace, deployment: inst.workload.name, container: good.name!, image: bad }, { actionId: 'scn-worse#1', reason: 'trial', trial: 1 });
    const checks = await verifyLoop(incident, trial);
    const undo = await undoAction(deps, trial, { actionId: 'scn-worse#1#undo', reason: 'made it worse' });
    await advanceUntil(() => inst.oracle(sim.client), 180);
    // Assert
    expect(checks.at(-1)).toMatchObject({ status: 'failed', worse: true });
    expect(checks.at(-1)?.evidence.join(' ')).toContain('new failure kinds since the action: ImagePullBackOff');
    expect(undo).toMatchObject({ applied: true, noop: false });
    expect((await cluster.getDeployment(inst.namespace, inst.workload.name)).spec?.template?.spec?.containers?.[0]?.image).toBe(good.image);
  });

  it('protected-namespace fault: refused without any write, and escalation writes nothing', async () => {
    const inst = await start('protected-namespace', 13);
    await inst.inject(sim.client);
    const { deps, allWrites } = execDeps();
    const request: ActionRequest = { action: 'rollback_deployment', namespace: 'kube-system', deployment: inst.workload.name };
    await expect(executeAction(deps, request, { actionId: 'scn-prot#1', reason: 'x' })).rejects.toMatchObject({ name: 'PolicyViolation', rule: 'protected-namespace' });
    const escalation = await executeAction(deps, { action: 'escalate', namespace: 'kube-system', reason: 'protected namespace', proposed: request }, { actionId: 'scn-prot#2', reason: 'x' });
    expect(escalation).toMatchObject({ applied: false, details: { proposed: request } });
    expect(allWrites()).toEqual([]);
  });

  it('a GitOps-managed workload is refused (rule gitops-managed) without any write', async () => {
    const ns = 'gitops-shop';
    await ensureNamespace(sim.client, ns);
    const image = 'registry.sim.local/shop/web:2.0.0';
    sim.registry.add(webImage(image));
    await createDeployment(
      sim.client,
      deploymentManifest({ namespace: ns, name: 'web', replicas: 2, container: webContainer('web', image), labels: { 'app.kubernetes.io/instance': 'shop' }, annotations: { 'argocd.argoproj.io/tracking-id': 'shop:apps/Deployment:gitops-shop/web' } }),
    );
    await sim.advance(20, 1);
    await patchContainer(sim.client, ns, 'web', { name: 'web', image: 'registry.sim.local/shop/web:2.0.1-missing' });
    await sim.advance(20, 1);
    const { deps, allWrites } = execDeps();
    const error = await executeAction(deps, { action: 'rollback_deployment', namespace: ns, deployment: 'web' }, { actionId: 'scn-gitops#1', reason: 'x' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'PolicyViolation', rule: 'gitops-managed' });
    expect((error as Error).message).toContain('Argo CD');
    expect(allWrites()).toEqual([]);
  });

  it('a container that crashes 5 s after start is never reported healthy', async () => {
    // Arrange: no probes, so each start looks Ready until it dies.
    const ns = 'crash-after-5s';
    const image = 'registry.sim.local/shop/flaky:1.0.0';
    sim.registry.add({ image, behaviour: { exitAfterSeconds: 5, exitCode: 1 } });
    await ensureNamespace(sim.client, ns);
    await createDeployment(sim.client, deploymentManifest({ namespace: ns, name: 'flaky', replicas: 2, container: { name: 'flaky', image, resources: { requests: { cpu: '50m', memory: '64Mi' } } } }));
    await sim.advance(3, 1);
    const incident: Incident = {
      fingerprint: 'ab'.repeat(16), signature: 'CrashLoopBackOff:exit-1', cluster: 'sim', namespace: ns, target: { kind: 'Deployment', namespace: ns, name: 'flaky' },
      kind: 'CrashLoopBackOff', subReason: 'exit-1', reason: 'CrashLoopBackOff', message: 'crashes', pods: [], evidence: { containers: [], events: [], logs: [], rolloutHistory: [], notes: [] }, unknowns: [], source: 'direct', detectedAt: sim.clock.now().toISOString(),
    };
    const { deps } = execDeps();
    // Act
    const restart = await executeAction(deps, { action: 'rollout_restart', namespace: ns, deployment: 'flaky' }, { actionId: 'scn-crash#1', reason: 'try a restart', trial: 1 });
    const checks = await verifyLoop(incident, restart);
    // Assert
    expect(checks.map((c) => c.status)).not.toContain('healthy');
    expect(checks.at(-1)?.status).toBe('failed');
  });

  it('scaled-to-zero: zero ready of zero desired is never healthy; scaling back to the HPA minimum is', async () => {
    // Arrange: an HPA-managed Deployment scaled to 0, detected through the real adapter.
    const inst = await start('scaled-to-zero', 21);
    await inst.inject(sim.client);
    const incident = await incidentFor(inst);
    expect(incident).toMatchObject({ kind: 'FailedRollout', subReason: 'scaled-to-zero', target: { kind: 'Deployment', name: inst.workload.name } });
    const min = Number(/minReplicas (\d+)/.exec(incident.evidence.notes.join('\n'))?.[1]);
    expect(min).toBeGreaterThanOrEqual(1);
    // Act 1: a trial that changes nothing (a restart of zero pods) must not verify: every count equals desired (0).
    const { deps } = execDeps();
    const nothing = await executeAction(deps, { action: 'rollout_restart', namespace: inst.namespace, deployment: inst.workload.name }, { actionId: 'scn-zero#1', reason: 'trial', trial: 1 });
    const idle = await verifyLoop(incident, nothing);
    // Act 2: scale back to the HPA's minimum.
    const scale = await executeAction(deps, { action: 'scale_deployment', namespace: inst.namespace, deployment: inst.workload.name, replicas: min }, { actionId: 'scn-zero#2', reason: 'back to minReplicas', trial: 2 });
    const fixed = await verifyLoop(incident, scale);
    // Assert
    expect(idle.map((c) => c.status)).not.toContain('healthy');
    expect(idle.at(-1)?.status).toBe('failed');
    expect(idle.at(-1)?.evidence.join('\n')).toContain(`desired replicas 0 < ${min} required`);
    expect(fixed.at(-1)?.status).toBe('healthy');
    expect(await inst.oracle(sim.client)).toBe(true);
  });
});

/** The incident of a workload built from its scenario (for stories where the detector has nothing to see yet). */
async function anyIncidentShape(inst: ScenarioInstance): Promise<Incident> {
  return {
    fingerprint: 'cd'.repeat(16),
    signature: 'ProbeFailure:test',
    cluster: 'sim',
    namespace: inst.namespace,
    target: { kind: 'Deployment', namespace: inst.namespace, name: inst.workload.name },
    kind: 'ProbeFailure',
    subReason: 'test',
    reason: 'test',
    message: 'test',
    pods: [],
    evidence: { containers: [], events: [], logs: [], rolloutHistory: [], notes: [] },
    unknowns: [],
    source: 'direct',
    detectedAt: sim.clock.now().toISOString(),
  };
}

describe('the action API end to end (simulator + DynamoDB Local)', () => {
  const started: { name: string; input: unknown }[] = [];
  const workflow: WorkflowStarter = {
    async start(name, input) {
      const again = started.some((s) => s.name === name);
      if (!again) started.push({ name, input });
      return { started: !again, executionId: name };
    },
  };
  let deps: AppDeps;
  let inst: ScenarioInstance;
  beforeAll(async () => {
    deps = buildLocalDeps({ clusters: { sim: cluster }, memory, policy: POLICY, clock: sim.clock, workflow });
    inst = await start('bad-image-tag', 21);
  });

  const call = (payload: Record<string, unknown>) => handleActionPayload(deps, { cluster_name: 'sim', ...payload });

  it.each([
    // Reads answer with what an agent needs, and never write.
    [{ action: 'pod_status', namespace: 'NS', label_selector: 'app=APP' }, (r: any) => expect(r.pods.length).toBeGreaterThan(0)],
    [{ action: 'cluster_metrics' }, (r: any) => expect(r.nodes.total).toBe(3)],
    [{ action: 'recent_events', namespace: 'NS', limit: 5 }, (r: any) => expect(r.events.length).toBeLessThanOrEqual(5)],
    [{ action: 'detect_failures', namespace: 'NS' }, (r: any) => expect(r.incidents).toEqual([])],
  ] as const)('%j answers ok', async (payload, check) => {
    const fill = (v: unknown) => (typeof v === 'string' ? v.replace('NS', inst.namespace).replace('APP', inst.workload.name) : v);
    const answer = await call(Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, fill(v)])));
    expect(answer).toMatchObject({ ok: true, action: payload.action, dry_run: false });
    if (answer.ok) check(answer.result as never);
  });

  it('scale_deployment: dry_run changes nothing, then the real call applies, and the bound is a payload error', async () => {
    const before = await cluster.getDeployment(inst.namespace, inst.workload.name);
    const replicas = (before.spec?.replicas ?? 1) + 1;
    const dry = await call({ action: 'scale_deployment', namespace: inst.namespace, deployment: inst.workload.name, replicas, dry_run: true });
    expect(dry).toMatchObject({ ok: true, dry_run: true, result: { applied: false, dryRun: true } });
    expect((await cluster.getDeployment(inst.namespace, inst.workload.name)).metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    const real = await call({ action: 'scale_deployment', namespace: inst.namespace, deployment: inst.workload.name, replicas, idempotency_key: 'scale-1' });
    expect(real).toMatchObject({ ok: true, dry_run: false, result: { applied: true } });
    expect((await cluster.getDeployment(inst.namespace, inst.workload.name)).spec?.replicas).toBe(replicas);
    const again = await call({ action: 'scale_deployment', namespace: inst.namespace, deployment: inst.workload.name, replicas, idempotency_key: 'scale-1' });
    // Answered from the idempotency store: the first answer, not a second write.
    expect(again.ok && again.result).toEqual(real.ok && real.result);
    expect(await call({ action: 'scale_deployment', namespace: inst.namespace, deployment: inst.workload.name, replicas: 51 })).toEqual({
      ok: false,
      error: { code: 'INVALID_PAYLOAD', message: 'replicas: must be <= 50' },
    });
  });

  it.each([
    // Each error code an agent must be able to branch on.
    [{ action: 'rollout_restart', namespace: 'kube-system', deployment: 'coredns' }, 'POLICY_VIOLATION', 'protected-namespace'],
    [{ action: 'rollout_restart', namespace: 'nowhere', deployment: 'ghost' }, 'NOT_FOUND', 'nowhere'],
    // Refused before the lock lookup reads the (missing) pod: the namespace alone decides.
    [{ action: 'restart_pod', namespace: 'kube-system', pod: 'coredns-1' }, 'POLICY_VIOLATION', "namespace 'kube-system' is protected"],
    [{ action: 'rollout_restart', namespace: 'NS', deployment: 'ghost' }, 'NOT_FOUND', 'ghost'],
    [{ action: 'restart_pod', namespace: 'nowhere', pod: 'ghost-1' }, 'NOT_FOUND', 'ghost-1'],
    [{ action: 'rollback_deployment', namespace: 'NS', deployment: 'APP', to_revision: 99 }, 'INVALID_PAYLOAD', 'to_revision: 99 is not in the rollout history'],
    [{ action: 'patch_image', namespace: 'NS', deployment: 'APP', container: 'APP', image: 'evil/miner:1' }, 'POLICY_VIOLATION', 'image-not-in-history'],
    [{ action: 'start_remediation', namespace: 'NS', target_name: 'APP' }, 'NOT_FOUND', 'no current failure'],
  ])('%j → %s', async (payload, code, text) => {
    const fill = (v: unknown) => (typeof v === 'string' ? v.replace('NS', inst.namespace).replace('APP', inst.workload.name) : v);
    const answer = await call(Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, fill(v)])));
    expect(answer).toMatchObject({ ok: false, error: { code } });
    if (!answer.ok) expect(answer.error.message).toContain(text);
  });

  it('a write while the state machine holds the workload lock is a CONFLICT and writes nothing', async () => {
    const key = `sim/${inst.namespace}/Deployment/${inst.workload.name}`;
    expect(await memory.locks.acquire(key, 'exec-running', 600, sim.clock.now())).toBe(true);
    try {
      const rv = (await cluster.getDeployment(inst.namespace, inst.workload.name)).metadata?.resourceVersion;
      const answer = await call({ action: 'rollout_restart', namespace: inst.namespace, deployment: inst.workload.name });
      expect(answer).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
      expect((await cluster.getDeployment(inst.namespace, inst.workload.name)).metadata?.resourceVersion).toBe(rv);
    } finally {
      await memory.locks.release(key, 'exec-running');
    }
  });

  it('start_remediation starts one execution per incident; a repeat starts none', async () => {
    await inst.inject(sim.client);
    await incidentFor(inst);
    const first = await call({ action: 'start_remediation', namespace: inst.namespace, target_name: inst.workload.name });
    const second = await call({ action: 'start_remediation', namespace: inst.namespace, target_name: inst.workload.name });
    expect(first).toMatchObject({ ok: true, result: { started: true } });
    expect(second).toMatchObject({ ok: true, result: { started: false } });
    expect(started).toHaveLength(1);
    const analysis = await call({ action: 'analyze_pod', namespace: inst.namespace, pod: (await cluster.listPods(inst.namespace)).find((p) => p.status?.containerStatuses?.some((c) => c.state?.waiting))!.metadata!.name! });
    expect(analysis).toMatchObject({ ok: true, result: { incident: { kind: 'ImagePullBackOff' } } });
  });

  it('memory actions: list, and clear only with confirm', async () => {
    expect(await call({ action: 'list_strategies' })).toMatchObject({ ok: true, result: { strategies: [] } });
    expect(await call({ action: 'list_episodes', namespace: inst.namespace })).toMatchObject({ ok: true, result: { episodes: [] } });
    expect(await call({ action: 'clear_memory', scope: 'all' })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await call({ action: 'clear_memory', scope: 'all', confirm: true })).toMatchObject({ ok: true, result: { deleted: { strategies: 0, episodes: 0 } } });
  });
});
