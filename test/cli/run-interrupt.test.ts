import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workloadKey } from '../../functions/domain/policy';
import { startDynamoDbLocal } from '../../functions/local/dynamodb-local';
import { localMemory } from '../../functions/local/local-deps';
import { startSimulatedCluster, type SimulatedCluster } from '../sim';
import { FAULTS } from '../sim/faults';
import { createKubeClient } from '../sim/kube-client';

const CLI = join(process.cwd(), 'bin/eks-reflexion.mjs');
const exec = promisify(execFile);

/**
 * Ctrl-C in the middle of a verification window. The CLI runs in its own
 * process group and the signal goes to the whole group, as a terminal sends
 * it: DynamoDB Local (started by the CLI on --data-dir) must not die under the
 * CLI's feet, the lock must be released, the trial recorded as interrupted,
 * and everything gone within 5 s.
 */
describe('eks-reflexion run, interrupted', () => {
  let sim: SimulatedCluster;
  let dir: string;
  let kubeconfig: string;
  const instance = FAULTS['bad-image-tag']!.instantiate(31);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'run-sigint-'));
    sim = await startSimulatedCluster({ seed: 31 });
    kubeconfig = join(dir, 'kubeconfig');
    await sim.writeKubeconfig(kubeconfig);
    const kube = createKubeClient({ url: sim.url, token: sim.token, caPem: sim.caPem });
    await instance.setup(kube);
    await sim.advance(90);
    await instance.inject(kube);
    await sim.advance(90);
    kube.close();
  });
  afterAll(async () => {
    await sim?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('first SIGINT during verification: lock released, episode interrupted, exit 130 within 5 s; data dir free again', async () => {
    const dataDir = join(dir, 'data');
    const child = spawn(process.execPath, [CLI, 'run', '--kubeconfig', kubeconfig, '--cluster-name', 'sim', '--once', '--mode', 'enforce', '--data-dir', dataDir], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const waiting = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (/^ {2}wait {6}/m.test(stdout)) resolve();
      });
      void exited.then(() => reject(new Error(`run ended before verifying:\n${stdout}\n${stderr}`)));
    });
    await waiting;
    // The whole group, as a terminal's Ctrl-C.
    const signalled = Date.now();
    process.kill(-child.pid!, 'SIGINT');
    const code = await exited;
    const tookMs = Date.now() - signalled;

    expect(code, `${stdout}\n${stderr}`).toBe(130);
    expect(tookMs).toBeLessThan(5000);
    expect(stderr).toMatch(/recorded as interrupted/);
    // The data directory was given back: its owner file is gone and a new DynamoDB Local can open it.
    expect(existsSync(join(dataDir, 'eks-reflexion.owner.json'))).toBe(false);
    // What the run learned is there to inspect, through the memory command on the same data dir.
    const listed = await exec(process.execPath, [CLI, 'memory', 'episodes', '--data-dir', dataDir, '--json'], { timeout: 120_000 });
    const fromCli = JSON.parse(listed.stdout) as { outcome: string; incident: { target: { name: string } } }[];
    expect(fromCli.map((e) => [e.incident.target.name, e.outcome])).toContainEqual([instance.workload.name, 'interrupted']);
    const dynamo = await startDynamoDbLocal({ dbPath: dataDir });
    try {
      const { memory, client } = await localMemory({
        endpoint: dynamo.endpoint,
        tables: { episodes: 'eks-reflexion-episodes', strategies: 'eks-reflexion-strategies', locks: 'eks-reflexion-locks' },
        namespace: 'local',
      });
      const episodes = await memory.episodes.list();
      expect(episodes.map((e) => e.outcome)).toContain('interrupted');
      const episode = episodes.find((e) => e.outcome === 'interrupted')!;
      expect(episode.error?.name).toBe('Interrupted');
      // Released: another owner gets the workload's lock at once.
      const { cluster, target } = episode.incident;
      expect(await memory.locks.acquire(workloadKey(cluster, target.namespace, target.kind, target.name), 'another-run', 60, new Date())).toBe(true);
      client.destroy();
    } finally {
      await dynamo.stop();
    }
  }, 240_000);
});
