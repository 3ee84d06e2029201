import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeCluster } from '../../functions/adapters/kubernetes/kube-cluster';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import { handleActionPayload } from '../../functions/app/action-api/router';
import type { AppDeps } from '../../functions/app/deps';
import { lockStep } from '../../functions/app/steps/lock';
import { reflectStep } from '../../functions/app/steps/reflect';
import { remediateStep } from '../../functions/app/steps/remediate';
import type { ActionResult } from '../../functions/domain/actions';
import { PolicyConfigSchema, type Mode, type PolicyConfig } from '../../functions/domain/policy-config';
import type { WorkflowState, WorkflowStateInput } from '../../functions/domain/workflow-state';
import { buildLocalDeps } from '../../functions/local/local-deps';
import type { Memory } from '../../functions/ports/memory';
import { incident } from '../reasoner/fixtures';
import type { SimulatedCluster } from '../sim/index';
import { useDynamoDbLocal } from '../support/dynamodb';
import { startShopSimulator, type ShopSimulator } from '../support/shop-simulator';
import { countingCluster } from './kube-env';

/**
 * #10 item 1: the configured mode is a ceiling, read at every write. An
 * execution or a payload may ask for a stricter mode, never a looser one, and
 * an operator's switch to observe stops executions already in flight.
 */

const dynamo = useDynamoDbLocal();
let sim: SimulatedCluster;
let cluster: KubeCluster;
let memory: Memory;

const policy = (mode: Mode, extra: object = {}): PolicyConfig => PolicyConfigSchema.parse({ mode, cooldownSeconds: 0, maxActionsPerHour: 100, ...extra });

let shop: ShopSimulator | undefined;

beforeAll(async () => {
  shop = await startShopSimulator({ seed: 5, dirPrefix: 'mode-ceiling-' });
  ({ sim, cluster } = shop);
  memory = createDynamoMemory({ client: dynamo.doc, tables: dynamo.tables, namespace: dynamo.namespace('mode'), clock: sim.clock });
});

afterAll(() => shop?.stop());

