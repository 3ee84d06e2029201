import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { queryAll } from '../../functions/adapters/dynamodb/store-support';
import { MemoryError } from '../../functions/domain/errors';
import { useDynamoDbLocal } from '../support/dynamodb';

/**
 * The stores' one query loop (lib-dynamodb's paginator) against DynamoDB
 * Local, with pages forced small (Limit) so every case crosses pages.
 */
const db = useDynamoDbLocal();

async function partition(items: number): Promise<{ pk: string; input: { TableName: string; KeyConditionExpression: string; ExpressionAttributeValues: Record<string, unknown>; Limit: number } }> {
  const pk = `${db.namespace('pages')}#X`;
  for (let i = 0; i < items; i++) {
    await db.doc.send(new PutCommand({ TableName: db.tables.locks, Item: { pk, sk: `item-${String(i).padStart(3, '0')}` } }));
  }
  return { pk, input: { TableName: db.tables.locks, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, Limit: 2 } };
}

describe('queryAll over pages', () => {
  it.each([
    // Every page is read: 7 items in pages of 2 is four pages.
    { options: {}, want: 7 },
    // maxItems cuts inside a page and stops reading.
    { options: { maxItems: 3 }, want: 3 },
    // maxEvaluated stops after the page that reaches it (2 + 2 evaluated).
    { options: { maxEvaluated: 4 }, want: 4 },
    // A bound larger than the partition changes nothing.
    { options: { maxItems: 50, maxEvaluated: 50 }, want: 7 },
  ])('$options -> $want items, in key order', async ({ options, want }) => {
    const { input } = await partition(7);
    const items = await queryAll(db.doc, input, 'test query', options);
    expect(items.map((i) => i.sk)).toEqual(Array.from({ length: want }, (_, i) => `item-${String(i).padStart(3, '0')}`));
  });

  it('an SDK error on a page becomes a MemoryError naming the query', async () => {
    const { input } = await partition(1);
    await expect(queryAll(db.doc, { ...input, TableName: 'no-such-table' }, 'test query')).rejects.toThrow(MemoryError);
    await expect(queryAll(db.doc, { ...input, TableName: 'no-such-table' }, 'test query')).rejects.toThrow(/^test query: ResourceNotFoundException/);
  });
});
