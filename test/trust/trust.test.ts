import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOOL_HINTS } from '../../bin/mcp/tools';
import { handleActionPayload } from '../../functions/app/action-api/router';
import { buildTrustReport } from '../../functions/app/trust/trust-report';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../functions/local/dynamodb-local';
import type { Cluster } from '../../functions/ports/cluster';
import { mutations } from '../harness/counting-cluster';
import { startLocalStack, type LocalStack } from '../harness/local-stack';
import { FAULTS } from '../sim/faults';

/**
 * The trust ladder on the simulator: a dry-run deployment proposes, the test
 * plays the operator with the writes kubectl makes (rollout undo, scale),
 * and the report sets each proposal against what the operator did.
 */
let dynamo: DynamoDbLocal;
let stack: LocalStack;
beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  stack = await startLocalStack({ dynamoEndpoint: dynamo.endpoint, seed: 11, policy: { mode: 'dry-run' } });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  await dynamo?.stop();
});

const WINDOW = 600;

/** The cluster with every read recorded as `method args`. */
function readCounting(inner: Cluster, reads: string[]): Cluster {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (/^(get|list)/.test(String(prop))) reads.push(`${String(prop)} ${args.filter((x) => x !== undefined).join('/')}`);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** Detection passes until an execution starts, then runs it (dry-run: a proposal, nothing written). */
async function proposal(): Promise<void> {
  for (let waited = 0; waited < 300; waited += 60) {
    await stack.sim.advance(60, 5);
    const [summary] = await stack.detect();
    if (summary && summary.started.length > 0) {
      await stack.drain();
      return;
    }
  }
  throw new Error('nothing detected');
}

describe('trust report', () => {
  it('matching operator fixes give high agreement and qualify the strategy; a mismatching fix lowers agreement', async () => {
    const start = stack.sim.clock.now();
    // Namespace A: the same bad rollout twice; each time the operator runs `kubectl rollout undo` (the scenario's manual fix).
    const a = FAULTS['bad-image-tag']!.instantiate(11);
    await a.setup(stack.kube);
    await stack.sim.advance(120, 5);
    for (let round = 0; round < 2; round++) {
      await a.inject(stack.kube);
      await proposal();
      await stack.sim.advance(60, 5);
      await a.manualFix(stack.kube);
      // Past the window, and past the hour a finished incident's start claim holds.
      await stack.sim.advance(round === 0 ? 3700 : WINDOW + 60, 60);
    }
    // Namespace B: the same fault; the operator scales up instead (`kubectl scale --replicas`), which is not the proposal.
    const b = FAULTS['bad-image-tag']!.instantiate(12);
    expect(b.namespace).not.toBe(a.namespace);
    await b.setup(stack.kube);
    await stack.sim.advance(120, 5);
    await b.inject(stack.kube);
    await proposal();
    const path = `/apis/apps/v1/namespaces/${b.namespace}/deployments/${b.workload.name}`;
    const { spec } = await stack.kube.get<{ spec: { replicas: number } }>(path);
    await stack.kube.request('PATCH', `${path}/scale`, { spec: { replicas: spec.replicas + 2 } }, { patch: 'merge' });
    await stack.sim.advance(WINDOW + 60, 60);

    // Nothing was written by the system: every proposal was a dry run.
    expect(mutations(stack.writes)).toEqual([]);

    // A threshold two decisions can meet: 2 of 2 has a 95 % lower bound of 0.29 (Beta(3, 1)), 0 of 1 of 0.01.
    const report = await buildTrustReport(stack.deps, { since: start, windowSeconds: WINDOW, threshold: { minN: 2, minAgreementLow: 0.25, minRecoveryLow: 0.25 } });
    const rowA = report.rows.find((r) => r.namespace === a.namespace)!;
    const rowB = report.rows.find((r) => r.namespace === b.namespace)!;
    expect(rowA).toMatchObject({ action: 'rollback_deployment', decisions: 2, pending: 0, operatorActed: 2, agreement: { successes: 2, n: 2 }, recoveryWhenAgreed: { successes: 2, n: 2 }, qualifies: true });
    expect(report.evaluations.filter((e) => e.namespace === a.namespace).flatMap((e) => e.changes.map((c) => c.kind))).toEqual(['rollback', 'rollback']);
    // The mismatching fix: an operator acted, not as proposed, and the workload did not recover.
    expect(rowB).toMatchObject({ action: 'rollback_deployment', decisions: 1, operatorActed: 1, agreement: { successes: 0, n: 1 }, recovery: { successes: 0, n: 1 }, qualifies: false });
    expect(report.evaluations.find((e) => e.namespace === b.namespace)!.changes).toEqual([expect.objectContaining({ kind: 'scale', direction: 1 })]);
    expect(rowB.agreement.mean).toBeLessThan(rowA.agreement.mean);
    expect(rowB.verdict).toMatch(/n = 1 < 2/);
    // The report proposes; it names exactly the strategy that earned it.
    expect(report.qualifying).toEqual([expect.objectContaining({ namespace: a.namespace, action: 'rollback_deployment', strategyIds: rowA.strategyIds, proposal: expect.stringContaining('consider enforce') })]);

    // One report reads each object, and each namespace's lists, once however many decisions name them: the
    // report compares with the cluster as it is now (before: every decision read its Deployment, ReplicaSets and
    // pods twice, and namespace A's two decisions read them again, so reads grew with history).
    const reads: string[] = [];
    const counted = { ...stack.deps, cluster: async (name: string) => readCounting(await stack.deps.cluster(name), reads) };
    const again = await buildTrustReport(counted, { since: start, windowSeconds: WINDOW, threshold: { minN: 2, minAgreementLow: 0.25, minRecoveryLow: 0.25 } });
    expect(again.rows).toEqual(report.rows);
    const perTarget = new Map<string, number>();
    for (const r of reads) perTarget.set(r, (perTarget.get(r) ?? 0) + 1);
    expect([...perTarget].filter(([, n]) => n > 1)).toEqual([]);
    expect(reads.filter((r) => r.startsWith('getDeployment')).sort()).toEqual(
      [`getDeployment ${a.namespace}/${a.workload.name}`, `getDeployment ${b.namespace}/${b.workload.name}`].sort(),
    );

    // The same report through the action API (and so the MCP tool, a read-only one), with the threshold in the payload.
    const viaApi = await handleActionPayload(stack.deps, { action: 'trust_report', since: start.toISOString(), window_seconds: WINDOW, min_n: 2, min_agreement_low: 0.25, min_recovery_low: 0.25 });
    expect(viaApi).toMatchObject({ ok: true, action: 'trust_report', result: { qualifying: report.qualifying, rows: report.rows } });
    expect(TOOL_HINTS.trust_report).toMatchObject({ readOnlyHint: true, destructiveHint: false });

    // The default threshold (10 decisions) is not met by two: nothing is proposed.
    const strict = await buildTrustReport(stack.deps, { since: start, windowSeconds: WINDOW, threshold: { minN: 10, minAgreementLow: 0.8, minRecoveryLow: 0.7 } });
    expect(strict.qualifying).toEqual([]);
    // Decisions still inside their window are pending, not judged.
    const early = await buildTrustReport(stack.deps, { since: start, windowSeconds: 100_000, threshold: { minN: 1, minAgreementLow: 0, minRecoveryLow: 0 } });
    expect(early.rows.every((r) => r.pending === r.decisions)).toBe(true);
  }, 600_000);
});
