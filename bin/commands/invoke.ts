import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import type { Command } from '../cli';
import { KubeCluster } from '../../functions/adapters/kubernetes/kube-cluster';
import { handleActionPayload } from '../../functions/app/action-api/router';
import { MemoryError } from '../../functions/domain/errors';
import { ModeSchema, PolicyConfigSchema } from '../../functions/domain/policy-config';
import { buildLocalDeps, localMemory } from '../../functions/local/local-deps';
import { systemClock } from '../../functions/ports/clock';
import type { EpisodeStore, LockStore, Memory, StrategyStore } from '../../functions/ports/memory';

const HELP = `usage: eks-reflexion invoke PAYLOAD.json [options]

Runs one action API payload ({"action": ..., "cluster_name": ...}) locally
with the same handler as the actions Lambda, against the cluster of a
kubeconfig, and prints the JSON answer. Exit code 0 when ok, 1 when not,
2 for a usage error. PAYLOAD.json may be '-' for standard input.
  --kubeconfig PATH         kubeconfig (default: $KUBECONFIG, then ~/.kube/config)
  --context NAME            kubeconfig context (default: its current context)
  --cluster-name NAME       the name payloads use in cluster_name
                            (default: the context's name)
  --mode MODE               observe | dry-run | enforce (default: dry-run;
                            a payload's dry_run can only make it stricter)
  --policy FILE             PolicyConfig JSON (protected/opt-in namespaces, limits...)
  --dynamodb-endpoint URL   memory on this DynamoDB (Local) endpoint; without it,
                            memory actions fail and cooldowns/caps see only this run
  --memory-namespace NS     memory namespace (default: local)
  --table-prefix P          table names P-episodes, P-strategies, P-locks
                            (default: eks-reflexion; created when missing)`;

class UsageError extends Error {
  override readonly name = 'UsageError' as const;
}

/** Cooldowns and caps within this one process: honest about knowing nothing of other runs. */
export class InProcessLockStore implements LockStore {
  private readonly locks = new Map<string, { owner: string; expires: number }>();
  private readonly actions = new Map<string, { actionId: string; at: string }[]>();
  async acquire(key: string, owner: string, ttlSeconds: number, now: Date): Promise<boolean> {
    const held = this.locks.get(key);
    if (held && held.owner !== owner && held.expires > now.getTime()) return false;
    this.locks.set(key, { owner, expires: now.getTime() + ttlSeconds * 1000 });
    return true;
  }
  async release(key: string, owner: string): Promise<void> {
    if (this.locks.get(key)?.owner === owner) this.locks.delete(key);
  }
  async recordAction(workloadKey: string, actionId: string, at: Date): Promise<void> {
    const list = this.actions.get(workloadKey) ?? [];
    if (!list.some((a) => a.actionId === actionId)) list.push({ actionId, at: at.toISOString() });
    this.actions.set(workloadKey, list);
  }
  async actionsSince(workloadKey: string, since: Date): Promise<{ actionId: string; at: string }[]> {
    return (this.actions.get(workloadKey) ?? []).filter((a) => Date.parse(a.at) >= since.getTime()).reverse();
  }
}

function memoryWithoutStore(): Memory {
  const refuse = (): never => {
    throw new MemoryError('memory is not configured: run invoke with --dynamodb-endpoint URL for memory actions');
  };
  const episodes: EpisodeStore = { put: refuse, get: refuse, list: refuse, lessonsFor: refuse, clear: refuse };
  const strategies: StrategyStore = { listForSignature: refuse, listAll: refuse, ensure: refuse, recordOutcome: refuse, clear: refuse };
  return { namespace: 'none', episodes, strategies, locks: new InProcessLockStore() };
}

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

async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        'cluster-name': { type: 'string' },
        mode: { type: 'string' },
        policy: { type: 'string' },
        'dynamodb-endpoint': { type: 'string' },
        'memory-namespace': { type: 'string' },
        'table-prefix': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`eks-reflexion invoke: ${(e as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  try {
    if (positionals.length !== 1) throw new UsageError('give exactly one PAYLOAD.json (or - for standard input)');
    const mode = ModeSchema.safeParse(values.mode ?? 'dry-run');
    if (!mode.success) throw new UsageError(`--mode: '${values.mode}' is not observe, dry-run or enforce`);
    let policyInput: unknown = {};
    if (values.policy) {
      try {
        policyInput = JSON.parse(await readFile(values.policy, 'utf8'));
      } catch (e) {
        throw new UsageError(`--policy ${values.policy}: ${(e as Error).message}`);
      }
    }
    const policy = PolicyConfigSchema.safeParse({ ...(policyInput as object), mode: mode.data });
    if (!policy.success) {
      const issue = policy.error.issues[0];
      throw new UsageError(`--policy: ${issue?.path.join('.')}: ${issue?.message}`);
    }
    const memoryNamespace = values['memory-namespace'] ?? 'local';
    if (!/^[a-z0-9-]{1,40}$/.test(memoryNamespace)) throw new UsageError('--memory-namespace: must be 1-40 chars of a-z, 0-9, -');
    const payload = await readPayload(positionals[0]!);

    const kubeconfig = values.kubeconfig ?? process.env.KUBECONFIG ?? join(homedir(), '.kube', 'config');
    const kc = new KubeConfig();
    try {
      kc.loadFromFile(kubeconfig);
    } catch (e) {
      throw new UsageError(`--kubeconfig ${kubeconfig}: ${(e as Error).message}`);
    }
    const context = values.context ?? kc.getCurrentContext();
    const clusterName = values['cluster-name'] ?? context;
    if (!clusterName) throw new UsageError(`${kubeconfig} has no current context; pass --context`);
    const cluster = KubeCluster.fromKubeconfigFile(kubeconfig, { ...(values.context ? { context: values.context } : {}), clusterName });

    let memory: Memory = memoryWithoutStore();
    let close = () => {};
    if (values['dynamodb-endpoint']) {
      const prefix = values['table-prefix'] ?? 'eks-reflexion';
      const tables = { episodes: `${prefix}-episodes`, strategies: `${prefix}-strategies`, locks: `${prefix}-locks` };
      const local = await localMemory({ endpoint: values['dynamodb-endpoint'], tables, namespace: memoryNamespace });
      close = () => local.client.destroy();
      memory = local.memory;
    }
    try {
      const deps = buildLocalDeps({ clusters: { [clusterName]: cluster }, memory, policy: policy.data, clock: systemClock });
      const answer = await handleActionPayload(deps, payload);
      process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
      return answer.ok ? 0 : 1;
    } finally {
      close();
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`eks-reflexion invoke: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

export const command: Command = { summary: 'run one action API payload locally against a kubeconfig cluster; prints the JSON answer', run };
