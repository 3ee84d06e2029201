import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createTables, DynamoDbLocalError, startDynamoDbLocal } from '../../functions/local/dynamodb-local';
import { TABLES } from '../../functions/adapters/dynamodb/tables';
import { useDynamoDbLocal } from '../support/dynamodb';

const db = useDynamoDbLocal();

describe('DynamoDB Local and createTables', () => {
  it('creates the tables from TABLES, with the GSI and TTL on locks', async () => {
    // Arrange / Act: the helper created the tables in beforeAll.
    const episodes = await db.client.send(new DescribeTableCommand({ TableName: db.tables.episodes }));
    const ttl = await db.client.send(new DescribeTimeToLiveCommand({ TableName: db.tables.locks }));
    // Assert
    expect(episodes.Table?.GlobalSecondaryIndexes?.map((g) => g.IndexName)).toEqual(
      TABLES.episodes.globalIndexes.map((g) => g.indexName),
    );
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe('expiresAt');
    expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
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
