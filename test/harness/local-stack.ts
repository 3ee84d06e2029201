import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppDeps } from '../../functions/app/deps';
import { detectStep, type DetectSummary } from '../../functions/app/steps/detect';
import { KubeCluster } from '../../functions/adapters/kubernetes/kube-cluster';
import { PolicyConfigSchema, type PolicyConfig, type PolicyConfigInput } from '../../functions/domain/policy-config';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../functions/local/dynamodb-local';
import { buildLocalDeps, localMemory, RecordingPublisher } from '../../functions/local/local-deps';
import { localWorkflow } from '../../functions/local/local-workflow';
import type { ExecutionResult, LocalWorkflow, StateVisit, Step } from '../../functions/local/runner';
import type { FunctionRole } from '../../functions/config/env';
import type { Memory } from '../../functions/ports/memory';
import type { Logger } from '../../functions/ports/logger';
import type { Cluster } from '../../functions/ports/cluster';
import type { Reasoner } from '../../functions/ports/reasoner';
import { mulberry32 } from '../../functions/domain/selection';
import { startSimulatedCluster, type NodeSpec, type SimulatedCluster } from '../sim';
import { createKubeClient, type KubeClientLike } from '../sim/kube-client';
import { countingCluster, type WriteRecord } from './counting-cluster';
import { startChaosProxy, type ChaosProxy, type FaultKind } from './chaos-proxy';
import { throttleDynamoDb, type ThrottleLog } from './chaos-dynamodb';

export const SIM_CLUSTER = 'sim';

export interface LocalStackOptions {
  policy?: PolicyConfigInput;
  /** Memory namespace; a fresh one per stack unless given. */
  memoryNamespace?: string;
  /** Seed of the simulator and (unless `decisionSeed` is given) of the selection's random draws. */
  seed?: number;
  /** Seed of the selection's draws alone (benchmarks hash it per incident, so instances never share draws). */
  decisionSeed?: number;
  /** Wraps the memory the system uses (the benchmark's shuffled-outcome control). */
  wrapMemory?: (memory: Memory) => Memory;
  /** The system's logger (default: silent); the benchmark's hygiene test reads every line. */
  logger?: Logger;
  reasoner?: Reasoner;
  /** Re-use a running DynamoDB Local (benchmarks and tests start one per file). */
  dynamoEndpoint?: string;
  /** Re-use existing tables (so memory carries over between stacks); created when absent. */
  tables?: { episodes: string; strategies: string; locks: string };
  stepOverrides?: Partial<Record<FunctionRole, Step>>;
  onVisit?: (visit: StateVisit) => void;
  /** The simulated cluster's nodes (a scenario's own); default: the simulator's three. */
  nodes?: NodeSpec[];
  /** Faults on this share of the system's Kubernetes and DynamoDB requests (test/harness/chaos-*.ts). */
  chaos?: ChaosOptions;
}

export interface ChaosOptions {
  share: number;
  seed: number;
  kinds?: readonly FaultKind[];
  /** The system's per-request Kubernetes timeout (a hung request costs this much wall time); @default 1500 */
  requestTimeoutMs?: number;
}

export interface LocalStack {
  sim: SimulatedCluster;
  /** A raw client for scenario setup and assertions (not the code under test). */
  kube: KubeClientLike;
  /** The system's cluster adapter, wrapped to record every write it makes. */
  cluster: Cluster;
  writes: WriteRecord[];
  memory: Memory;
  deps: AppDeps;
  policy: PolicyConfig;
  workflow: LocalWorkflow;
  events: RecordingPublisher;
  dynamoEndpoint: string;
  tables: { episodes: string; strategies: string; locks: string };
  /** With `chaos`: the proxy (its log is the cluster-side record of every request) and the throttling log. */
  chaos?: { proxy: ChaosProxy; dynamo: ThrottleLog; dynamoOff(): void };
  /** DynamoDB requests made so far through this stack's client. */
  dynamoRequests(): number;
  /** One detection pass (as the schedule would run it). */
  detect(): Promise<DetectSummary[]>;
  /** Runs every started execution to its end. */
  drain(): Promise<ExecutionResult[]>;
  stop(): Promise<void>;
}

let tableCounter = 0;

