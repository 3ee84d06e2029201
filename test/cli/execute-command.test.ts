import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeCluster } from '../../functions/adapters/kubernetes/kube-cluster';
import { executionName, initialState } from '../../functions/app/incident-executions';
import { detectIncidents } from '../../functions/domain/detectors';
import type { Deployment } from '../../functions/domain/k8s';
import { PolicyConfigSchema } from '../../functions/domain/policy-config';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../functions/local/dynamodb-local';
import { startSimulatedCluster, type SimulatedCluster } from '../sim';
import { FAULTS } from '../sim/faults';
import { createKubeClient } from '../sim/kube-client';
import { runCli } from '../support/cli';


const cli = (args: string[]) => runCli(args);

/**
 * `eks-reflexion execute --input FILE`: one execution with an input as the
 * Step Functions console shows it, in a separate process against the
 * simulator's kubeconfig. The input asks for enforce; the configuration says
 * dry-run; the configured mode is the ceiling, so nothing may change.
 */
describe('eks-reflexion execute --input', () => {
  let sim: SimulatedCluster;
  let dynamo: DynamoDbLocal;
  let dir: string;
  let kubeconfig: string;
  let inputFile: string;
  const instance = FAULTS['bad-image-tag']!.instantiate(33);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'execute-cli-'));
    [sim, dynamo] = await Promise.all([startSimulatedCluster({ seed: 33 }), startDynamoDbLocal()]);
    kubeconfig = join(dir, 'kubeconfig');
    await sim.writeKubeconfig(kubeconfig);
    const kube = createKubeClient({ url: sim.url, token: sim.token, caPem: sim.caPem });
    await instance.setup(kube);
    await sim.advance(90);
    await instance.inject(kube);
    await sim.advance(90);
    kube.close();
    // The input the detector would have started the execution with, in enforce.
    const cluster = KubeCluster.fromKubeconfigFile(kubeconfig, { clusterName: 'sim', clock: sim.clock });
    const { incidents } = detectIncidents(await cluster.snapshot(), { source: 'direct', protectedNamespaces: ['kube-system'], optInNamespaces: [] });
    const incident = incidents.find((i) => i.namespace === instance.namespace)!;
    const now = sim.clock.now();
    const name = executionName(incident, now, 'enforce');
    const input = initialState({ policy: PolicyConfigSchema.parse({ mode: 'enforce' }) }, incident, name, now);
    inputFile = join(dir, 'input.json');
    await writeFile(inputFile, JSON.stringify({ ...input, mode: 'enforce' }, null, 2));
  });
  afterAll(async () => {
    await sim?.stop();
    await dynamo?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('an input asking for enforce under a dry-run configuration leaves the cluster unchanged', async () => {
    const kube = createKubeClient({ url: sim.url, token: sim.token, caPem: sim.caPem });
    const path = `/apis/apps/v1/namespaces/${instance.namespace}/deployments/${instance.workload.name}`;
    const before = await kube.get<Deployment>(path);
    const { code, stdout, stderr } = await cli(['execute', '--input', inputFile, '--kubeconfig', kubeconfig, '--mode', 'dry-run', '--dynamodb-endpoint', dynamo.endpoint]);
    expect(code, stderr).toBe(0);
    const printed = JSON.parse(stdout) as { status: string; configuredMode: string; path: string[]; state: { outcome?: string; remediation?: { applied: boolean; dryRun: boolean } } };
    expect(printed).toMatchObject({ status: 'SUCCEEDED', configuredMode: 'dry-run' });
    // It did go as far as the write, and the write was a server-side dry run.
    expect(printed.path).toEqual(expect.arrayContaining(['AcquireLock', 'Analyse', 'SelectStrategy', 'Reflect', 'Done']));
    expect(printed.state.remediation).toMatchObject({ applied: false, dryRun: true });
    expect(printed.state.outcome).toBe('dry-run');
    const after = await kube.get<Deployment>(path);
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect(after.metadata?.generation).toBe(before.metadata?.generation);
    kube.close();
  });

  it.each([
    // Why each: a bad input or flag stops before any cluster or database is touched, naming what is wrong.
    { why: 'no --input', args: ['execute'], message: /--input is required/ },
    { why: 'a file that is not there', args: ['execute', '--input', '/nonexistent.json'], message: /input \/nonexistent\.json/ },
    { why: 'an unknown mode', file: '{}', args: ['--mode', 'yolo'], message: /mode|executionId/ },
    { why: 'not JSON', file: 'nope', args: [], message: /not JSON/ },
    { why: 'a document that is no workflow state (field named)', file: '{"executionId": "x"}', args: [], message: /incident/ },
  ])('refuses $why with exit 2', async ({ args, file, message }) => {
    let extra: string[] = [];
    if (file !== undefined) {
      const path = join(dir, `bad-${Math.random().toString(36).slice(2)}.json`);
      await writeFile(path, file);
      extra = ['execute', '--input', path, '--kubeconfig', '/nonexistent'];
    }
    const { code, stderr } = await cli([...extra, ...args]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
