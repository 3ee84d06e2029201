import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Retries are the SDK's (the standard retry strategy: throttling, transient
 * and 5xx errors, exponential back-off with full jitter). In AWS, adaptive
 * mode adds client-side rate limiting after throttles, so a throttled table is
 * not hammered by every warm container; what the retries do not absorb reaches
 * the stores as MemoryThrottled, which the state machine retries in turn.
 * DynamoDB Local answers quickly or not at all: fewer attempts, so a dead
 * server is not hidden behind retries.
 */
export const DYNAMO_RETRY = {
  aws: { maxAttempts: 5, retryMode: 'adaptive' },
  local: { maxAttempts: 3, retryMode: 'standard' },
} as const satisfies Record<string, Pick<DynamoDBClientConfig, 'maxAttempts' | 'retryMode'>>;

/**
 * The one DynamoDB client factory. In Lambda, leave `endpoint` unset and the
 * SDK takes region and credentials from the runtime. Against DynamoDB Local,
 * pass its endpoint: dummy static credentials are used, so no real AWS
 * credentials are ever read or needed.
 */
export function createDynamoClients(options: { endpoint?: string; region?: string; wrap?: <C extends DynamoDBClient>(client: C) => C } = {}): {
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
} {
  const config: DynamoDBClientConfig = { ...DYNAMO_RETRY.aws };
  if (options.region !== undefined) config.region = options.region;
  if (options.endpoint !== undefined) {
    config.endpoint = options.endpoint;
    config.region = options.region ?? 'us-east-1';
    config.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    Object.assign(config, DYNAMO_RETRY.local);
  }
  // `wrap` lets the Lambda runtime trace the client (Powertools Tracer) before the document client shares its stack.
  const client = options.wrap ? options.wrap(new DynamoDBClient(config)) : new DynamoDBClient(config);
  const doc = DynamoDBDocumentClient.from(client, {
    // Optional fields of our zod-parsed items are `undefined`; DynamoDB rejects those unless removed.
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    unmarshallOptions: { wrapNumbers: false },
  });
  return { client, doc };
}
