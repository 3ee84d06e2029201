import { GetItemCommand, ProvisionedThroughputExceededException, ThrottlingException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDynamoClients } from '../../functions/adapters/dynamodb/client';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import { MemoryThrottled } from '../../functions/domain/errors';
import { useDynamoDbLocal } from '../support/dynamodb';
import { draw } from './chaos-proxy';
import { throttleDynamoDb } from './chaos-dynamodb';

const dynamo = useDynamoDbLocal();

describe('throttleDynamoDb', () => {
  it('answers with DynamoDB\'s own throttling errors, which the SDK retries before the caller sees them', async () => {
    const { client } = createDynamoClients({ endpoint: dynamo.endpoint });
    const { log } = throttleDynamoDb(client, { share: 1, seed: 1 });
    const error = await client.send(new GetItemCommand({ TableName: dynamo.tables.episodes, Key: { pk: { S: 'x' }, sk: { S: 'y' } } })).catch((e: unknown) => e);
    // The SDK's real exception classes, deserialized from the HTTP answer.
    expect(error instanceof ProvisionedThroughputExceededException || error instanceof ThrottlingException).toBe(true);
    // Every attempt the client is configured for (DynamoDB Local: 3) was made: the SDK's retry ran.
    expect((error as { $metadata: { attempts: number } }).$metadata.attempts).toBe(3);
    expect(log.attempts).toBe(3);
    expect(log.byOperation['GetItem']).toEqual({ attempts: 3, throttled: 3 });
  });

  it('what the SDK does not absorb reaches the memory adapter as MemoryThrottled (a retryable error of the state machine)', async () => {
    const { client, doc } = createDynamoClients({ endpoint: dynamo.endpoint });
    throttleDynamoDb(client, { share: 1, seed: 2 });
    const memory = createDynamoMemory({ client: doc, tables: dynamo.tables, namespace: dynamo.namespace('thr') });
    await expect(memory.episodes.get('missing')).rejects.toBeInstanceOf(MemoryThrottled);
  });

  it('at a share of 0.2, throttles the predicted attempts; the SDK absorbs them and every write lands', async () => {
    const share = 0.2;
    const seed = 9;
    const { client, doc } = createDynamoClients({ endpoint: dynamo.endpoint });
    const { log } = throttleDynamoDb(client, { share, seed });
    const ns = dynamo.namespace('abs');
    const surfaced: number[] = [];
    for (let i = 0; i < 40; i++) {
      await doc.send(new PutCommand({ TableName: dynamo.tables.locks, Item: { pk: `${ns}#${i}`, sk: 'x' } })).catch(() => surfaced.push(i));
    }
    // The same seed predicts which attempts fail: sequential puts, up to 3 attempts each.
    let n = 0;
    const predicted: number[] = [];
    let throttled = 0;
    for (let i = 0; i < 40; i++) {
      let attempts = 0;
      let ok = false;
      while (attempts < 3 && !ok) {
        attempts++;
        if (draw(seed, 'ddb', 'PutItem', n++) < share) throttled++;
        else ok = true;
      }
      if (!ok) predicted.push(i);
    }
    expect(surfaced).toEqual(predicted);
    expect(log.throttled.ProvisionedThroughputExceededException + log.throttled.ThrottlingException).toBe(throttled);
    expect(throttled).toBeGreaterThan(3);
    const plain = createDynamoClients({ endpoint: dynamo.endpoint }).doc;
    for (let i = 0; i < 40; i++) {
      const got = await plain.send(new GetCommand({ TableName: dynamo.tables.locks, Key: { pk: `${ns}#${i}`, sk: 'x' } }));
      expect(Boolean(got.Item)).toBe(!predicted.includes(i));
    }
  }, 120_000);
});
