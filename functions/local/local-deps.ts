import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AppDeps } from '../app/deps';
import { createDynamoClients } from '../adapters/dynamodb/client';
import { createDynamoMemory } from '../adapters/dynamodb/memory';
import { createTables } from './dynamodb-local';
import { ValidationError } from '../domain/errors';
import type { PolicyConfig } from '../domain/policy-config';
import { DeterministicReasoner, reasonerLimits } from '../domain/deterministic-reasoner';
import type { Clock } from '../ports/clock';
import type { Cluster } from '../ports/cluster';
import type { Logger } from '../ports/logger';
import { silentLogger } from '../ports/logger';
import type { Memory } from '../ports/memory';
import type { Reasoner } from '../ports/reasoner';
import type { EventPublisher, OutboundEventType, WorkflowStarter } from '../ports/workflow';

export interface RecordedEvent {
  type: OutboundEventType;
  detail: Record<string, unknown>;
  at: string;
}

/** The local stand-in for the EventBridge bus: keeps what was published, in order. */
export class RecordingPublisher implements EventPublisher {
  readonly events: RecordedEvent[] = [];
  constructor(private readonly clock: Clock) {}
  async publish(type: OutboundEventType, detail: Record<string, unknown>): Promise<void> {
    this.events.push({ type, detail, at: this.clock.now().toISOString() });
  }
}

/**
 * Composition root for local runs (demo, bench, `run`, `invoke`, tests): the
 * same AppDeps the Lambda runtime builds, from local adapters.
 */
export function buildLocalDeps(options: {
  clusters: Record<string, Cluster>;
  memory: Memory;
  policy: PolicyConfig;
  clock: Clock;
  reasoner?: Reasoner;
  random?: () => number;
  logger?: Logger;
  events?: EventPublisher;
  workflow?: WorkflowStarter;
}): AppDeps {
  const names = Object.keys(options.clusters);
  return {
    clusterNames: names,
    cluster: async (name) => {
      const cluster = options.clusters[name];
      if (!cluster) throw new ValidationError(`cluster '${name}' is not configured (have: ${names.join(', ')})`, 'cluster_name');
      return cluster;
    },
    memory: options.memory,
    reasoner: options.reasoner ?? new DeterministicReasoner(reasonerLimits(options.policy)),
    clock: options.clock,
    policy: options.policy,
    logger: options.logger ?? silentLogger,
    events: options.events ?? new RecordingPublisher(options.clock),
    ...(options.workflow ? { workflow: options.workflow } : {}),
    random: options.random ?? Math.random,
  };
}

export interface MemoryTables {
  episodes: string;
  strategies: string;
  locks: string;
}

/**
 * Memory for local runs: the DynamoDB code against a local (or given)
 * endpoint, with the tables created if absent. The client is returned so the
 * caller can close it or instrument it.
 */
export async function localMemory(options: {
  endpoint: string;
  tables: MemoryTables;
  namespace: string;
  clock?: Clock;
  /** False for runs on a virtual clock (see createTables). */
  expireByTtl?: boolean;
}): Promise<{ memory: Memory; client: DynamoDBClient }> {
  const { client, doc } = createDynamoClients({ endpoint: options.endpoint });
  await createTables(client, options.tables, { expireByTtl: options.expireByTtl ?? true });
  const memory = createDynamoMemory({ client: doc, tables: options.tables, namespace: options.namespace, ...(options.clock ? { clock: options.clock } : {}) });
  return { memory, client };
}

