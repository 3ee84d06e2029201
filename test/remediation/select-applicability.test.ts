import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import type { KubeCluster } from '../../functions/adapters/kubernetes/kube-cluster';
import { selectStrategyStep } from '../../functions/app/steps/select-strategy';
import type { Strategy } from '../../functions/domain/model';
import { workloadKey } from '../../functions/domain/policy';
import { PolicyConfigSchema } from '../../functions/domain/policy-config';
import { strategyId } from '../../functions/domain/strategy-template';
import type { WorkflowState } from '../../functions/domain/workflow-state';
import { buildLocalDeps } from '../../functions/local/local-deps';
import type { Memory } from '../../functions/ports/memory';
import { incident } from '../reasoner/fixtures';
import { createDeployment, deploymentManifest, getDeployment, patchContainer, replicaSetsOf, webContainer, webImage } from '../sim/faults/kit';
import type { SimulatedCluster } from '../sim/index';
import { useDynamoDbLocal } from '../support/dynamodb';
import { startShopSimulator, type ShopSimulator } from '../support/shop-simulator';

/**
 * #14: selection never picks a strategy whose plan cannot apply to the
 * workload as it is now. Memory that learned "roll back" on a signature used
 * to pick it for a Deployment with nothing to roll back to (a registry that
 * garbage-collected the only revision's tag): the rollback threw
 * ActionNotApplicable in Remediate and the incident lost a trial. The step now
 * plans each candidate (the executor's own planner, on the reads it would
 * make; nothing written) and excludes the ones that cannot apply or would
 * change nothing, saying why in the decision's candidates.
 */

const dynamo = useDynamoDbLocal();
let sim: SimulatedCluster;
let cluster: KubeCluster;
let memory: Memory;
let shop: ShopSimulator | undefined;
const GOOD = 'registry.sim.local/shop/web:1.0.0';
const NEXT = 'registry.sim.local/shop/web:1.1.0';
const SIGNATURE = 'ImagePullBackOff:tag-not-found';

/** A learned strategy with a strong record on the signature: memory would pick it over anything unproven. */
function learned(action: Strategy['action'], template: Record<string, unknown>): Strategy {
  return { id: strategyId(SIGNATURE, action, template), signature: SIGNATURE, action, template, description: `learned ${action}`, successes: 0, failures: 0, source: 'learned', retired: false };
}
const rollback = learned('rollback_deployment', { namespace: '{{namespace}}', deployment: '{{target.name}}' });
const setGood = learned('patch_image', { namespace: '{{namespace}}', deployment: '{{target.name}}', container: '{{container}}', image: GOOD });

beforeAll(async () => {
  shop = await startShopSimulator({ seed: 14, dirPrefix: 'select-applicability-', image: GOOD, deployments: [] });
  ({ sim, cluster } = shop);
  memory = createDynamoMemory({ client: dynamo.doc, tables: dynamo.tables, namespace: dynamo.namespace('applicable'), clock: sim.clock });
  sim.registry.add(webImage(NEXT));
  // single: one revision only (nothing to roll back to); two: revision 1 healthy, revision 2 current.
  for (const name of ['single', 'two', 'left']) {
    await createDeployment(sim.client, deploymentManifest({ namespace: 'shop', name, replicas: 1, container: webContainer(name, GOOD) }));
  }
  // probe: a readiness probe timing out after 1 s, one revision.
  const probe = { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 5, timeoutSeconds: 1, failureThreshold: 3 };
  await createDeployment(sim.client, deploymentManifest({ namespace: 'shop', name: 'probe', replicas: 1, container: webContainer('probe', GOOD, { readinessProbe: probe }) }));
  await sim.advance(20, 1);
  for (const name of ['two', 'left']) await patchContainer(sim.client, 'shop', name, { name, image: NEXT });
  await sim.advance(30, 1);
  // left: an earlier rollback recorded that it left revision 1 failing, so revision 1 is known failing.
  const left = (await getDeployment(sim.client, 'shop', 'left'))!;
  const rs1 = (await replicaSetsOf(sim.client, left)).find((rs) => rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '1');
  await memory.locks.recordAction(workloadKey('sim', 'shop', 'Deployment', 'left'), 'earlier-rollback', sim.clock.now(), 'test', {
    action: 'rollback_deployment',
    leftFailing: { replicaSet: rs1!.metadata!.name!, revision: 1 },
  });
  for (let i = 0; i < 20; i++) {
    for (const s of [rollback, setGood]) await memory.strategies.recordOutcome({ strategy: s, success: true, at: sim.clock.now().toISOString(), outcomeId: `${s.action}-${i}` });
  }
});

