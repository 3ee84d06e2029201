import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createTables, DynamoDbLocalError, startDynamoDbLocal } from '../../functions/local/dynamodb-local';
import { TABLES } from '../../functions/adapters/dynamodb/tables';
import { useDynamoDbLocal } from '../support/dynamodb';

const db = useDynamoDbLocal();

describe('DynamoDB Local and createTables', () => {
  it.each([
    // Why: a deployment-like local run (real clock) expires locks the way the stack's tables do.
    { expireByTtl: undefined, status: 'ENABLED' },
    // Why: a virtual clock in the past would see its live locks deleted by DynamoDB Local's TTL sweeper
    // (a flaky dedup test showed the locks table emptied between two steps).
    { expireByTtl: false, status: undefined },
  ])('creates the tables from TABLES, with the GSI, and TTL on locks unless expireByTtl is false ($expireByTtl)', async ({ expireByTtl, status }) => {
    const names = { episodes: `e-${expireByTtl}-${Date.now()}`, strategies: `s-${expireByTtl}-${Date.now()}`, locks: `l-${expireByTtl}-${Date.now()}` };
    await createTables(db.client, names, expireByTtl === undefined ? {} : { expireByTtl });
    const episodes = await db.client.send(new DescribeTableCommand({ TableName: names.episodes }));
    const ttl = await db.client.send(new DescribeTimeToLiveCommand({ TableName: names.locks }));
    expect(episodes.Table?.GlobalSecondaryIndexes?.map((g) => g.IndexName)).toEqual(TABLES.episodes.globalIndexes.map((g) => g.indexName));
    if (status) {
      expect(ttl.TimeToLiveDescription?.AttributeName).toBe('expiresAt');
      expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe(status);
    } else {
      expect(ttl.TimeToLiveDescription?.TimeToLiveStatus ?? 'DISABLED').toBe('DISABLED');
    }
  });

  it('is idempotent: creating the same tables again changes nothing and does not throw', async () => {
    // Why: the local runner calls createTables on every start against a persistent dbPath.
    await expect(createTables(db.client, db.tables)).resolves.toBeUndefined();
  });

  it('rejects a bad table name before calling DynamoDB', async () => {
    // Why: a typo in a CLI flag must not produce a half-created set of tables.
    await expect(createTables(db.client, { ...db.tables, locks: 'x' })).rejects.toThrow(DynamoDbLocalError);
  });

  it('refuses an out-of-range port with a clear error', async () => {
    await expect(startDynamoDbLocal({ port: 70_000 })).rejects.toThrow(/port must be/);
  });
});