/**
 * The whole system on this machine: the simulated cluster (virtual clock),
 * DynamoDB Local, the real Kubernetes adapter over HTTPS, the CDK-synthesized
 * state machine run by the local interpreter, and the same step functions
 * the Lambdas run.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const seed = options.seed ?? 1;
  const policy = PolicyConfigSchema.parse({ mode: 'enforce', ...options.policy });
  const dir = await mkdtemp(join(tmpdir(), 'eks-reflexion-'));
  let dynamo: DynamoDbLocal | undefined;
  let sim: SimulatedCluster | undefined;
  let proxy: ChaosProxy | undefined;
  try {
    if (!options.dynamoEndpoint) dynamo = await startDynamoDbLocal();
    const dynamoEndpoint = options.dynamoEndpoint ?? dynamo!.endpoint;
    const suffix = `${process.pid}-${++tableCounter}`;
    const tables = options.tables ?? { episodes: `episodes-${suffix}`, strategies: `strategies-${suffix}`, locks: `locks-${suffix}` };
    sim = await startSimulatedCluster({ seed, ...(options.nodes ? { nodes: options.nodes } : {}) });
    const clock = sim.clock;
    const { memory: stored, client } = await localMemory({ endpoint: dynamoEndpoint, tables, namespace: options.memoryNamespace ?? `ns-${suffix}`, clock, expireByTtl: !clock.virtual });
    const memory = options.wrapMemory ? options.wrapMemory(stored) : stored;
    // Counted for the benchmark's cost model (DynamoDB bills per request).
    let dynamoRequests = 0;
    client.middlewareStack.add(
      (next) => async (args) => {
        dynamoRequests++;
        return next(args);
      },
      { step: 'initialize', name: 'countDynamoRequests' },
    );
    // After the tables exist: only the system's own requests are throttled.
    const throttled = options.chaos ? throttleDynamoDb(client, options.chaos) : undefined;

    const kubeconfig = join(dir, 'kubeconfig');
    if (options.chaos) {
      // The system reaches the cluster only through the proxy; setup and the oracle (`kube`) go direct.
      proxy = await startChaosProxy({ upstream: sim.url, caPem: sim.caPem, share: options.chaos.share, seed: options.chaos.seed, ...(options.chaos.kinds ? { kinds: options.chaos.kinds } : {}), hangMs: 10_000 });
      await writeFile(kubeconfig, proxy.kubeconfigYaml(sim.token));
    } else {
      await sim.writeKubeconfig(kubeconfig);
    }
    // Cluster time is the simulator's: snapshots and event timestamps must agree with it.
    const { cluster, writes } = countingCluster(
      KubeCluster.fromKubeconfigFile(kubeconfig, {
        clusterName: SIM_CLUSTER,
        clock: sim.clock,
        ...(options.chaos ? { requestTimeoutMs: options.chaos.requestTimeoutMs ?? 1500 } : {}),
      }),
    );
    const kube = createKubeClient({ url: sim.url, token: sim.token, caPem: sim.caPem });

    const events = new RecordingPublisher(clock);
    const deps = buildLocalDeps({
      clusters: { [SIM_CLUSTER]: cluster },
      memory,
      policy,
      clock,
      ...(options.reasoner ? { reasoner: options.reasoner } : {}),
      random: mulberry32(options.decisionSeed ?? seed),
      events,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    const simRef = sim;
    const workflow = localWorkflow(deps, {
      advance: (seconds) => simRef.advance(seconds),
      ...(options.stepOverrides ? { stepOverrides: options.stepOverrides } : {}),
      ...(options.onVisit ? { onVisit: options.onVisit } : {}),
    });

    return {
      sim,
      kube,
      cluster,
      writes,
      memory,
      deps,
      policy,
      workflow,
      events,
      dynamoEndpoint,
      tables,
      ...(proxy && throttled ? { chaos: { proxy, dynamo: throttled.log, dynamoOff: throttled.off } } : {}),
      dynamoRequests: () => dynamoRequests,
      detect: () => detectStep(deps, 'schedule'),
      drain: () => workflow.drain(),
      async stop() {
        kube.close();
        await proxy?.stop();
        await simRef.stop();
        await dynamo?.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await proxy?.stop().catch(() => undefined);
    await sim?.stop().catch(() => undefined);
    await dynamo?.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
