import { setTimeout as sleep } from 'node:timers/promises';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeIssue } from '../../functions/app/steps/state';
import { WorkflowStateSchema } from '../../functions/domain/workflow-state';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../functions/local/dynamodb-local';
import { buildLocalDeps, localMemory } from '../../functions/local/local-deps';
import { localWorkflow } from '../../functions/local/local-workflow';
import { systemClock } from '../../functions/ports/clock';
import type { Logger } from '../../functions/ports/logger';
import { defineCommand } from '../framework/command';
import { UsageError } from '../framework/errors';
import { EXIT } from '../framework/exit-codes';
import { kubeconfigOptions, openCluster } from '../framework/kubeconfig';
import { policyFromFlags, readJsonFile } from '../framework/policy-option';

interface Options {
  input?: string;
  kubeconfig?: string;
  context?: string;
  clusterName?: string;
  mode: string;
  policy?: string;
  name?: string;
  dataDir: string;
  dynamodbEndpoint?: string;
  memoryNamespace: string;
  verbose?: boolean;
}

const stderrLogger = (verbose: boolean): Logger => ({
  debug: (m, a) => verbose && process.stderr.write(`debug ${m} ${a ? JSON.stringify(a) : ''}\n`),
  info: (m, a) => verbose && process.stderr.write(`info  ${m} ${a ? JSON.stringify(a) : ''}\n`),
  warn: (m, a) => process.stderr.write(`warn  ${m} ${a ? JSON.stringify(a) : ''}\n`),
  error: (m, a) => process.stderr.write(`error ${m} ${a ? JSON.stringify(a) : ''}\n`),
});

async function run({ opts: values, io }: { opts: Options; io: { env: NodeJS.ProcessEnv; stdout(t: string): void } }): Promise<number> {
  if (!values.input) throw new UsageError('--input is required');

  // The input first: a malformed one is refused before any cluster or memory is touched.
  const raw = await readJsonFile(values.input, 'input');
  const input = WorkflowStateSchema.safeParse(raw);
  if (!input.success) throw new UsageError(`input ${values.input}: ${describeIssue(input.error).message}`);
  const state = input.data;
  const policy = await policyFromFlags(values);
  const name = values.name ?? state.executionId;
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new UsageError(`execution name '${name.slice(0, 100)}': 1-80 characters of A-Z a-z 0-9 _ - (Step Functions' rule)`);

  // The incident names its cluster; the kubeconfig's cluster is taken to be that one unless --cluster-name says otherwise.
  const { cluster: kube } = await openCluster({ ...values, clusterName: values.clusterName ?? state.incident.cluster }, io.env);

  let dynamo: DynamoDbLocal | undefined;
  try {
    let endpoint = values.dynamodbEndpoint;
    if (!endpoint) {
      const dataDir = resolve(values.dataDir);
      await mkdir(dataDir, { recursive: true });
      dynamo = await startDynamoDbLocal({ dbPath: dataDir });
      endpoint = dynamo.endpoint;
    }
    const tables = { episodes: 'eks-reflexion-episodes', strategies: 'eks-reflexion-strategies', locks: 'eks-reflexion-locks' };
    const { memory, client } = await localMemory({ endpoint, tables, namespace: values.memoryNamespace, clock: systemClock });
    try {
      const deps = buildLocalDeps({ clusters: { [kube.clusterName]: kube }, memory, policy: policy, clock: systemClock, logger: stderrLogger(values.verbose ?? false) });
      const workflow = localWorkflow(deps, { advance: (seconds) => sleep(seconds * 1000) });
      const result = await workflow.execute(name, raw);
      io.stdout(
        `${JSON.stringify(
          {
            execution: result.name,
            status: result.status,
            configuredMode: policy.mode,
            path: result.path,
            ...(result.error ? { error: result.error } : {}),
            state: result.output ?? null,
          },
          null,
          2,
        )}\n`,
      );
      return result.status === 'SUCCEEDED' ? EXIT.ok : result.error?.name === 'Escalated' ? EXIT.escalated : EXIT.failed;
    } finally {
      client.destroy();
    }
  } finally {
    await dynamo?.stop();
  }
}

export const command = defineCommand<Options>({
  description: `Runs ONE execution of the state machine locally (the CDK-synthesized
definition, the same handlers and memory code) with this input, as copied
from the Step Functions console (the execution's input), against the cluster
of a kubeconfig, and prints the final state as JSON. Waits really wait.
The configured mode (--mode) is a ceiling: an input asking for "enforce"
under --mode dry-run writes nothing.
Usage: eks-reflexion execute --input FILE [--kubeconfig PATH] [--mode M]`,
  configure: (cmd) =>
    kubeconfigOptions(cmd)
      .option('--input <file>', "the execution input (JSON); '-' for standard input")
      .option('--mode <mode>', 'configured mode: observe | dry-run | enforce', 'dry-run')
      .option('--policy <file>', 'PolicyConfig JSON (namespaces, limits...); --mode wins over its mode')
      .option('--name <name>', "execution name (default: the input's executionId)")
      .option('--data-dir <dir>', 'DynamoDB Local data directory', '.eks-reflexion/dynamodb')
      .option('--dynamodb-endpoint <url>', 'use this DynamoDB(-compatible) endpoint instead of starting DynamoDB Local')
      .option('--memory-namespace <ns>', 'memory namespace', 'local')
      .option('--verbose', 'log every step of the handlers to stderr'),
  run,
});
