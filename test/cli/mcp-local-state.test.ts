import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedCluster } from '../sim/index';
import { startShopSimulator, type ShopSimulator } from '../support/shop-simulator';

/**
 * `eks-reflexion mcp` keeps its locks, cooldowns and action records where
 * `invoke` and `run` keep theirs (DynamoDB Local in .eks-reflexion/dynamodb
 * of the working directory) when no memory flag is given. Before, an MCP
 * session without --data-dir kept them in its process: a second session, or
 * an `invoke` after it, started with an empty history and wrote again inside
 * the cooldown.
 */
const run = promisify(execFile);
const CLI = resolve(__dirname, '../../bin/eks-reflexion.mjs');
let shop: ShopSimulator | undefined;
let sim: SimulatedCluster;
let dir: string;

beforeAll(async () => {
  shop = await startShopSimulator({ seed: 5, dirPrefix: 'mcp-state-', deployments: ['web-a', 'web-b'] });
  ({ sim, dir } = shop);
}, 120_000);

afterAll(() => shop?.stop());

const scalePayload = (deployment: string, replicas: number) => ({ cluster_name: 'sim', namespace: 'shop', deployment, replicas, requested_by: 'test' });

/** An MCP session in its own process, spawned as a client spawns it, in dir (so the default data dir is the test's own). */
async function connect(...flags: string[]): Promise<{ client: Client; transport: StdioClientTransport }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'mcp', '--kubeconfig', join(dir, 'kubeconfig'), '--cluster-name', 'sim', ...flags],
    cwd: dir,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'state-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

/** One MCP session that calls scale_deployment once and ends. */
async function scaleOverMcp(deployment: string, replicas: number): Promise<unknown> {
  const { client } = await connect('--mode', 'enforce');
  try {
    return (await client.callTool({ name: 'scale_deployment', arguments: scalePayload(deployment, replicas) })).structuredContent;
  } finally {
    await client.close();
  }
}

async function scaleOverInvoke(deployment: string, replicas: number): Promise<unknown> {
  const file = join(dir, `payload-${deployment}-${replicas}.json`);
  await writeFile(file, JSON.stringify({ action: 'scale_deployment', ...scalePayload(deployment, replicas) }));
  const out = await run(process.execPath, [CLI, 'invoke', file, '--kubeconfig', join(dir, 'kubeconfig'), '--cluster-name', 'sim', '--mode', 'enforce'], { cwd: dir }).catch(
    (e: { stdout: string }) => e,
  );
  return JSON.parse(out.stdout) as unknown;
}

describe('eks-reflexion mcp without memory flags shares cooldowns with later processes', () => {
  // Why each row: two MCP sessions one after the other (an agent restarted by its client), and an
  // MCP session followed by an operator's `invoke` — both must see the first write's cooldown.
  it.each([
    ['web-a', 'a second MCP session', scaleOverMcp],
    ['web-b', 'an invoke', scaleOverInvoke],
  ] as const)('%s: an MCP session scales 2→3; %s then refuses 3→4 by cooldown', async (deployment, _second, second) => {
    expect(await scaleOverMcp(deployment, 3)).toMatchObject({ ok: true, result: { applied: true } });
    expect(await second(deployment, 4)).toMatchObject({ ok: false, error: { code: 'POLICY_VIOLATION', message: expect.stringMatching(/^cooldown: /) } });
    const d = await sim.client.get<{ spec: { replicas: number } }>(`/apis/apps/v1/namespaces/shop/deployments/${deployment}`);
    expect(d.spec.replicas).toBe(3);
  }, 180_000);
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('eks-reflexion mcp stopped by a signal', () => {
  it('SIGTERM (how some clients stop a server, instead of closing its stdin) leaves no DynamoDB Local behind', async () => {
    const { client, transport } = await connect('--data-dir', 'signal-data');
    const { javaPid } = JSON.parse(await readFile(join(dir, 'signal-data', 'eks-reflexion.owner.json'), 'utf8')) as { javaPid: number };
    try {
      expect(alive(javaPid)).toBe(true);
      process.kill(transport.pid!, 'SIGTERM');
      for (let waited = 0; alive(transport.pid!) && waited < 30_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
      expect(alive(transport.pid!)).toBe(false);
      // Before: Node died at once on SIGTERM and the detached Java kept running (and its port, and the directory's data).
      expect(alive(javaPid)).toBe(false);
    } finally {
      if (alive(javaPid)) process.kill(javaPid, 'SIGKILL');
      await client.close().catch(() => undefined);
    }
  }, 120_000);
});
