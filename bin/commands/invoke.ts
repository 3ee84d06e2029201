import { readFile } from 'node:fs/promises';
import { checkPayloadOffline, handleActionPayload } from '../../functions/app/action-api/router';
import { buildLocalDeps } from '../../functions/local/local-deps';
import { systemClock } from '../../functions/ports/clock';
import { defineCommand } from '../framework/command';
import { UsageError } from '../framework/errors';
import { EXIT } from '../framework/exit-codes';
import { kubeconfigOptions, openCluster } from '../framework/kubeconfig';
import { policyFromFlags } from '../framework/policy-option';
import { DEFAULT_DATA_DIR, memoryNamespaceOf, memoryOptions, MemoryUnavailable, openMemory, tablesOf, type MemoryFlags, type OpenedMemory } from '../framework/memory-source';

async function readPayload(path: string): Promise<unknown> {
  let text: string;
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  } else {
    text = await readFile(path, 'utf8').catch((e: Error) => {
      throw new UsageError(`cannot read ${path}: ${e.message}`);
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UsageError(`${path === '-' ? 'standard input' : path} is not JSON: ${(e as Error).message}`);
  }
}

interface Options extends MemoryFlags {
  kubeconfig?: string;
  context?: string;
  clusterName?: string;
  mode?: string;
  policy?: string;
}

export const command = defineCommand<Options>({
  description: `Runs one action API payload ({"action": ..., "cluster_name": ...}) locally
with the same handler as the actions Lambda, against the cluster of a
kubeconfig, and prints the JSON answer. PAYLOAD.json may be '-' for standard
input. Exit code 0 when the answer is ok, 1 when it is not, 3 when the
cluster or the memory endpoint is unreachable (the answer is then
{"ok": false, "error": {"code": "UNAVAILABLE", ...}}).
Memory (episodes, locks, cooldowns, hourly caps, action records): DynamoDB
Local on --data-dir DIR (default ${DEFAULT_DATA_DIR}, the one 'run' uses, so
back-to-back invocations and run's own actions share cooldowns as they do on
AWS), or --dynamodb-endpoint URL (the one to give while 'run' owns the data
directory).`,
  configure: (cmd) =>
    memoryOptions(
      kubeconfigOptions(cmd)
        .argument('<payload>', "PAYLOAD.json, or '-' for standard input")
        .option('--mode <mode>', "observe | dry-run | enforce (default: dry-run; a payload's dry_run can only make it stricter)")
        .option('--policy <file>', 'PolicyConfig JSON (protected/opt-in namespaces, limits...)'),
      { dataDir: DEFAULT_DATA_DIR },
    ),
  async run({ opts, args, io }) {
    const policy = await policyFromFlags(opts);
    tablesOf(opts.tablePrefix);
    memoryNamespaceOf(opts.memoryNamespace);
    if (opts.dataDir !== undefined && opts.dynamodbEndpoint !== undefined) throw new UsageError('give --data-dir or --dynamodb-endpoint, not both');
    const payload = await readPayload(args[0]!);
    // A bad payload is answered before any kubeconfig is read or anything is contacted.
    const refused = checkPayloadOffline(policy, payload);
    if (refused) {
      io.stdout(`${JSON.stringify(refused, null, 2)}\n`);
      return EXIT.failed;
    }
    const { cluster, clusterName } = await openCluster(opts, io.env);

    let source: OpenedMemory;
    try {
      // Never in-process only: cooldowns and caps must see the invocations before this one (separate processes).
      source = await openMemory(opts, { dataDir: DEFAULT_DATA_DIR });
    } catch (error) {
      if (!(error instanceof MemoryUnavailable)) throw error;
      // The documented answer of the API for unreachable memory, not a stack trace.
      io.stdout(`${JSON.stringify({ ok: false, error: { code: 'UNAVAILABLE', message: error.message } }, null, 2)}\n`);
      return EXIT.unreachable;
    }
    try {
      const deps = buildLocalDeps({ clusters: { [clusterName]: cluster }, memory: source.memory, policy, clock: systemClock });
      const answer = await handleActionPayload(deps, payload);
      io.stdout(`${JSON.stringify(answer, null, 2)}\n`);
      if (answer.ok) return EXIT.ok;
      return answer.error.code === 'UNAVAILABLE' ? EXIT.unreachable : EXIT.failed;
    } finally {
      await source.close();
    }
  },
});
