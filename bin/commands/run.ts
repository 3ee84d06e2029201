import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { detectStep } from '../../functions/app/steps/detect';
import { PolicyConfigSchema } from '../../functions/domain/policy-config';
import type { WorkflowState } from '../../functions/domain/workflow-state';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../functions/local/dynamodb-local';
import { buildLocalDeps, localMemory } from '../../functions/local/local-deps';
import { localWorkflow } from '../../functions/local/local-workflow';
import { systemClock } from '../../functions/ports/clock';
import type { Logger } from '../../functions/ports/logger';
import { defineCommand, repeatable } from '../framework/command';
import { UsageError } from '../framework/errors';
import { EXIT } from '../framework/exit-codes';
import { kubeconfigOptions, openCluster } from '../framework/kubeconfig';

const consoleLogger = (verbose: boolean): Logger => ({
  debug: (m, a) => verbose && process.stderr.write(`debug ${m} ${a ? JSON.stringify(a) : ''}\n`),
  info: (m, a) => verbose && process.stderr.write(`info  ${m} ${a ? JSON.stringify(a) : ''}\n`),
  warn: (m, a) => process.stderr.write(`warn  ${m} ${a ? JSON.stringify(a) : ''}\n`),
  error: (m, a) => process.stderr.write(`error ${m} ${a ? JSON.stringify(a) : ''}\n`),
});

interface Options {
  kubeconfig?: string;
  context?: string;
  clusterName?: string;
  mode: string;
  once?: boolean;
  interval: string;
  namespace?: string[];
  maxTrials: string;
  dataDir: string;
  dynamodbEndpoint?: string;
  tables?: string;
  memoryNamespace: string;
  verbose?: boolean;
}

async function run({ opts: values, io }: { opts: Options; io: { env: NodeJS.ProcessEnv } }): Promise<number> {
  const policyParse = PolicyConfigSchema.safeParse({
    mode: values.mode,
    maxTrials: Number(values.maxTrials),
    optInNamespaces: values.namespace ?? [],
  });
  if (!policyParse.success) {
    const issue = policyParse.error.issues[0];
    throw new UsageError(`${issue?.path.join('.')}: ${issue?.message}`);
  }
  const interval = Number(values.interval);
  if (!Number.isFinite(interval) || interval < 5) throw new UsageError(`--interval must be a number of seconds >= 5, got '${values.interval}'`);
  const tableNames = (values.tables ?? 'eks-reflexion-episodes,eks-reflexion-strategies,eks-reflexion-locks').split(',');
  if (tableNames.length !== 3 || tableNames.some((t) => !/^[A-Za-z0-9_.-]{3,255}$/.test(t))) {
    throw new UsageError('--tables must be three table names: episodes,strategies,locks');
  }
  const policy = policyParse.data;

  const { cluster: kube, clusterName } = await openCluster(values, io.env);
  let dynamo: DynamoDbLocal | undefined;
  try {
    let endpoint = values.dynamodbEndpoint;
    if (!endpoint) {
      const dataDir = resolve(values.dataDir);
      await mkdir(dataDir, { recursive: true });
      dynamo = await startDynamoDbLocal({ dbPath: dataDir });
      endpoint = dynamo.endpoint;
    }
    const tables = { episodes: tableNames[0]!, strategies: tableNames[1]!, locks: tableNames[2]! };
    const { memory } = await localMemory({ endpoint, tables, namespace: values.memoryNamespace, clock: systemClock });
    const deps = buildLocalDeps({ clusters: { [clusterName]: kube }, memory, policy, clock: systemClock, logger: consoleLogger(values.verbose ?? false) });
    // A real cluster has real time: a Wait really waits.
    const workflow = localWorkflow(deps, { advance: (seconds) => new Promise((r) => setTimeout(r, seconds * 1000)) });

    let stop = false;
    const onSignal = () => {
      stop = true;
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    do {
      const summaries = await detectStep(deps, 'direct');
      const results = await workflow.drain();
      const report = {
        cluster: clusterName,
        mode: policy.mode,
        at: new Date().toISOString(),
        detection: summaries,
        outcomes: results.map((r) => {
          const s = r.output as WorkflowState | undefined;
          return {
            execution: r.name,
            status: r.status,
            target: s ? `${s.incident.namespace}/${s.incident.target.kind}/${s.incident.target.name}` : undefined,
            signature: s?.incident.signature,
            outcome: s?.outcome ?? r.error?.name,
            trials: s?.tried.length,
            actions: s?.tried.map((t) => `${t.action}:${t.outcome}`),
          };
        }),
      };
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      if (values.once || stop) break;
      await new Promise((r) => setTimeout(r, interval * 1000));
    } while (!stop);
    return EXIT.ok;
  } finally {
    await dynamo?.stop();
  }
}

export const command = defineCommand<Options>({
  description: `Runs the same state machine definition, handlers and memory code as the AWS
deployment, on this machine, against the cluster of a kubeconfig (kind,
minikube, EKS, or 'eks-reflexion sim serve').`,
  configure: (cmd) =>
    kubeconfigOptions(cmd)
      .option('--mode <mode>', 'observe | dry-run | enforce (dry-run: nothing is written)', 'dry-run')
      .option('--once', 'one detection pass, remediate what it found, print a summary, exit')
      .option('--interval <seconds>', 'seconds between detection passes without --once', '60')
      .option('--namespace <ns>', 'opt-in namespace (repeatable; default: every non-protected namespace)', repeatable)
      .option('--max-trials <n>', 'trials per incident', '3')
      .option('--data-dir <dir>', 'DynamoDB Local data directory', '.eks-reflexion/dynamodb')
      .option('--dynamodb-endpoint <url>', 'use this DynamoDB(-compatible) endpoint instead of starting DynamoDB Local')
      .option('--tables <e,s,l>', 'table names for episodes,strategies,locks (default eks-reflexion-{episodes,strategies,locks})')
      .option('--memory-namespace <ns>', 'memory namespace', 'local')
      .option('--verbose', 'log every step of the handlers to stderr'),
  run,
});
