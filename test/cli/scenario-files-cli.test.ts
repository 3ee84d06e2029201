import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE_DIR } from '../sim/faults';
import { connectionFromKubeconfig, createKubeClient } from '../sim/kube-client';
import { CLI_ENTRY, runCli } from '../support/cli';


/**
 * Scenario files written outside the repository, through the CLI as a user
 * runs it: `sim scenarios --dir`, `sim serve --scenario-file` and `bench
 * --scenarios` take them; a malformed one stops each with the file, the
 * place in it and the problem, before anything starts.
 */

const cli = (args: string[], timeout = 60_000) => runCli(args, { timeoutMs: timeout });

describe('scenario files through the CLI', () => {
  let dir: string;
  let good: string;
  let bad: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'my-scenarios-'));
    const text = await readFile(join(CATALOGUE_DIR, 'bad-image-tag.yaml'), 'utf8');
    await writeFile(join(dir, 'typo-tag.yaml'), text.replace('name: bad-image-tag', 'name: typo-tag').replace('authors: [eks-reflexion maintainers]', 'authors: [someone else]'));
    good = join(dir, 'typo-tag.yaml');
    const badDir = await mkdtemp(join(tmpdir(), 'bad-scenarios-'));
    bad = join(badDir, 'broken.yaml');
    await writeFile(bad, text.replace('name: bad-image-tag', 'name: broken').replace('replicas: "{{replicas}}"', 'replicas: three'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('sim scenarios --dir lists (and validates) the files of a directory outside the repository', async () => {
    const r = await cli(['sim', 'scenarios', '--dir', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/typo-tag\s+ImagePullBackOff:tag-not-found\s+yes/);
    expect(r.stdout).toContain(good);
  });

  // Each: a command that must refuse the malformed file before starting anything (a real start takes far longer than the timeout).
  it.each([
    { cmd: 'sim scenarios --dir', args: () => ['sim', 'scenarios', '--dir', join(bad, '..')] },
    { cmd: 'sim serve --scenario-file', args: () => ['sim', 'serve', '--scenario-file', bad] },
    { cmd: 'bench --scenarios', args: () => ['bench', '--scenarios', join(bad, '..'), '--only', 'suite', '--out', '/nonexistent/never-written'] },
  ])('$cmd refuses a malformed file with exit 2, naming the file, the field and the problem', async ({ args }) => {
    const r = await cli(args(), 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:`);
    expect(r.stderr).toMatch(/workloads\.deployments\[0\]\.replicas: must be a number or a \{\{ template \}\}/);
    expect(r.stdout).not.toMatch(/simulated cluster at|fault suite:/);
  });

  it('sim serve --scenario-file sets up and injects a scenario from a file outside the repository', async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    const child = spawn(process.execPath, [CLI_ENTRY, 'sim', 'serve', '--scenario-file', good, '--seed', '3', '--kubeconfig-out', kubeconfig], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const deadline = Date.now() + 150_000;
      while (!/typo-tag: fault injected/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 500));
      expect(out).toMatch(/typo-tag: set up Deployment [a-z]+-[0-9a-f]{5}\/[a-z]+/);
      expect(out).toMatch(/typo-tag: fault injected/);
      const ns = /set up Deployment ([a-z0-9-]+)\//.exec(out)![1]!;
      const k = createKubeClient(await connectionFromKubeconfig(kubeconfig));
      try {
        const deployments = await k.list<{ spec?: { template?: { spec?: { containers?: { image?: string }[] } } } }>(`/apis/apps/v1/namespaces/${ns}/deployments`);
        expect(deployments).toHaveLength(1);
      } finally {
        k.close();
      }
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
    }
  }, 200_000);

  it('bench --scenarios runs a directory outside the repository through the whole stack, judged by the oracle', async () => {
    const out = join(dir, 'bench-out');
    const r = await cli(['bench', '--scenarios', dir, '--seeds', '1', '--train-seeds', '0', '--only', 'suite', '--out', out], 400_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(await readFile(join(out, 'bench.json'), 'utf8')) as { faultSuite: { faults: string[]; runs: { memoryOff: { fault: string; oracle: { success: boolean }; disagreement: boolean }[] } } };
    expect(report.faultSuite.faults).toEqual(['typo-tag']);
    const [run] = report.faultSuite.runs.memoryOff;
    expect(run).toMatchObject({ fault: 'typo-tag', oracle: { success: true }, disagreement: false });
  }, 450_000);
});
