import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import { executeAction } from '../../functions/app/execute-action';
import { executionName, startIncidentExecution } from '../../functions/app/incident-executions';
import { lockStep } from '../../functions/app/steps/lock';
import { reflectStep } from '../../functions/app/steps/reflect';
import type { WorkflowState, WorkflowStateInput } from '../../functions/domain/workflow-state';
import { executionBudget, PolicyConfigSchema, type Mode, type PolicyConfigInput } from '../../functions/domain/policy-config';
import { buildLocalDeps } from '../../functions/local/local-deps';
import { localWorkflow } from '../../functions/local/local-workflow';
import { ExecutionAlreadyExists } from '../../functions/local/runner';
import type { Memory } from '../../functions/ports/memory';
import type { WorkflowStarter } from '../../functions/ports/workflow';
import { executionTimeout } from '../../lib/stack-settings';
import { incident, strategy } from '../memory/fixtures';
import { VirtualClock } from '../sim/clock';
import { useDynamoDbLocal } from '../support/dynamodb';
import { createDeployment, createNamespace, freshNamespace, startSimKubeEnv, type KubeEnv } from '../remediation/kube-env';

/**
 * Issue #10 item 8: nothing lost on the unhappy paths — a failed undo, a lock
 * that expires before its execution, names that silence a workload for an
 * hour or start it twice, an episode dropped because a name repeated.
 */
const dynamo = useDynamoDbLocal();
const memoryAt = (clock: VirtualClock, prefix: string): Memory => createDynamoMemory({ client: dynamo.doc, tables: dynamo.tables, namespace: dynamo.namespace(prefix), clock });

describe('lock TTL and execution timeout: one computation, the TTL never shorter', () => {
  it.each<{ why: string; policy: PolicyConfigInput }>([
    // The defaults: before, the lock (45 min) expired long before the 2 h hard stop.
    { why: 'defaults', policy: {} },
    { why: 'many long trials (timeout above the 2 h floor)', policy: { maxTrials: 10, verify: { intervalSeconds: 30, timeoutSeconds: 3600 } } },
    { why: 'a configured TTL longer than needed is kept', policy: { lockTtlSeconds: 86_400 } },
  ])('$why', async ({ policy: input }) => {
    const policy = PolicyConfigSchema.parse(input);
    const timeout = executionTimeout(policy).toSeconds();
    const ttls: number[] = [];
    const clock = new VirtualClock('2026-11-23T10:00:00Z');
    const memory = memoryAt(clock, 'ttl');
    const deps = buildLocalDeps({
      clusters: { 'prod-eks': {} as never },
      memory: { ...memory, locks: { ...memory.locks, acquire: async (k, o, ttl, now) => (ttls.push(ttl), memory.locks.acquire(k, o, ttl, now)) } },
      policy,
      clock,
    });
    const state: WorkflowStateInput = { executionId: 'x', incident: incident(), mode: 'enforce', maxTrials: policy.maxTrials, startedAt: clock.now().toISOString() };
    await lockStep(deps, { op: 'acquire', state });
    expect(ttls).toEqual([executionBudget(policy).lockTtlSeconds]);
    expect(ttls[0]!).toBeGreaterThan(timeout);
    expect(ttls[0]!).toBeGreaterThanOrEqual(policy.lockTtlSeconds);
  });
});

describe('execution names', () => {
  it.each([
    // Why each: what an SRE reads in the console list, and Step Functions' 80-character, charset rule.
    { why: 'a short workload', ns: 'shop', name: 'web', signature: 'ImagePullBackOff:tag-not-found', starts: 'shop-web-imagepullbackoff-tag-not-found-' },
    { why: 'long names are cut, the fingerprint and minute kept', ns: 'a'.repeat(63), name: 'b'.repeat(60), signature: 'CrashLoopBackOff:exit-1', starts: 'aaaa' },
    { why: 'dots, colons and capitals become dashes and lower case', ns: 'team-a', name: 'api.v2', signature: 'OOMKilled:limit', starts: 'team-a-api-v2-oomkilled-limit-' },
  ])('$why', ({ ns, name, signature, starts }) => {
    const inc = incident({ namespace: ns, target: { kind: 'Deployment', namespace: ns, name }, signature });
    const at = new Date('2026-11-23T10:15:30Z');
    const enforce = executionName(inc, at, 'enforce');
    expect(enforce.startsWith(starts)).toBe(true);
    expect(enforce.length).toBeLessThanOrEqual(80);
    expect(enforce).toMatch(/^[a-z0-9-]+$/);
    expect(enforce).toContain(`-${inc.fingerprint.slice(0, 8)}-e`);
    // An observe run and an enforce run in the same minute never share a name (so never an episode id).
    expect(executionName(inc, at, 'observe')).not.toBe(enforce);
  });
});

