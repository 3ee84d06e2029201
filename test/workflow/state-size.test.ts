import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../functions/domain/k8s';
import type { WorkflowState } from '../../functions/domain/workflow-state';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../functions/local/dynamodb-local';
import { STATE_DATA_LIMIT_BYTES, type StateVisit } from '../../functions/local/runner';
import { startLocalStack, type LocalStack } from '../harness/local-stack';
import { FAULTS } from '../sim/faults';

/**
 * Issue #10 item 7: the execution's state stays within Step Functions' 256 KiB
 * per state, which the local runner enforces as AWS does (States.DataLimitExceeded,
 * terminal: no Catch, not even States.ALL, sees it). A Deployment whose pod
 * template is 300 KB is rolled back end to end through the synthesized state
 * machine; before, the rollback's pre-image (the whole template) made the
 * Rollback state's output exceed the limit and the execution died holding the lock.
 */
describe('state within Step Functions limits', () => {
  let dynamo: DynamoDbLocal;
  beforeAll(async () => {
    dynamo = await startDynamoDbLocal();
  });
  afterAll(async () => {
    await dynamo?.stop();
  });

  it('the runner fails an execution whose state exceeds 256 KiB, past every Catch, like AWS', async () => {
    const stack = await startLocalStack({
      dynamoEndpoint: dynamo.endpoint,
      seed: 41,
      // Analyse answers a document over the limit.
      stepOverrides: { analyse: async (_deps, input) => ({ ...(input as object), padding: 'x'.repeat(STATE_DATA_LIMIT_BYTES) }) },
    });
    try {
      const instance = FAULTS['bad-image-tag']!.instantiate(41);
      await instance.setup(stack.kube);
      await stack.sim.advance(90);
      await instance.inject(stack.kube);
      await stack.sim.advance(90);
      await stack.detect();
      const [result] = await stack.drain();
      expect(result?.status).toBe('FAILED');
      expect(result?.error?.name).toBe('States.DataLimitExceeded');
      expect(result?.path.at(-1)).toBe('Analyse'); // neither Reflect nor a ReleaseLock ran
    } finally {
      await stack.stop();
    }
  }, 300_000);

  it('rolls back a Deployment with a 300 KB pod template end to end, every state under 256 KiB, undo data kept by reference', async () => {
    const sizes: { state: string; bytes: number }[] = [];
    const onVisit = (v: StateVisit) => {
      if (v.type.endsWith(':exit')) sizes.push({ state: v.state, bytes: Buffer.byteLength(JSON.stringify(v.output ?? null), 'utf8') });
    };
    const stack: LocalStack = await startLocalStack({ dynamoEndpoint: dynamo.endpoint, seed: 42, onVisit });
    try {
      const instance = FAULTS['bad-image-tag']!.instantiate(42);
      await instance.setup(stack.kube);
      await stack.sim.advance(90);
      // A healthy revision whose template carries 300 KB of environment.
      const path = `/apis/apps/v1/namespaces/${instance.namespace}/deployments/${instance.workload.name}`;
      const env = Array.from({ length: 30 }, (_, i) => ({ name: `BLOB_${i}`, value: 'v'.repeat(10_000) }));
      await stack.kube.patch(path, [{ op: 'add', path: '/spec/template/spec/containers/0/env', value: env }], 'json');
      await stack.sim.advance(90);
      expect(await instance.oracle(stack.kube)).toBe(true);
      await instance.inject(stack.kube);
      await stack.sim.advance(90);
      const template = (await stack.kube.get<Deployment>(path)).spec?.template;
      expect(Buffer.byteLength(JSON.stringify(template), 'utf8')).toBeGreaterThan(300_000);

      await stack.detect();
      const [result] = await stack.drain();
      expect(result?.error).toBeUndefined();
      expect(result?.status).toBe('SUCCEEDED');
      const output = result?.output as WorkflowState;
      expect(output.decision?.action.action).toBe('rollback_deployment');
      expect(output.outcome).toBe('resolved');
      expect(Math.max(...sizes.map((s) => s.bytes))).toBeLessThanOrEqual(STATE_DATA_LIMIT_BYTES);
      // The pre-image refers to the revision instead of carrying the template; the env survived the rollback.
      expect(output.remediation?.details['preImageTemplate']).toMatchObject({ byReference: 'replicaset-revision' });
      const after = await stack.kube.get<Deployment>(path);
      expect(after.spec?.template?.spec?.containers?.[0]?.env).toHaveLength(30);
      const [episode] = await stack.memory.episodes.list({});
      expect(episode?.outcome).toBe('resolved');
    } finally {
      await stack.stop();
    }
  }, 300_000);
});