afterAll(async () => {
  await shop?.stop();
});

async function decide(
  deployment: string,
  options: { kind?: 'ImagePullBackOff' | 'ProbeFailure'; subReason?: string; policy?: object } = {},
): Promise<NonNullable<WorkflowState['decision']>> {
  const policy = PolicyConfigSchema.parse({ mode: 'enforce', ...options.policy });
  const deps = buildLocalDeps({ clusters: { sim: cluster }, memory, policy, clock: sim.clock, random: () => 0.5 });
  const { kind = 'ImagePullBackOff', subReason = 'tag-not-found' } = options;
  const input = {
    executionId: `exec-${deployment}`,
    // Evidence says nothing of the rollout history: the template's own `requires` check cannot tell; only a plan can.
    incident: incident({ cluster: 'sim', namespace: 'shop', kind, subReason, target: { kind: 'Deployment', namespace: 'shop', name: deployment }, pods: [], evidence: { containers: [{ pod: `${deployment}-pod`, container: deployment, init: false, ready: false, restartCount: 0 }] } }),
    mode: 'enforce',
    trial: 1,
    maxTrials: 3,
    startedAt: sim.clock.now().toISOString(),
  };
  const out = (await selectStrategyStep(deps, input)) as WorkflowState;
  return out.decision!;
}

describe('SelectStrategy plans each candidate before choosing', () => {
  // Why each case: the learned rollback and image pin both have 20/20 successes, so whichever applies is chosen;
  // a candidate that cannot apply must be excluded with the planner's reason, one that can must stay.
  it.each([
    { why: 'one revision only: the rollback has nowhere to go; the image is already the good one', deployment: 'single', rollback: /nothing to roll back to|no earlier revision/, image: /would change nothing/ },
    { why: 'revision 1 healthy, revision 2 current: both apply', deployment: 'two', rollback: undefined, image: undefined },
    { why: 'revision 1 known failing from an action record: no rollback target left', deployment: 'left', rollback: /known to be failing|not known to be failing/, image: undefined },
  ])('$why', async ({ deployment, rollback: rollbackReason, image: imageReason }) => {
    const decision = await decide(deployment);
    const byId = new Map(decision.candidates.map((c) => [c.strategyId, c]));
    for (const [strategy, reason] of [
      [rollback, rollbackReason],
      [setGood, imageReason],
    ] as const) {
      const candidate = byId.get(strategy.id);
      expect(candidate, strategy.id).toBeDefined();
      if (reason) expect(candidate?.excluded).toMatch(reason);
      else expect(candidate?.excluded).toBeUndefined();
    }
    const chosen = decision.action.action;
    if (rollbackReason && imageReason) expect(['rollback_deployment', 'patch_image']).not.toContain(chosen);
    else expect(['rollback_deployment', 'patch_image']).toContain(chosen);
  });
});

describe('SelectStrategy sizes templates within the configured policy', () => {
  // Why each case: the seeded timeout step (×4 asked) used the default limits whatever the policy said, and
  // the default ×3 bound refused its 1 s → 4 s outright. The step is now within the policy the write path applies.
  it.each([
    { why: 'default policy: ×3 per step', policy: {}, timeout: 3 },
    { why: 'an operator\'s stricter ×2', policy: { limits: { maxProbeFactor: 2 } }, timeout: 2 },
  ])('$why', async ({ policy, timeout }) => {
    const decision = await decide('probe', { kind: 'ProbeFailure', subReason: 'readiness-timeout', policy });
    expect(decision.action).toMatchObject({ action: 'patch_probe', probe: 'readiness', timeout_seconds: timeout });
  });
});