/** A starter that records what it started (Step Functions' idempotency per name, nothing run). */
function recordingStarter(): WorkflowStarter & { started: string[] } {
  const started: string[] = [];
  return {
    started,
    async start(name) {
      if (started.includes(name)) return { started: false, executionId: name };
      started.push(name);
      return { started: true, executionId: name };
    },
  };
}

describe('start dedup: neither silenced for the rest of the hour nor started twice across it', () => {
  const setup = (mode: Mode = 'enforce') => {
    const clock = new VirtualClock('2026-11-23T10:05:00Z');
    const memory = memoryAt(clock, 'dedup');
    const workflow = recordingStarter();
    const deps = buildLocalDeps({ clusters: { 'prod-eks': {} as never }, memory, policy: PolicyConfigSchema.parse({ mode }), clock, workflow });
    const inc = incident();
    const startedAt = new Map<string, string>();
    const start = async (m: Mode = mode) => {
      const r = await startIncidentExecution({ ...deps, policy: { ...deps.policy, mode: m } }, inc);
      if (r.started) startedAt.set(r.name, clock.now().toISOString());
      return r.started;
    };
    /** The end of the execution `name`: AcquireLock then a ReleaseLock* with the document it would carry. */
    const end = async (name: string, how: { outcome?: string; error?: boolean; mode?: Mode }) => {
      const state = { executionId: name, incident: inc, mode: how.mode ?? mode, maxTrials: 3, startedAt: startedAt.get(name)! };
      const acquired = (await lockStep(deps, { op: 'acquire', state })) as WorkflowState;
      await lockStep(deps, { op: 'release', state: { ...acquired, ...(how.outcome ? { outcome: how.outcome } : {}), ...(how.error ? { error: { Error: 'KubeUnavailable' } } : {}) } });
    };
    return { clock, deps, workflow, start, end };
  };

  it('a running execution is not started again when the clock hour turns (before: new hour, new name, second start)', async () => {
    const s = setup();
    await s.clock.advance(50 * 60); // 10:55
    expect(await s.start()).toBe(true);
    await s.clock.advance(10 * 60); // 11:05: still running
    expect(await s.start()).toBe(false);
    expect(s.workflow.started).toHaveLength(1);
  });

  it('after an early end (an error), the failure starts again after a short back-off, not at the next hour', async () => {
    const s = setup();
    expect(await s.start()).toBe(true);
    await s.clock.advance(60);
    await s.end(s.workflow.started[0]!, { error: true });
    expect(await s.start()).toBe(false); // back-off: a flapping failure does not start every minute
    await s.clock.advance(6 * 60); // 10:12, same clock hour
    expect(await s.start()).toBe(true);
  });

  it('after a normal end, a persisting failure waits out the dedup window from the start, then starts', async () => {
    const s = setup();
    expect(await s.start()).toBe(true);
    await s.clock.advance(10 * 60);
    await s.end(s.workflow.started[0]!, { outcome: 'escalated' });
    await s.clock.advance(20 * 60); // 10:35
    expect(await s.start()).toBe(false);
    await s.clock.advance(31 * 60); // 11:06, an hour after the first start
    expect(await s.start()).toBe(true);
  });

  it('observe then enforce in the same hour: the enforce run starts, under its own name', async () => {
    const s = setup('observe');
    expect(await s.start('observe')).toBe(true);
    await s.clock.advance(60);
    await s.end(s.workflow.started[0]!, { outcome: 'observed', mode: 'observe' });
    await s.clock.advance(4 * 60);
    expect(await s.start('enforce')).toBe(true);
    expect(new Set(s.workflow.started).size).toBe(2);
  });
});

describe('the local runner follows Step Functions name semantics', () => {
  it('a name is unique per state machine for 90 days; execute refuses a used one', async () => {
    const clock = new VirtualClock('2026-11-23T10:00:00Z');
    const deps = buildLocalDeps({ clusters: { 'prod-eks': {} as never }, memory: memoryAt(clock, 'names'), policy: PolicyConfigSchema.parse({}), clock });
    const workflow = localWorkflow(deps, { advance: (s) => clock.advance(s) });
    expect(await workflow.start('shop-web-x', { a: 1 })).toMatchObject({ started: true });
    expect(await workflow.start('shop-web-x', { a: 1 })).toMatchObject({ started: false });
    expect(await workflow.start('shop-web-x', { a: 2 })).toMatchObject({ started: false });
    await workflow.drain();
    await expect(workflow.execute('shop-web-x', { a: 3 })).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await clock.advance(91 * 86_400, 86_400);
    expect(await workflow.start('shop-web-x', { a: 4 })).toMatchObject({ started: true });
    await expect(workflow.start('has space', {})).rejects.toMatchObject({ name: 'ValidationError' });
  }, 120_000);
});

