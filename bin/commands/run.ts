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
import type { AppDeps } from '../../functions/app/deps';
import type { FunctionRole } from '../../functions/config/env';
import { STEPS, type Step } from '../../functions/local/runner';
import { defineCommand, repeatable, type CommandIo } from '../framework/command';
import { UsageError } from '../framework/errors';
import { EXIT } from '../framework/exit-codes';
import { kubeconfigOptions, openCluster } from '../framework/kubeconfig';
import { Interrupt } from '../run/interrupt';
import { outcomeReport, passExitCode, settleInterrupted, type OutcomeReport } from '../run/outcomes';
import { outputWidth, storyLines } from '../story';

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
  json?: boolean;
}

async function run({ opts: values, io }: { opts: Options; io: CommandIo }): Promise<number> {
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
  const say = (line: string) => (values.json ? io.stderr : io.stdout)(`${line}\n`);
  const width = outputWidth();
  let dynamo: DynamoDbLocal | undefined;
  const interrupt = new Interrupt(
    (line) => io.stderr(`${line}\n`),
    () => dynamo?.kill(),
  );
  try {
    let endpoint = values.dynamodbEndpoint;
    if (!endpoint) {
      const dataDir = resolve(values.dataDir);
      await mkdir(dataDir, { recursive: true });
      dynamo = await startDynamoDbLocal({ dbPath: dataDir });
      endpoint = dynamo.endpoint;
      say(`memory: DynamoDB Local on ${dataDir} (inspect it with: eks-reflexion memory episodes --data-dir ${values.dataDir})`);
    }
    const tables = { episodes: tableNames[0]!, strategies: tableNames[1]!, locks: tableNames[2]! };
    const { memory } = await localMemory({ endpoint, tables, namespace: values.memoryNamespace, clock: systemClock });
    const deps = buildLocalDeps({ clusters: { [clusterName]: kube }, memory, policy, clock: systemClock, logger: consoleLogger(values.verbose ?? false) });

    // The latest workflow document of each execution, and the state it is in (for an interrupt).
    const last = new Map<string, WorkflowState>();
    const startedAt = new Map<string, Date>();
    let current: { execution: string; state: string } | undefined;
    // After a Ctrl-C no step starts except releasing the lock (the state machine's own paths lead there).
    const stepOverrides = Object.fromEntries(
      Object.entries(STEPS).map(([role, step]) => [
        role,
        async (d: AppDeps, input: unknown) => {
          if (role !== 'lock' || (input as { op?: string })?.op === 'acquire') interrupt.check();
          return step!(d, input);
        },
      ]),
    ) as Partial<Record<FunctionRole, Step>>;
    const workflow = localWorkflow(deps, {
      stepOverrides,
      // A real cluster has real time: a Wait really waits, saying so, and ends early on Ctrl-C.
      advance: async (seconds) => {
        if (!values.json) say(`  wait      ${seconds} s for the change to take effect (Ctrl-C stops)`);
        await interrupt.sleep(seconds * 1000, (ms) => !values.json && say(`            … ${Math.round(ms / 1000)} s of ${seconds} s`));
      },
      onVisit: (visit) => {
        if (!startedAt.has(visit.execution)) startedAt.set(visit.execution, new Date());
        current = { execution: visit.execution, state: visit.state };
        const output = visit.output as Partial<WorkflowState> | undefined;
        if (visit.type.endsWith(':exit') && output && typeof output === 'object' && output.incident && output.executionId) last.set(visit.execution, output as WorkflowState);
        if (!values.json) for (const line of storyLines(visit, { width })) say(line);
      },
    });

    let code: number = EXIT.ok;
    do {
      const detection = await detectStep(deps, 'direct');
      for (const d of detection) {
        for (const e of d.errors) io.stderr(`eks-reflexion run: cluster ${e.cluster} could not be read: ${e.error.split('\n')[0]}\n`);
        if (!values.json) say(`\n${new Date().toISOString()} ${d.cluster}: ${d.incidents} incident(s)${d.alreadyRunning.length ? `, ${d.alreadyRunning.length} already in remediation` : ''}${d.errors.length ? ', NOT READ' : ''}`);
        for (const st of d.started) if (!values.json) say(`\n[${st.target}] ${st.signature} (${policy.mode})`);
      }
      const results = await workflow.drain(() => interrupt.requested);
      const outcomes: OutcomeReport[] = [];
      for (const r of results) {
        const wasInterrupted = interrupt.requested && r.status === 'FAILED' && current?.execution === r.name;
        const report = outcomeReport(r, last.get(r.name), wasInterrupted);
        outcomes.push(report);
        if (wasInterrupted) {
          const state = last.get(r.name);
          const did = state ? await settleInterrupted(deps, state, current?.state, startedAt.get(r.name) ?? new Date()) : ['nothing to record: it had not started'];
          io.stderr(`interrupted ${r.name}${current ? ` in ${current.state}` : ''}: ${did.join('; ')}\n`);
        }
        if (!values.json) say(`  result    ${report.outcome} after ${report.trials ?? 0} trial(s)${report.actions?.length ? ` (${report.actions.join(', ')})` : ''}`);
      }
      if (values.json) {
        io.stdout(`${JSON.stringify({ cluster: clusterName, mode: policy.mode, at: new Date().toISOString(), interrupted: interrupt.requested, detection, outcomes }, null, 2)}\n`);
      }
      code = Math.max(code, passExitCode(policy.mode, detection, outcomes));
      if (interrupt.requested) code = EXIT.interrupted;
      if (values.once || interrupt.requested) break;
      await interrupt.sleep(interval * 1000).catch(() => undefined);
    } while (!interrupt.requested);
    if (interrupt.requested) io.stderr('stopped: no execution left running\n');
    return code;
  } finally {
    interrupt.dispose();
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
      .option('--json', 'print a machine-readable JSON summary per pass on stdout (the story goes away; warnings stay on stderr)')
      .option('--verbose', "log every step of the handlers to stderr (lock, reads, writes, memory)"),
  helpAfter: `Output: each incident's story (analysis, decision and why, each changed field
before → after, verification with progress while it waits, reflection, result);
in observe and dry-run the same story says what WOULD change. --json for scripts.
Ctrl-C: finishes the step in flight, releases the lock, records the episode as
interrupted and exits (130); a second Ctrl-C exits at once.`,
  run,
});