/** Deps whose configured policy is whatever `configured()` answers at the time of the call. */
function depsWith(configured: () => PolicyConfig, started: PolicyConfig = policy('enforce')) {
  const counted = countingCluster(cluster);
  let readCount = 0;
  // Every call that is not a write is a read of the cluster.
  const reading = new Proxy(counted, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || prop === 'writes') return value;
      return (...args: unknown[]) => {
        if (!['patchDeployment', 'scaleDeployment', 'patchHpa', 'deletePod', 'createEvent'].includes(String(prop))) readCount++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const deps: AppDeps = {
    ...buildLocalDeps({ clusters: { sim: reading }, memory, policy: started, clock: sim.clock }),
    currentPolicy: async () => configured(),
  };
  return { deps, writes: () => counted.writes.filter((w) => !w.dryRun && w.method !== 'createEvent'), reads: () => readCount };
}

function state(mode: Mode, overrides: Partial<WorkflowStateInput> = {}): WorkflowStateInput {
  return {
    executionId: `exec-${Math.random().toString(36).slice(2, 10)}`,
    incident: incident({ cluster: 'sim', namespace: 'shop', target: { kind: 'Deployment', namespace: 'shop', name: 'web' } }),
    mode,
    trial: 1,
    maxTrials: 3,
    startedAt: sim.clock.now().toISOString(),
    ...overrides,
  };
}

const scaleTo = (replicas: number) => ({
  strategyId: 'scale-test',
  action: { action: 'scale_deployment' as const, namespace: 'shop', deployment: 'web', replicas },
  mode: 'only-candidate' as const,
  why: 'test',
});

describe('Remediate: the stricter of the configured mode and the execution input', () => {
  // Why each case: the input's mode used to replace the configured one, so a hand-started enforce execution wrote in observe.
  it.each<[why: string, configured: Mode, input: Mode]>([
    ['an enforce execution in an observe deployment writes nothing', 'observe', 'enforce'],
    ['an enforce execution in a dry-run deployment only dry-runs', 'dry-run', 'enforce'],
    ['a dry-run execution in an enforce deployment stays dry-run', 'enforce', 'dry-run'],
  ])('%s', async (_why, configured, input) => {
    const { deps, writes } = depsWith(() => policy(configured));
    const out = (await remediateStep(deps, { ...state(input), decision: scaleTo(3) })) as WorkflowState;
    expect(out.remediation?.applied).toBe(false);
    expect(writes()).toEqual([]);
  });

  it('an operator switching to observe stops an execution already in flight (the mode is read at the write)', async () => {
    let configured: Mode = 'enforce';
    const { deps, writes } = depsWith(() => policy(configured));
    const first = (await remediateStep(deps, { ...state('enforce'), decision: scaleTo(3) })) as WorkflowState;
    expect(first.remediation?.applied).toBe(true);
    configured = 'observe';
    const second = (await remediateStep(deps, { ...first, trial: 2, decision: scaleTo(2) })) as WorkflowState;
    expect(second.remediation?.applied).toBe(false);
    expect(writes()).toHaveLength(1);
  });
});

describe('Reflect: an undo obeys the configured mode too', () => {
  it('a worse trial is not undone by writing when the deployment was switched to observe', async () => {
    let configured: Mode = 'enforce';
    const { deps, writes } = depsWith(() => policy(configured));
    const applied = (await remediateStep(deps, { ...state('enforce'), decision: scaleTo(4) })) as WorkflowState;
    expect(applied.remediation?.applied).toBe(true);
    configured = 'observe';
    const remediation = applied.remediation as ActionResult;
    const out = (await reflectStep(deps, {
      ...applied,
      verification: { status: 'failed', worse: true, checkedAt: sim.clock.now().toISOString(), deadline: sim.clock.now().toISOString(), evidence: ['worse'], checks: 1 },
      remediation,
    })) as WorkflowState;
    expect(out.undo?.applied).toBe(false);
    expect(writes()).toHaveLength(1);
  });
});

describe('action API: the configured mode at the time of the call', () => {
  it('a write without dry_run only dry-runs when the deployment was switched to dry-run after start', async () => {
    const { deps, writes } = depsWith(() => policy('dry-run'), policy('enforce'));
    const answer = await handleActionPayload(deps, { action: 'scale_deployment', cluster_name: 'sim', namespace: 'shop', deployment: 'web', replicas: 3 });
    expect(answer).toMatchObject({ ok: true, dry_run: true });
    expect(writes()).toEqual([]);
  });
});

describe('AcquireLock refuses what is out of scope before anything is read', () => {
  // Each case would otherwise let Analyse read logs and events of a namespace the policy never touches.
  it.each<[why: string, configured: PolicyConfig, where: { cluster: string; namespace: string }, error: string]>([
    ['an always-protected namespace', policy('enforce'), { cluster: 'sim', namespace: 'kube-system' }, 'PolicyViolation'],
    ['a configured protected namespace', policy('enforce', { protectedNamespaces: ['payments'] }), { cluster: 'sim', namespace: 'payments' }, 'PolicyViolation'],
    ['a namespace outside the opt-in list', policy('enforce', { optInNamespaces: ['web'] }), { cluster: 'sim', namespace: 'shop' }, 'PolicyViolation'],
    ['a cluster this deployment is not configured for', policy('enforce'), { cluster: 'elsewhere', namespace: 'shop' }, 'ValidationError'],
  ])('%s', async (_why, configured, where, error) => {
    const { deps, reads } = depsWith(() => configured);
    const input = state('enforce', {
      incident: incident({ cluster: where.cluster, namespace: where.namespace, target: { kind: 'Deployment', namespace: where.namespace, name: 'web' } }),
    });
    await expect(lockStep(deps, { op: 'acquire', state: input })).rejects.toMatchObject({ name: error });
    expect(reads()).toBe(0);
    const key = `${where.cluster}/${where.namespace}/Deployment/web`;
    expect(await memory.locks.acquire(key, 'probe', 60, sim.clock.now())).toBe(true);
    await memory.locks.release(key, 'probe');
  });
});
