import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../functions/domain/k8s';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../functions/local/dynamodb-local';
import { startSimulatedCluster, type SimulatedCluster } from '../sim';
import { FAULTS } from '../sim/faults';
import { createKubeClient } from '../sim/kube-client';
import { runCli } from '../support/cli';


const cli = (args: string[]) => runCli(args);

/**
 * `eks-reflexion run` is the same runner against any kubeconfig. Here: a
 * separate process, pointed at the simulator's kubeconfig as it would be at
 * kind or EKS, in observe mode (plans, writes nothing).
 */
describe('eks-reflexion run', () => {
  let sim: SimulatedCluster;
  let dynamo: DynamoDbLocal;
  let dir: string;
  let kubeconfig: string;
  const instance = FAULTS['bad-image-tag']!.instantiate(21);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'run-cli-'));
    [sim, dynamo] = await Promise.all([startSimulatedCluster({ seed: 21 }), startDynamoDbLocal()]);
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
    await dynamo?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('--once in observe mode detects, plans, prints a JSON summary and writes nothing', async () => {
    const kube = createKubeClient({ url: sim.url, token: sim.token, caPem: sim.caPem });
    const path = `/apis/apps/v1/namespaces/${instance.namespace}/deployments/${instance.workload.name}`;
    const before = await kube.get<Deployment>(path);
    const { code, stdout, stderr } = await cli(['run', '--kubeconfig', kubeconfig, '--once', '--mode', 'observe', '--dynamodb-endpoint', dynamo.endpoint, '--cluster-name', 'sim', '--json']);
    expect(stderr).not.toMatch(/error /);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { mode: string; outcomes: { signature: string; outcome: string; target: string }[] };
    expect(report.mode).toBe('observe');
    expect(report.outcomes).toEqual([
      expect.objectContaining({ signature: 'ImagePullBackOff:tag-not-found', outcome: 'observed', target: `${instance.namespace}/Deployment/${instance.workload.name}` }),
    ]);
    const after = await kube.get<Deployment>(path);
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    kube.close();
  });

  it('--once against a cluster that does not answer: exit 3 (unreachable) with a one-line reason', async () => {
    const unreachable = join(dir, 'unreachable-kubeconfig');
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    await writeFile(
      unreachable,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'gone', cluster: { server: 'https://127.0.0.1:1', 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'u', user: { token: 't' } }],
        contexts: [{ name: 'gone', context: { cluster: 'gone', user: 'u' } }],
        'current-context': 'gone',
      }),
    );
    const { code, stderr } = await cli(['run', '--kubeconfig', unreachable, '--once', '--dynamodb-endpoint', dynamo.endpoint, '--json']);
    expect(code).toBe(3);
    const reasons = stderr.split('\n').filter((l) => /could not be read/.test(l));
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^eks-reflexion run: cluster gone could not be read: \w+/);
  });

  it.each([
    // Why each: every bad flag stops before any cluster or database is touched, naming the flag.
    { args: ['run', '--once', '--kubeconfig', '/nonexistent/kubeconfig'], message: /--kubeconfig \/nonexistent\/kubeconfig: / },
    { args: ['run', '--kubeconfig', '/nonexistent', '--mode', 'yolo'], message: /mode/ },
    { args: ['run', '--kubeconfig', '/nonexistent', '--interval', '1'], message: /--interval/ },
    { args: ['run', '--kubeconfig', '/nonexistent', '--tables', 'a,b'], message: /--tables/ },
    { args: ['run', '--frobnicate'], message: /frobnicate/ },
  ])('refuses $args with exit 2', async ({ args, message }) => {
    const { code, stderr } = await cli(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
