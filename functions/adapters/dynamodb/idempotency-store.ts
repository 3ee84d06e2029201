import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyAlreadyInProgressError, IdempotencyConfig, IdempotencyValidationError, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { IdempotencyConflict } from '../../domain/errors';
import type { IdempotencyStore } from '../../ports/memory';
import { KEY } from './keys';

/** How long a key is remembered: a retry within this window gets the stored answer. */
export const IDEMPOTENCY_EXPIRY_SECONDS = 24 * 3600;

export interface DynamoIdempotencyStore extends IdempotencyStore {
  /**
   * Lets Powertools bound an INPROGRESS record by the invocation's remaining
   * time, so a write cut short by a function timeout does not block its key
   * until the record expires. Call once per invocation (the Lambda pipeline does).
   */
  registerLambdaContext(context: Context): void;
}

/**
 * The IdempotencyStore on Powertools Idempotency with DynamoDB persistence,
 * in the locks table (records expire through its TTL attribute, `expiresAt`):
 * partition `<ns>#IDEM`, sort key the hash of the caller's key. The whole
 * request is hashed as the validation payload, so the same key with another
 * request is refused (IdempotencyConflict) instead of answered as a no-op.
 */
export function createIdempotencyStore(options: {
  client: DynamoDBClient;
  table: string;
  partition: string;
  expiresAfterSeconds?: number;
}): DynamoIdempotencyStore {
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: options.table,
    awsSdkV3Client: options.client,
    keyAttr: KEY.pk,
    sortKeyAttr: KEY.sk,
    staticPkValue: options.partition,
    expiryAttr: 'expiresAt',
  });
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'key',
    payloadValidationJmesPath: 'request',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: options.expiresAfterSeconds ?? IDEMPOTENCY_EXPIRY_SECONDS,
  });
  const run = makeIdempotent(async (_record: { key: string; request: Record<string, unknown> }, work: () => Promise<unknown>) => work(), {
    persistenceStore,
    config,
    // A fixed prefix: the key must not depend on the function's physical name.
    keyPrefix: 'eks-reflexion-action',
    dataIndexArgument: 0,
  });
  return {
    registerLambdaContext: (context) => config.registerLambdaContext(context),
    async once<T>(key: string, request: Record<string, unknown>, work: () => Promise<T>): Promise<T> {
      try {
        return (await run({ key, request }, work)) as T;
      } catch (error) {
        if (error instanceof IdempotencyValidationError) {
          throw new IdempotencyConflict(`idempotency_key '${key}' was already used for a different request; use a new key`, 'different-request', { cause: error });
        }
        if (error instanceof IdempotencyAlreadyInProgressError) {
          throw new IdempotencyConflict(`idempotency_key '${key}': the first request with this key is still running; retry later`, 'in-progress', { cause: error });
        }
        throw error;
      }
    },
  };
}
