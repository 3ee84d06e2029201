import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

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
  const config: DynamoDBClientConfig = {};
  if (options.region !== undefined) config.region = options.region;
  if (options.endpoint !== undefined) {
    config.endpoint = options.endpoint;
    config.region = options.region ?? 'us-east-1';
    config.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    // DynamoDB Local answers quickly or not at all; do not let the SDK hide a dead server behind retries.
    config.maxAttempts = 3;
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
