import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command as Commander } from 'commander';
import { MEMORY_NAMESPACE_PATTERN, MEMORY_NAMESPACE_RULE } from '../../functions/config/names';
import type { Memory } from '../../functions/ports/memory';
import { UsageError } from './errors';

/** The data directory `run` keeps its memory in (DynamoDB Local), relative to the working directory. */
export const DEFAULT_DATA_DIR = '.eks-reflexion/dynamodb';

/** Thrown when the DynamoDB endpoint does not answer (exit code `unreachable`). */
export class MemoryUnavailable extends Error {
  override readonly name = 'MemoryUnavailable' as const;
}

export interface MemoryFlags {
  dataDir?: string;
  dynamodbEndpoint?: string;
  memoryNamespace?: string;
  tablePrefix?: string;
}

/** `--data-dir`, `--dynamodb-endpoint`, `--memory-namespace`, `--table-prefix`: where a command's memory is. */
export function memoryOptions(cmd: Commander, defaults: { dataDir?: string } = {}): Commander {
  return cmd
    .option('--data-dir <dir>', `memory in DynamoDB Local on this data directory (the one 'run' uses${defaults.dataDir ? `; default ${defaults.dataDir}` : ''})`)
    .option('--dynamodb-endpoint <url>', 'memory on this DynamoDB (Local) endpoint instead')
    .option('--memory-namespace <ns>', 'memory namespace (default: local)')
    .option('--table-prefix <p>', 'table names P-episodes, P-strategies, P-locks (default: eks-reflexion; created when missing)');
}

export function tablesOf(prefix = 'eks-reflexion') {
  if (!/^[A-Za-z0-9_.-]{1,200}$/.test(prefix)) throw new UsageError(`--table-prefix '${prefix}': letters, digits, '_', '.', '-' only`);
  return { episodes: `${prefix}-episodes`, strategies: `${prefix}-strategies`, locks: `${prefix}-locks` };
}

export function memoryNamespaceOf(ns = 'local'): string {
  if (!MEMORY_NAMESPACE_PATTERN.test(ns)) throw new UsageError(`--memory-namespace: ${MEMORY_NAMESPACE_RULE}`);
  return ns;
}

const CONNECTION = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET|socket hang up|getaddrinfo/i;

/**
 * Opens the memory a command's flags name: DynamoDB Local started on
 * `--data-dir` (which this process then owns: a second owner fails at once),
 * or an existing `--dynamodb-endpoint`. Undefined when neither is given and
 * there is no default data dir. An endpoint that does not answer is a
 * MemoryUnavailable naming it.
 */
export interface OpenedMemory {
  memory: Memory;
  where: string;
  close(): Promise<void>;
}
export async function openMemory(flags: MemoryFlags, defaults: { dataDir: string }): Promise<OpenedMemory>;
export async function openMemory(flags: MemoryFlags, defaults?: { dataDir?: string }): Promise<OpenedMemory | undefined>;
export async function openMemory(flags: MemoryFlags, defaults: { dataDir?: string } = {}): Promise<OpenedMemory | undefined> {
  if (flags.dataDir !== undefined && flags.dynamodbEndpoint !== undefined) throw new UsageError('give --data-dir or --dynamodb-endpoint, not both');
  const tables = tablesOf(flags.tablePrefix);
  const namespace = memoryNamespaceOf(flags.memoryNamespace);
  const dataDir = flags.dataDir ?? (flags.dynamodbEndpoint === undefined ? defaults.dataDir : undefined);
  const [{ localMemory }, { startDynamoDbLocal }] = await Promise.all([import('../../functions/local/local-deps'), import('../../functions/local/dynamodb-local')]);
  if (dataDir !== undefined) {
    const path = resolve(dataDir);
    await mkdir(path, { recursive: true });
    const dynamo = await startDynamoDbLocal({ dbPath: path });
    try {
      const { memory, client } = await localMemory({ endpoint: dynamo.endpoint, tables, namespace });
      return { memory, where: `DynamoDB Local on ${path}`, close: async () => (client.destroy(), await dynamo.stop()) };
    } catch (error) {
      await dynamo.stop();
      throw error;
    }
  }
  if (flags.dynamodbEndpoint === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(flags.dynamodbEndpoint);
  } catch {
    throw new UsageError(`--dynamodb-endpoint '${flags.dynamodbEndpoint}' is not a URL`);
  }
  try {
    const { memory, client } = await localMemory({ endpoint: url.href.replace(/\/$/, ''), tables, namespace });
    return { memory, where: flags.dynamodbEndpoint, close: async () => client.destroy() };
  } catch (error) {
    const e = error as Error & { code?: string; cause?: { code?: string } };
    if (CONNECTION.test(`${e.name} ${e.code ?? ''} ${e.cause?.code ?? ''} ${e.message}`)) {
      throw new MemoryUnavailable(`DynamoDB endpoint ${flags.dynamodbEndpoint} did not answer (${e.code ?? e.name}: ${e.message.split('\n')[0]})`);
    }
    throw error;
  }
}