describe('Reflect on the unhappy paths (simulated API server)', () => {
  let env: KubeEnv;
  beforeAll(async () => {
    env = await startSimKubeEnv('prod-eks');
  });
  afterAll(async () => {
    await env?.plane.stop();
  });

  const reflectDeps = (memory: Memory, clock: VirtualClock | undefined = undefined) =>
    buildLocalDeps({
      clusters: { 'prod-eks': env.cluster },
      memory,
      policy: PolicyConfigSchema.parse({ mode: 'enforce', cooldownSeconds: 0, maxActionsPerHour: 100 }),
      clock: clock ?? { now: () => new Date() },
    });

  it.each([
    // Why each: the three ways an undo fails in practice; each used to throw out of Reflect and lose episode and outcome.
    { why: 'the workload is gone (not found)', breakIt: async (ns: string) => env.apps.deleteNamespacedDeployment({ namespace: ns, name: 'web' }), failed: /Kube.*NotFound|ActionNotApplicable|TargetNotFound/ },
    {
      why: 'the workload opted out since (refused by policy)',
      breakIt: async (ns: string) => {
        const { PatchStrategy, setHeaderOptions } = await import('@kubernetes/client-node');
        await env.apps.patchNamespacedDeployment(
          { namespace: ns, name: 'web', body: [{ op: 'add', path: '/metadata/annotations/eks-reflexion.io~1ignore', value: 'true' }] },
          setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
        );
      },
      failed: /PolicyViolation/,
    },
  ])('a failed undo ($why) is in the episode and the strategy outcome, then escalates', async ({ breakIt, failed }) => {
    const ns = freshNamespace('undo');
    await createNamespace(env, ns);
    await createDeployment(env, ns, 'web', { replicas: 2 });
    const memory = createDynamoMemory({ client: dynamo.doc, tables: dynamo.tables, namespace: dynamo.namespace('undo') });
    const deps = reflectDeps(memory);
    const inc = incident({ cluster: 'prod-eks', namespace: ns, target: { kind: 'Deployment', namespace: ns, name: 'web' } });
    const action = { action: 'scale_deployment' as const, namespace: ns, deployment: 'web', replicas: 4 };
    const remediation = await executeAction(
      { cluster: env.cluster, policy: deps.policy, clock: deps.clock, logger: deps.logger, locks: memory.locks },
      action,
      { actionId: `undo-${ns}#1`, reason: 'test' },
    );
    expect(remediation.applied).toBe(true);
    await breakIt(ns);
    const strat = strategy({ signature: inc.signature, action: 'scale_deployment', template: {} });
    await memory.strategies.ensure(strat);
    const now = new Date().toISOString();
    const state: WorkflowStateInput = {
      executionId: `undo-${ns}`,
      incident: inc,
      mode: 'enforce',
      maxTrials: 3,
      startedAt: now,
      decision: { strategyId: strat.id, strategy: strat, action, mode: 'exploit', why: 'test' },
      remediation,
      verification: { status: 'failed', checkedAt: now, deadline: now, worse: true },
    };
    const out = (await reflectStep(deps, state)) as WorkflowState;
    expect(out.next).toBe('escalate'); // not another trial on a workload left worse
    expect(out.undo).toMatchObject({ applied: false, details: { undoFailed: expect.stringMatching(failed) } });
    const episode = await memory.episodes.get(`undo-${ns}#1`);
    expect(episode?.undo?.details['undoFailed']).toMatch(failed);
    expect(episode?.outcome).toBe('failed');
    const [counted] = (await memory.strategies.listForSignature(inc.signature)).filter((s) => s.id === strat.id);
    expect(counted?.failures).toBe(1);
  });

  it('an episode is never dropped because an execution name repeats (another start time)', async () => {
    const memory = createDynamoMemory({ client: dynamo.doc, tables: dynamo.tables, namespace: dynamo.namespace('repeat') });
    const deps = reflectDeps(memory);
    const inc = incident({ cluster: 'prod-eks' });
    const base = { executionId: 'same-name', incident: inc, maxTrials: 3, decision: { strategyId: 'esc', action: { action: 'escalate' as const, namespace: 'shop', reason: 'x' }, mode: 'escalate' as const, why: 'x' } };
    await reflectStep(deps, { ...base, mode: 'observe', startedAt: '2026-11-23T10:00:00.000Z' });
    await reflectStep(deps, { ...base, mode: 'enforce', startedAt: '2026-11-23T10:20:00.000Z' });
    // A retried Reflect of the second one writes nothing more.
    await reflectStep(deps, { ...base, mode: 'enforce', startedAt: '2026-11-23T10:20:00.000Z' });
    const episodes = (await memory.episodes.list({})).filter((e) => e.executionId === 'same-name');
    expect(episodes.map((e) => e.startedAt).sort()).toEqual(['2026-11-23T10:00:00.000Z', '2026-11-23T10:20:00.000Z']);
  });
});
