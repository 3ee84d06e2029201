import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedCluster, type SimulatedCluster } from '../sim';
import { FAULTS } from '../sim/faults';
import { createKubeClient, type KubeClientLike } from '../sim/kube-client';

/**
 * `eks-reflexion mcp` as an MCP client sees it: the SDK's Client spawns the
 * CLI over stdio (as Claude Desktop or an agent framework would), lists the
 * tools and calls them against the simulated cluster.
 */
describe('eks-reflexion mcp (stdio)', () => {
  let sim: SimulatedCluster;
  let kube: KubeClientLike;
  let dir: string;
  let client: Client;
  const instance = FAULTS['bad-image-tag']!.instantiate(31);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcp-cli-'));
    sim = await startSimulatedCluster({ seed: 31 });
    const kubeconfig = join(dir, 'kubeconfig');
    await sim.writeKubeconfig(kubeconfig);
    kube = createKubeClient({ url: sim.url, token: sim.token, caPem: sim.caPem });
    await instance.setup(kube);
    await sim.advance(90);
    await instance.inject(kube);
    await sim.advance(90);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [join(process.cwd(), 'bin/eks-reflexion.mjs'), 'mcp', '--kubeconfig', kubeconfig, '--cluster-name', 'sim', '--mode', 'enforce'],
      // In dir: the default data dir (.eks-reflexion/dynamodb) is the test's own.
      cwd: dir,
      stderr: 'pipe',
    });
    client = new Client({ name: 'sre-agent', version: '1.0.0' });
    await client.connect(transport);
  }, 180_000);

  afterAll(async () => {
    await client?.close();
    kube?.close();
    await sim?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists every action as a tool, with the published schema (minus action) and honest annotations', async () => {
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect([...byName.keys()]).toEqual(expect.arrayContaining(['pod_status', 'rollback_deployment', 'scale_deployment', 'restart_pod', 'approve_action', 'deny_action', 'approval_status', 'list_episodes']));
    const podStatus = byName.get('pod_status')!;
    expect(podStatus.inputSchema.properties).toHaveProperty('namespace');
    expect(podStatus.inputSchema.properties).not.toHaveProperty('action');
    expect(podStatus.inputSchema.required).toEqual(expect.arrayContaining(['cluster_name', 'namespace']));
    // Each row: a tool and what it really does (reads; overwrites a field; acts again on every call).
    for (const [name, readOnly, destructive, idempotent] of [
      ['pod_status', true, false, true],
      ['scale_deployment', false, true, true],
      ['restart_pod', false, true, false],
      ['rollback_deployment', false, true, false],
      ['deny_action', false, false, false],
    ] as const) {
      expect(byName.get(name)!.annotations, name).toMatchObject({ readOnlyHint: readOnly, destructiveHint: destructive, idempotentHint: idempotent });
    }
    expect(byName.get('scale_deployment')!.inputSchema.properties).toHaveProperty('requested_by');
  });

  it('calls pod_status and a dry-run rollback_deployment and gets structured results', async () => {
    const status = await client.callTool({ name: 'pod_status', arguments: { cluster_name: 'sim', namespace: instance.namespace } });
    expect(status.isError).toBe(false);
    expect(status.structuredContent).toMatchObject({ ok: true, action: 'pod_status' });
    const dry = await client.callTool({ name: 'rollback_deployment', arguments: { cluster_name: 'sim', namespace: instance.namespace, deployment: instance.workload.name, dry_run: true } });
    expect(dry.structuredContent).toMatchObject({ ok: true, action: 'rollback_deployment', dry_run: true, result: { dryRun: true, applied: false } });
  }, 60_000);

  it('a bad argument is a tool error naming the field, not a crash', async () => {
    const bad = await client.callTool({ name: 'scale_deployment', arguments: { cluster_name: 'sim', namespace: instance.namespace, deployment: instance.workload.name, replicas: -1 } });
    expect(bad.isError).toBe(true);
    expect(bad.structuredContent).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD', message: expect.stringContaining('replicas') } });
  });

  it("a write names the agent (the client's declared name) in its Kubernetes Event", async () => {
    const done = await client.callTool({ name: 'rollback_deployment', arguments: { cluster_name: 'sim', namespace: instance.namespace, deployment: instance.workload.name, reason: 'bad tag' } });
    expect(done.structuredContent).toMatchObject({ ok: true, result: { applied: true } });
    const events = await kube.list<{ reason?: string; message?: string }>(`/api/v1/namespaces/${instance.namespace}/events`);
    const ours = events.filter((e) => e.reason === 'EksReflexionRemediation');
    expect(ours.map((e) => e.message).join('\n')).toContain('mcp:sre-agent');
  }, 60_000);
});
