import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../functions/domain/k8s';
import type { WorkflowState } from '../../functions/domain/workflow-state';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../functions/local/dynamodb-local';
import { FAULTS } from '../sim/faults';
import { SIM_CLUSTER, startLocalStack, type LocalStack } from '../harness/local-stack';

/**
 * The vertical slice, for real: a Deployment rolled out with an image tag that
 * does not exist is detected, analysed, rolled back, verified and reflected on
 * by the CDK-synthesized state machine and the real step functions, against
 * the simulated cluster over HTTPS, with the episode in DynamoDB Local.
 */
describe('walking skeleton: bad image tag, end to end', () => {
  let dynamo: DynamoDbLocal;
  beforeAll(async () => {
    dynamo = await startDynamoDbLocal();
  });
  afterAll(async () => {
    await dynamo?.stop();
  });

  async function injectBadTag(stack: LocalStack, seed: number) {
    const instance = FAULTS['bad-image-tag']!.instantiate(seed);
    await instance.setup(stack.kube);
    await stack.sim.advance(90);
    expect(await instance.oracle(stack.kube)).toBe(true); // the baseline is healthy before the fault
    await instance.inject(stack.kube);
    await stack.sim.advance(90);
    return instance;
  }

  it('rolls back to the healthy revision, verifies it, and stores the episode', async () => {
    const stack = await startLocalStack({ dynamoEndpoint: dynamo.endpoint, seed: 11 });
    try {
      const instance = await injectBadTag(stack, 11);
      const before = await stack.cluster.getDeployment(instance.namespace, instance.workload.name);
      const badImage = before.spec?.template?.spec?.containers?.[0]?.image;

      const [summary] = await stack.detect();
      expect(summary?.errors).toEqual([]);
      expect(summary?.started).toHaveLength(1);
      expect(summary?.started[0]?.signature).toBe('ImagePullBackOff:tag-not-found');

      const [result] = await stack.drain();
      expect(result?.status).toBe('SUCCEEDED');
      expect(result?.path).toEqual(expect.arrayContaining(['AcquireLock', 'Analyse', 'SelectStrategy', 'Rollback', 'WaitForConvergence', 'Verify', 'Reflect', 'ReleaseLockResolved', 'Resolved']));
      const output = result?.output as WorkflowState;
      expect(output.outcome).toBe('resolved');
      expect(output.decision?.action.action).toBe('rollback_deployment');

      // Cluster state afterwards: template back on a healthy image, every replica available.
      const after: Deployment = await stack.cluster.getDeployment(instance.namespace, instance.workload.name);
      const image = after.spec?.template?.spec?.containers?.[0]?.image;
      expect(image).not.toBe(badImage);
      expect(after.status?.availableReplicas).toBe(after.spec?.replicas);
      expect(after.status?.updatedReplicas).toBe(after.spec?.replicas);
      expect(after.metadata?.annotations?.['eks-reflexion.io/last-action']).toContain('rollback_deployment');
      expect(await instance.oracle(stack.kube)).toBe(true);

      // The stored episode, read back through the memory port.
      const episodes = await stack.memory.episodes.list({ cluster: SIM_CLUSTER });
      expect(episodes).toHaveLength(1);
      const episode = episodes[0]!;
      expect(episode.outcome).toBe('resolved');
      expect(episode.signature).toBe('ImagePullBackOff:tag-not-found');
      expect(episode.result?.preImage).toBeDefined();
      expect(episode.verification?.status).toBe('healthy');
      expect(episode.reflection?.text.length).toBeGreaterThan(20);
      expect(episode.timeToRecoverSeconds).toBeGreaterThan(0);

      // The resolution went out on the event bus, and the lock is free again.
      expect(stack.events.events.map((e) => e.type)).toEqual(['IncidentDetected', 'RemediationResolved']);
      expect(await stack.memory.locks.acquire(output.lock!.key, 'someone-else', 60, stack.sim.clock.now())).toBe(true);
    } finally {
      await stack.stop();
    }
  });

  it('does not start a second execution for a second detection of the same incident', async () => {
    const stack = await startLocalStack({ dynamoEndpoint: dynamo.endpoint, seed: 12, policy: { mode: 'observe' } });
    try {
      await injectBadTag(stack, 12);
      const [first] = await stack.detect();
      const [second] = await stack.detect();
      expect(first?.started).toHaveLength(1);
      expect(second?.started).toHaveLength(0);
      expect(second?.alreadyRunning).toEqual([first?.started[0]?.executionId]);
      const results = await stack.drain();
      expect(results).toHaveLength(1);
      // Observe mode: planned, nothing written.
      expect((results[0]?.output as WorkflowState).outcome).toBe('observed');
    } finally {
      await stack.stop();
    }
  });

  it('releases the lock when a handler throws, and escalates', async () => {
    const stack = await startLocalStack({
      dynamoEndpoint: dynamo.endpoint,
      seed: 13,
      stepOverrides: {
        verify: async () => {
          throw new Error('verify blew up');
        },
      },
    });
    try {
      await injectBadTag(stack, 13);
      await stack.detect();
      const [result] = await stack.drain();
      expect(result?.status).toBe('FAILED');
      expect(result?.error?.name).toBe('Escalated');
      expect(result?.path).toEqual(expect.arrayContaining(['Verify', 'Reflect', 'ReleaseLockEscalated', 'Escalated']));
      const [episode] = await stack.memory.episodes.list({});
      expect(episode?.outcome).toBe('error');
      expect(episode?.error?.message).toContain('verify blew up');
      const key = `${SIM_CLUSTER}/${episode!.incident.namespace}/${episode!.incident.target.kind}/${episode!.incident.target.name}`;
      expect(await stack.memory.locks.acquire(key, 'someone-else', 60, stack.sim.clock.now())).toBe(true);
    } finally {
      await stack.stop();
    }
  });

  it('routes a malformed incident to Escalate with a named error and writes nothing', async () => {
    const stack = await startLocalStack({ dynamoEndpoint: dynamo.endpoint, seed: 14 });
    try {
      const result = await stack.workflow.execute('malformed', {
        executionId: 'malformed',
        mode: 'enforce',
        maxTrials: 3,
        startedAt: '2026-01-01T00:00:00Z',
        incident: { cluster: SIM_CLUSTER, namespace: 'Not A Namespace!' },
      });
      expect(result.status).toBe('FAILED');
      expect(result.path).not.toContain('Analyse');
      expect(await stack.memory.episodes.list({})).toEqual([]);
    } finally {
      await stack.stop();
    }
  });
});
