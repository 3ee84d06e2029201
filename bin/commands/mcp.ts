import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ActionApiResponseSchema, type ActionApiResponse } from '../../functions/app/action-api-schema';
import { handleActionPayload } from '../../functions/app/action-api/router';
import { buildLocalDeps } from '../../functions/local/local-deps';
import { systemClock } from '../../functions/ports/clock';
import { defineCommand } from '../framework/command';
import { UsageError } from '../framework/errors';
import { EXIT } from '../framework/exit-codes';
import { kubeconfigOptions, openCluster } from '../framework/kubeconfig';
import { policyFromFlags } from '../framework/policy-option';
import { DEFAULT_DATA_DIR, memoryNamespaceOf, memoryOptions, openMemory, tablesOf, type MemoryFlags } from '../framework/memory-source';
import { serveMcp, type ActionBackend } from '../mcp/server';

interface Options extends MemoryFlags {
  kubeconfig?: string;
  context?: string;
  clusterName?: string;
  mode?: string;
  policy?: string;
  functionName?: string;
  region?: string;
  approvals?: boolean;
}

export const command = defineCommand<Options>({
  description: `Serves the action API as Model Context Protocol tools over stdio (one tool
per action: reads, writes, approvals), for agents and MCP clients. Input
schemas are the published JSON Schemas (schemas/), annotations say which
tools only read, which overwrite or delete, and which are idempotent. Writes
carry requested_by (approvals: approver), by default the MCP client's
declared name as mcp:<name>.
Backend: --function-name NAME [--region R] calls the deployed actions
function (AWS credentials from the environment); otherwise --kubeconfig etc.
run the actions in this process exactly like 'invoke', with the same memory:
DynamoDB Local on --data-dir DIR (default ${DEFAULT_DATA_DIR}, the one 'run'
and 'invoke' use, so cooldowns, hourly caps and action records hold across
sessions), owned by this session while it lasts; or --dynamodb-endpoint URL
(the one to give while another process owns the data directory). Standard
output carries the protocol only.`,
  configure: (cmd) =>
    memoryOptions(
      kubeconfigOptions(cmd)
        .option('--function-name <name>', 'the deployed actions function (stack output ActionsFunctionName)')
        .option('--region <region>', 'its region (default: $AWS_REGION)')
        .option('--mode <mode>', 'local only: observe | dry-run | enforce (default: dry-run)')
        .option('--policy <file>', 'local only: PolicyConfig JSON')
        .option('--no-approvals', 'do not offer approve_action / deny_action (agents may then only look at approval requests)'),
      { dataDir: DEFAULT_DATA_DIR },
    ),
  async run({ opts, io }) {
    const policy = await policyFromFlags(opts);
    const approvals = opts.approvals !== false;

    if (opts.functionName !== undefined) {
      const region = opts.region ?? io.env['AWS_REGION'] ?? io.env['AWS_DEFAULT_REGION'];
      if (!region) throw new UsageError('--region (or AWS_REGION) is needed with --function-name');
      await serveMcp({ backend: lambdaBackend(new LambdaClient({ region }), opts.functionName), policy, approvals, version: '0.1.0' });
      return EXIT.ok;
    }

    tablesOf(opts.tablePrefix);
    memoryNamespaceOf(opts.memoryNamespace);
    const { cluster, clusterName } = await openCluster(opts, io.env);
    // Never in-process only: a later session or an 'invoke' must see this session's cooldowns and caps.
    const source = await openMemory(opts, { dataDir: DEFAULT_DATA_DIR });
    // A client that stops the server with a signal instead of closing its stdin: DynamoDB Local (its own
    // process group) is stopped before this process exits, or it would keep running and hold the directory.
    const onSignal = () => void source.close().finally(() => process.exit(EXIT.interrupted));
    process.once('SIGTERM', onSignal).once('SIGINT', onSignal);
    try {
      const deps = buildLocalDeps({ clusters: { [clusterName]: cluster }, memory: source.memory, policy, clock: systemClock });
      await serveMcp({ backend: (payload) => handleActionPayload(deps, payload), policy, approvals, version: '0.1.0' });
      return EXIT.ok;
    } finally {
      process.off('SIGTERM', onSignal).off('SIGINT', onSignal);
      await source.close();
    }
  },
});

/** The deployed actions function: one synchronous invoke per tool call; its answer is checked like any boundary. */
export function lambdaBackend(client: LambdaClient, functionName: string): ActionBackend {
  return async (payload) => {
    const out = await client.send(new InvokeCommand({ FunctionName: functionName, Payload: new TextEncoder().encode(JSON.stringify(payload)) }));
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    if (out.FunctionError) return { ok: false, error: { code: 'INTERNAL', message: `${functionName}: ${out.FunctionError}: ${text.slice(0, 1000)}` } };
    const parsed = ActionApiResponseSchema.safeParse(JSON.parse(text || 'null'));
    if (!parsed.success) return { ok: false, error: { code: 'INTERNAL', message: `${functionName} answered something that is not an action API response` } };
    return parsed.data as ActionApiResponse;
  };
}
