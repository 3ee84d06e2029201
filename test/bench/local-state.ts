import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { localMemory } from '../../functions/local/local-deps';
import { startDynamoDbLocal } from '../../functions/local/dynamodb-local';
import { startSimulatedCluster } from '../sim/index';
import { ensureNamespace } from '../sim/faults/kit';
import { quantile } from './stats';

/**
 * What local state costs `invoke` (and an MCP session, once at its start):
 * DynamoDB Local is started on the data directory for every invocation.
 * Measured three ways, each `runs` times, interleaved so that load on a
 * shared machine falls on all of them alike:
 *   - `invoke` of a read (pod_status) with the default data dir: a whole CLI
 *     process that starts and stops DynamoDB Local;
 *   - the same `invoke` with --dynamodb-endpoint of a DynamoDB Local already
 *     running (no start): the difference is the per-call cost of local state;
 *   - in this process, DynamoDB Local started on the data dir, the memory
 *     opened (tables exist), and stopped: the start cost alone.
 *
 * Run: `npx tsx test/bench/local-state.ts [runs]` (default 5). Prints JSON.
 */

const run = promisify(execFile);
const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'eks-reflexion.mjs');
const TABLES = { episodes: 'eks-reflexion-episodes', strategies: 'eks-reflexion-strategies', locks: 'eks-reflexion-locks' };

export interface Spread {
  n: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

export interface LocalStateFigures {
  invokeWithDataDir: Spread;
  invokeWithEndpoint: Spread;
  startOpenStop: Spread;
  /** 1-minute load average per core before and after (a shared machine says so). */
  loadPerCore: [number, number];
}

function spread(ms: number[]): Spread {
  const sorted = [...ms].sort((a, b) => a - b);
  return { n: ms.length, medianMs: Math.round(quantile(sorted, 0.5)), minMs: Math.round(sorted[0]!), maxMs: Math.round(sorted.at(-1)!) };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export async function localStateBench(runs = 5): Promise<LocalStateFigures> {
  const load = () => Math.round((loadavg()[0]! / cpus().length) * 100) / 100;
  const loadBefore = load();
  const dir = await mkdtemp(join(tmpdir(), 'bench-local-state-'));
  const sim = await startSimulatedCluster({ seed: 1 });
  const shared = await startDynamoDbLocal();
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    await sim.writeKubeconfig(kubeconfig);
    await ensureNamespace(sim.client, 'shop');
    const payload = join(dir, 'payload.json');
    await writeFile(payload, JSON.stringify({ action: 'pod_status', cluster_name: 'sim', namespace: 'shop' }));
    const invoke = async (...extra: string[]) => {
      // In dir: the default data dir (.eks-reflexion/dynamodb) is the bench's own.
      const { stdout } = await run(process.execPath, [CLI, 'invoke', payload, '--kubeconfig', kubeconfig, '--cluster-name', 'sim', ...extra], { cwd: dir });
      if (!(JSON.parse(stdout) as { ok?: boolean }).ok) throw new Error(`invoke answered: ${stdout}`);
    };
    const dataDir = join(dir, 'direct');
    const startOpenStop = async () => {
      const dynamo = await startDynamoDbLocal({ dbPath: dataDir });
      const { client } = await localMemory({ endpoint: dynamo.endpoint, tables: TABLES, namespace: 'local' });
      client.destroy();
      await dynamo.stop();
    };
    // Warm-up, not counted: the CLI bundle is built if sources changed, the tables created once.
    await invoke();
    await invoke('--dynamodb-endpoint', shared.endpoint);
    await startOpenStop();
    const withDataDir: number[] = [];
    const withEndpoint: number[] = [];
    const direct: number[] = [];
    for (let i = 0; i < runs; i++) {
      withDataDir.push(await timed(() => invoke()));
      withEndpoint.push(await timed(() => invoke('--dynamodb-endpoint', shared.endpoint)));
      direct.push(await timed(startOpenStop));
    }
    return {
      invokeWithDataDir: spread(withDataDir),
      invokeWithEndpoint: spread(withEndpoint),
      startOpenStop: spread(direct),
      loadPerCore: [loadBefore, load()],
    };
  } finally {
    await shared.stop();
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const runs = Number(process.argv[2] ?? 5);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`runs must be a positive integer, got '${process.argv[2]}'`);
    process.exit(2);
  }
  console.log(JSON.stringify(await localStateBench(runs), null, 2));
}
