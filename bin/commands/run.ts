import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Command } from '../cli';
import { KubeCluster } from '../../functions/adapters/kubernetes/kube-cluster';
import { detectStep } from '../../functions/app/steps/detect';
import { PolicyConfigSchema } from '../../functions/domain/policy-config';
import type { WorkflowState } from '../../functions/domain/workflow-state';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../functions/local/dynamodb-local';
import { buildLocalDeps, localMemory } from '../../functions/local/local-deps';
import { localWorkflow } from '../../functions/local/local-workflow';
import { systemClock } from '../../functions/ports/clock';
import type { Logger } from '../../functions/ports/logger';

const HELP = `usage: eks-reflexion run --kubeconfig PATH [options]

Runs the same state machine definition, handlers and memory code as the AWS
deployment, on this machine, against the cluster of a kubeconfig (kind,
minikube, EKS, or 'eks-reflexion sim serve').
  --kubeconfig PATH        kubeconfig file (required)
  --context NAME           kubeconfig context (default: current)
  --cluster-name NAME      name recorded in incidents (default: the context name)
  --mode MODE              observe | dry-run | enforce (default dry-run: nothing is written)
  --once                   one detection pass, remediate what it found, print a JSON summary, exit
  --interval SECONDS       seconds between detection passes without --once (default 60)
  --namespace NS           opt-in namespace (repeatable; default: every non-protected namespace)
  --max-trials N           trials per incident (default 3)
  --data-dir DIR           DynamoDB Local data directory (default .eks-reflexion/dynamodb)
  --dynamodb-endpoint URL  use this DynamoDB(-compatible) endpoint instead of starting DynamoDB Local
  --tables E,S,L           table names for episodes,strategies,locks (default eks-reflexion-{episodes,strategies,locks})
  --memory-namespace NS    memory namespace (default local)`;

const consoleLogger = (verbose: boolean): Logger => ({
  debug: (m, a) => verbose && process.stderr.write(`debug ${m} ${a ? JSON.stringify(a) : ''}\n`),
  info: (m, a) => verbose && process.stderr.write(`info  ${m} ${a ? JSON.stringify(a) : ''}\n`),
  warn: (m, a) => process.stderr.write(`warn  ${m} ${a ? JSON.stringify(a) : ''}\n`),
  error: (m, a) => process.stderr.write(`error ${m} ${a ? JSON.stringify(a) : ''}\n`),
});

async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        'cluster-name': { type: 'string' },
        mode: { type: 'string', default: 'dry-run' },
        once: { type: 'boolean', default: false },
        interval: { type: 'string', default: '60' },
        namespace: { type: 'string', multiple: true },
        'max-trials': { type: 'string', default: '3' },
        'data-dir': { type: 'string', default: '.eks-reflexion/dynamodb' },
        'dynamodb-endpoint': { type: 'string' },
        tables: { type: 'string' },
        'memory-namespace': { type: 'string', default: 'local' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`eks-reflexion run: ${(error as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (!values.kubeconfig) {
    process.stderr.write(`eks-reflexion run: --kubeconfig is required\n\n${HELP}\n`);
    return 2;
  }
  const policyParse = PolicyConfigSchema.safeParse({
    mode: values.mode,
    maxTrials: Number(values['max-trials']),
    optInNamespaces: values.namespace ?? [],
  });
  if (!policyParse.success) {
    const issue = policyParse.error.issues[0];
    process.stderr.write(`eks-reflexion run: ${issue?.path.join('.')}: ${issue?.message}\n`);
    return 2;
  }
  const interval = Number(values.interval);
  if (!Number.isFinite(interval) || interval < 5) {
    process.stderr.write(`eks-reflexion run: --interval must be a number of seconds >= 5, got '${values.interval}'\n`);
    return 2;
  }
  const tableNames = (values.tables ?? 'eks-reflexion-episodes,eks-reflexion-strategies,eks-reflexion-locks').split(',');
  if (tableNames.length !== 3 || tableNames.some((t) => !/^[A-Za-z0-9_.-]{3,255}$/.test(t))) {
    process.stderr.write(`eks-reflexion run: --tables must be three table names: episodes,strategies,locks\n`);
    return 2;
  }
  const policy = policyParse.data;

  const kube = KubeCluster.fromKubeconfigFile(resolve(values.kubeconfig), {
    ...(values.context ? { context: values.context } : {}),
    ...(values['cluster-name'] ? { clusterName: values['cluster-name'] } : {}),
  });
  const clusterName = kube.clusterName;
  let dynamo: DynamoDbLocal | undefined;
  try {
    let endpoint = values['dynamodb-endpoint'];
    if (!endpoint) {
      const dataDir = resolve(values['data-dir']);
      await mkdir(dataDir, { recursive: true });
      dynamo = await startDynamoDbLocal({ dbPath: dataDir });
      endpoint = dynamo.endpoint;
    }
    const tables = { episodes: tableNames[0]!, strategies: tableNames[1]!, locks: tableNames[2]! };
    const { memory } = await localMemory({ endpoint, tables, namespace: values['memory-namespace'], clock: systemClock });
    const deps = buildLocalDeps({ clusters: { [clusterName]: kube }, memory, policy, clock: systemClock, logger: consoleLogger(values.verbose) });
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
    return 0;
  } finally {
    await dynamo?.stop();
  }
}

export const command: Command = { summary: 'detect and remediate against a cluster from a kubeconfig (same state machine, handlers, memory)', run };
