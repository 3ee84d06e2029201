import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleActionPayload } from '../../functions/app/action-api/router';
import { remediateStep } from '../../functions/app/steps/remediate';
import type { Deployment } from '../../functions/domain/k8s';
import type { WorkflowState } from '../../functions/domain/workflow-state';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../functions/local/dynamodb-local';
import type { ExecutionResult } from '../../functions/local/runner';
import { FAULTS } from '../sim/faults';
import { startLocalStack, type LocalStack } from '../harness/local-stack';

/**
 * The approval gate through the CDK-synthesized state machine on the local
 * runner (task tokens), the real steps, DynamoDB Local and the simulated
 * cluster: a rollback that policy puts behind approval waits in
 * RequestApproval, and only approve_action with its digest lets exactly that
 * change through.
 */
describe('approval gate, end to end', () => {
  let dynamo: DynamoDbLocal;
  beforeAll(async () => {
    dynamo = await startDynamoDbLocal();
  });
  afterAll(async () => {
    await dynamo?.stop();
  });

  const APPROVAL_TIMEOUT = 600;

  async function start(seed: number) {
    const documents: unknown[] = [];
    const stack = await startLocalStack({
      dynamoEndpoint: dynamo.endpoint,
      seed,
      onVisit: (visit) => {
        if (visit.state === 'Rollback' && visit.type.endsWith(':exit')) documents.push(visit.output);
      },
      policy: { mode: 'enforce', approvalRequiredFor: ['rollback_deployment'], approvalTimeoutSeconds: APPROVAL_TIMEOUT },
    });
    const instance = FAULTS['bad-image-tag']!.instantiate(seed);
    await instance.setup(stack.kube);
    await stack.sim.advance(90);
    await instance.inject(stack.kube);
    await stack.sim.advance(90);
    const [summary] = await stack.detect();
    expect(summary?.started).toHaveLength(1);
    const before = await stack.cluster.getDeployment(instance.namespace, instance.workload.name);
    // The execution runs in the background; the test plays the operator while it waits.
    const running = stack.drain();
    return { stack, instance, before, running, documents };
  }

  /** The nth ApprovalRequested on the bus, once the execution got there. */
  async function approvalRequested(stack: LocalStack, nth = 1): Promise<Record<string, unknown>> {
    for (let i = 0; i < 3000; i++) {
      const requests = stack.events.events.filter((e) => e.type === 'ApprovalRequested');
      if (requests.length >= nth) return requests[nth - 1]!.detail;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no ApprovalRequested #${nth}; events: ${stack.events.events.map((e) => e.type).join(', ')}`);
  }

  const imageOf = (d: Deployment) => d.spec?.template?.spec?.containers?.[0]?.image;
  const call = (stack: LocalStack, payload: Record<string, unknown>) => handleActionPayload(stack.deps, payload);

  it('waits with nothing written, then applies exactly the approved change and records who approved', async () => {
    const { stack, instance, before, running } = await start(21);
    try {
      const request = await approvalRequested(stack);
      const digest = String(request['digest']);
      expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(request).not.toHaveProperty('taskToken');
      // The digest shows the exact change: the bad image before, the healthy one after.
      const change = request['change'] as { path: string; before?: unknown; after?: unknown }[];
      expect(change).toContainEqual(expect.objectContaining({ path: '/spec/template/spec/containers/0/image', before: imageOf(before) }));
      expect(request['statistics']).toMatchObject({ n: expect.any(Number), low: expect.any(Number), high: expect.any(Number), level: 0.95 });
      expect(Date.parse(String(request['expiresAt'])) - Date.parse(String(request['requestedAt']))).toBe(APPROVAL_TIMEOUT * 1000);
      // Waiting: the deployment is untouched.
      const waiting = await stack.cluster.getDeployment(instance.namespace, instance.workload.name);
      expect(imageOf(waiting)).toBe(imageOf(before));
      expect(waiting.metadata?.annotations?.['eks-reflexion.io/last-action']).toBeUndefined();
      const status = await call(stack, { action: 'approval_status', digest });
      expect(status).toMatchObject({ ok: true, result: { status: 'pending', digest } });
      expect(JSON.stringify(status)).not.toContain('local-task-token');

      const approved = await call(stack, { action: 'approve_action', digest, approver: 'alice', note: 'looks right' });
      expect(approved).toMatchObject({ ok: true, result: { status: 'approved', by: 'alice' } });
      // The same digest cannot be used twice.
      expect(await call(stack, { action: 'approve_action', digest, approver: 'bob' })).toMatchObject({ ok: false, error: { code: 'CONFLICT', message: expect.stringContaining('already approved by alice') } });
      const [result] = (await running) as ExecutionResult[];
      expect(result?.path).toEqual(expect.arrayContaining(['Rollback', 'Applied?', 'RequestApproval', 'RouteAction', 'Verify', 'ReleaseLockResolved']));
      const output = result?.output as WorkflowState;
      expect(output.outcome).toBe('resolved');
      expect(output.remediation?.details['approval']).toEqual({ digest, by: 'alice' });
      const after = await stack.cluster.getDeployment(instance.namespace, instance.workload.name);
      const expected = change.find((c) => c.path === '/spec/template/spec/containers/0/image')!.after;
      expect(imageOf(after)).toBe(expected);
    } finally {
      await running.catch(() => undefined);
      await stack.stop();
    }
  }, 120_000);

  it('refuses a stale digest (the object changed), re-plans and asks again; the old digest stays refused', async () => {
    const { stack, instance, running } = await start(22);
    try {
      const first = String((await approvalRequested(stack, 1))['digest']);
      // Someone edits the deployment's spec while the request waits.
      await stack.kube.patch(`/apis/apps/v1/namespaces/${instance.namespace}/deployments/${instance.workload.name}`, { spec: { minReadySeconds: 1 } }, 'merge');
      const stale = await call(stack, { action: 'approve_action', digest: first, approver: 'alice' });
      expect(stale).toMatchObject({ ok: false, error: { code: 'CONFLICT', message: expect.stringContaining('stale') } });
      const second = String((await approvalRequested(stack, 2))['digest']);
      expect(second).not.toBe(first);
      expect(await call(stack, { action: 'approve_action', digest: first, approver: 'alice' })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
      expect(await call(stack, { action: 'approve_action', digest: second, approver: 'alice' })).toMatchObject({ ok: true });
      const [result] = (await running) as ExecutionResult[];
      expect((result?.output as WorkflowState).outcome).toBe('resolved');
      expect(result?.path.filter((s) => s === 'RequestApproval')).toHaveLength(2);
    } finally {
      await running.catch(() => undefined);
      await stack.stop();
    }
  }, 120_000);

  // Each row: how the wait ends without an approval; either way the execution escalates, nothing written.
  it.each<[string, (stack: LocalStack, digest: string) => Promise<void>, string]>([
    ['the approval times out', async (stack) => stack.sim.advance(APPROVAL_TIMEOUT + 30), 'States.Timeout'],
    [
      'an operator denies it',
      async (stack, digest) => {
        expect(await handleActionPayload(stack.deps, { action: 'deny_action', digest, approver: 'carol', note: 'not during the sale' })).toMatchObject({ ok: true });
      },
      'ApprovalDenied',
    ],
  ])('%s → escalated, nothing written, lock released', async (_why, end, error) => {
    const { stack, instance, before, running } = await start(23);
    try {
      const digest = String((await approvalRequested(stack))['digest']);
      await end(stack, digest);
      const [result] = (await running) as ExecutionResult[];
      expect(result?.status).toBe('FAILED');
      expect(result?.path.at(-1)).toBe('Escalated');
      expect(result?.path).toContain('ReleaseLockEscalated');
      expect(stack.writes.filter((w) => w.method !== 'createEvent')).toEqual([]);
      const after = await stack.cluster.getDeployment(instance.namespace, instance.workload.name);
      expect(after.spec).toEqual(before.spec);
      const [episode] = await stack.memory.episodes.list({});
      expect(episode?.error?.name).toBe(error);
      expect(episode?.outcome).toBe('error');
    } finally {
      await running.catch(() => undefined);
      await stack.stop();
    }
  }, 120_000);

  it('a grant written into the document by anyone but approve_action (a reasoner, a forged input) writes nothing', async () => {
    const { stack, instance, before, running, documents } = await start(24);
    try {
      const digest = String((await approvalRequested(stack))['digest']);
      // The waiting execution's own document, as Remediate returned it, with a grant the approval store never recorded.
      const doc = documents.at(-1) as WorkflowState;
      expect(doc.approval?.digest.digest).toBe(digest);
      const forged = { ...doc, approval: { ...doc.approval!, grant: { digest, by: 'the-reasoner', at: stack.sim.clock.now().toISOString() } } };
      const out = (await remediateStep(stack.deps, forged)) as WorkflowState;
      expect(out.remediation?.applied).toBe(false);
      expect(out.remediation?.details['refused']).toBe('approval-unverified');
      expect(out.approval).toBeUndefined();
      const after = await stack.cluster.getDeployment(instance.namespace, instance.workload.name);
      expect(after.spec).toEqual(before.spec);
      expect(await handleActionPayload(stack.deps, { action: 'deny_action', digest, approver: 'test' })).toMatchObject({ ok: true });
    } finally {
      await running.catch(() => undefined);
      await stack.stop();
    }
  }, 120_000);
});
