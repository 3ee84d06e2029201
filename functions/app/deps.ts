import type { TaskTokens } from '../ports/approvals';
import type { PolicyConfig } from '../domain/policy-config';
import type { Clock } from '../ports/clock';
import type { Cluster } from '../ports/cluster';
import type { Logger } from '../ports/logger';
import type { Memory } from '../ports/memory';
import type { Reasoner } from '../ports/reasoner';
import type { EventPublisher, WorkflowStarter } from '../ports/workflow';

/**
 * Everything an application step needs, built once per cold start by
 * functions/runtime (AWS adapters) or by the local runner (simulator,
 * DynamoDB Local, deterministic reasoner). Steps never read process.env.
 */
export interface AppDeps {
  /** Cluster names this deployment may touch; anything else is refused. */
  clusterNames: readonly string[];
  /** The cluster adapter for a configured cluster name (cached by the factory). */
  cluster(name: string): Promise<Cluster>;
  memory: Memory;
  reasoner: Reasoner;
  clock: Clock;
  /** The policy the function started with (env); the configured one when no `currentPolicy` is given. */
  policy: PolicyConfig;
  /**
   * The configured policy now (e.g. a parameter an operator changes without a
   * redeploy). Read at every write and by AcquireLock; see app/policy-source.ts.
   */
  currentPolicy?: () => Promise<PolicyConfig>;
  logger: Logger;
  events: EventPublisher;
  /** Resumes executions waiting on a task token (the actions role: approve_action / deny_action). */
  taskTokens?: TaskTokens;
  /** Present for roles that start executions (detect, actions). */
  workflow?: WorkflowStarter;
  /** Random source in [0, 1) for selection; seeded in tests and benchmarks. */
  random: () => number;
}
