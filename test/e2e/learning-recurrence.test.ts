import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../functions/local/dynamodb-local';
import { runFault } from '../harness/fault-driver';
import { REASONER_ONLY_POLICY } from '../bench/stream-unit';
import { MASKED_OR_FIXED, OOM_AFTER_RELEASE } from './learning-recurrence-cases';

/**
 * Recurrence counts as failure, end to end (simulated cluster, the
 * CDK-synthesized state machine, the real detector, DynamoDB Local): in
 * oom-after-release the reasoner proposes raising the limit. For a working
 * set that grew, that is the fix: nothing comes back. For a leak, it only
 * masks the fault: verification passes (the system records `resolved`), the
 * simulator's app model keeps leaking under the bigger limit, the pods are
 * OOMKilled again minutes later, and the system's own detector counts the
 * resolved trial as the strategy's failure. Nothing in this path reads the
 * scenario's ground truth; the test forces the cause only to know which case
 * it is looking at.
 */
const oom = OOM_AFTER_RELEASE;

describe('a masked fault comes back and is counted as a failure', () => {
  let dynamo: DynamoDbLocal;
  const tables = { episodes: 'rec-episodes', strategies: 'rec-strategies', locks: 'rec-locks' };
  beforeAll(async () => {
    dynamo = await startDynamoDbLocal();
  }, 120_000);
  afterAll(async () => {
    await dynamo?.stop();
  });

  it.each(MASKED_OR_FIXED)('$cause: recurs $recurs', async ({ cause, weights, recurs }) => {
    const run = await runFault({
      scenario: oom,
      seed: 4242,
      causeWeights: weights,
      memoryNamespace: `rec-${cause}`,
      dynamoEndpoint: dynamo.endpoint,
      tables,
      policy: REASONER_ONLY_POLICY,
      watchForRecurrence: true,
    });
    expect(run.cause).toBe(cause);
    expect(run.trialsDetail[0]).toMatchObject({ action: 'patch_resources', outcome: 'resolved' });
    expect(run.recurred).toBe(recurs);
    if (recurs) {
      expect(run.recurredAfterSeconds).toBeGreaterThan(60);
      expect(run.recurredAfterSeconds).toBeLessThanOrEqual(30 * 60);
    }
  }, 300_000);
});
