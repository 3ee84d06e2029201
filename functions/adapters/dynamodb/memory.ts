import { type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { systemClock, type Clock } from '../../ports/clock';
import type { Memory } from '../../ports/memory';
import { createApprovalStore } from './approvals';
import { createIdempotencyStore, type DynamoIdempotencyStore } from './idempotency-store';
import { memoryKeys } from './keys';
import { createEpisodeStore } from './episode-store';
import { createLockStore } from './lock-store';
import { createStrategyStore } from './strategy-store';
import { input } from './store-support';


export interface DynamoMemoryOptions {
  client: DynamoDBDocumentClient;
  tables: { episodes: string; strategies: string; locks: string };
  /** Memory namespace (a-z0-9-, ≤ 40): every key starts with it. */
  namespace: string;
  /** Drives marker expiry and lesson recency; the simulator passes its virtual clock. */
  clock?: Clock;
}

/**
 * Episodic memory on DynamoDB: episodes (exactly once), strategies (atomic,
 * idempotent statistics), locks and action counts — all scoped to one
 * namespace. Works unchanged against DynamoDB and DynamoDB Local.
 */
export function createDynamoMemory(options: DynamoMemoryOptions): Memory & { idempotency: DynamoIdempotencyStore } {
  const keys = memoryKeys(options.namespace);
  const clock = options.clock ?? systemClock;
  const tables = input(
    z.object({ episodes: z.string().min(3).max(255), strategies: z.string().min(3).max(255), locks: z.string().min(3).max(255) }),
    options.tables,
    'memory tables',
  );
  return {
    namespace: options.namespace,
    episodes: createEpisodeStore(options.client, tables.episodes, keys, clock),
    strategies: createStrategyStore(options.client, tables.strategies, keys, clock),
    locks: createLockStore(options.client, tables.locks, keys),
    approvals: createApprovalStore(options.client, tables.locks, keys),
    // Powertools sends low-level commands; the document client shares the base client's stack and config.
    idempotency: createIdempotencyStore({ client: options.client as unknown as DynamoDBClient, table: tables.locks, partition: keys.idempotencyPartition }),
  };
}

