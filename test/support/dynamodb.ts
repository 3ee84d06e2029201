import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { createDynamoClients } from '../../functions/adapters/dynamodb/client';
import { createTables, startDynamoDbLocal, type DynamoDbLocal, type TableNames } from '../../functions/local/dynamodb-local';

export interface DynamoTestEnv {
  endpoint: string;
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  /** Tables created once for the file (shared; isolate with `namespace()`). */
  tables: TableNames;
  /** A fresh memory namespace (a-z0-9-, ≤ 40 chars), unique per call. */
  namespace(prefix?: string): string;
  /** Fresh, empty tables with unique names, for tests that must own whole tables. */
  freshTables(): Promise<TableNames>;
}

const suffix = () => randomBytes(4).toString('hex');

/**
 * Call at the top level of a test file: starts one DynamoDB Local for the
 * file (beforeAll), creates one set of tables, and stops the server in
 * afterAll. Access the returned object only inside tests or hooks.
 */
export function useDynamoDbLocal(): DynamoTestEnv {
  let server: DynamoDbLocal | undefined;
  let clients: { client: DynamoDBClient; doc: DynamoDBDocumentClient } | undefined;
  let tables: TableNames | undefined;

  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not ready: use it inside a test or hook, after beforeAll`);
    return value;
  };

  const freshTables = async (): Promise<TableNames> => {
    const id = suffix();
    const names = { episodes: `episodes-${id}`, strategies: `strategies-${id}`, locks: `locks-${id}` };
    // No TTL: tests run virtual clocks in the past, whose items DynamoDB Local would delete at random (createTables).
    await createTables(need(clients, 'DynamoDB Local').client, names, { expireByTtl: false });
    return names;
  };

  beforeAll(async () => {
    server = await startDynamoDbLocal();
    clients = createDynamoClients({ endpoint: server.endpoint });
    tables = await freshTables();
  });

  afterAll(async () => {
    clients?.client.destroy();
    await server?.stop();
  });

  return {
    get endpoint() {
      return need(server, 'DynamoDB Local').endpoint;
    },
    get client() {
      return need(clients, 'DynamoDB Local').client;
    },
    get doc() {
      return need(clients, 'DynamoDB Local').doc;
    },
    get tables() {
      return need(tables, 'DynamoDB Local tables');
    },
    namespace: (prefix = 'test') => `${prefix.slice(0, 30)}-${suffix()}`,
    freshTables,
  };
}
