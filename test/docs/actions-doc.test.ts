import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import { KubeCluster } from '../../functions/adapters/kubernetes/kube-cluster';
import { API_ACTIONS, ERROR_CODES } from '../../functions/app/action-api-schema';
import { handleActionPayload } from '../../functions/app/action-api/router';
import { PolicyConfigSchema } from '../../functions/domain/policy-config';
import { buildLocalDeps } from '../../functions/local/local-deps';

import type { Memory } from '../../functions/ports/memory';
import { createDeployment, deploymentManifest, ensureNamespace, webContainer, webImage } from '../sim/faults/kit';
import { startSimulatedCluster, type SimulatedCluster } from '../sim/index';
import { useDynamoDbLocal } from '../support/dynamodb';

/**
 * docs/actions.md against the API: every action and every error code the
 * page names is walked here and the API must answer as the page says, so the
 * two cannot drift apart again (#12 item 6).
 */
const DOC = readFileSync(join(process.cwd(), 'docs/actions.md'), 'utf8');
/** The error-code table: rows like | `NOT_FOUND` | when |. */
const DOC_CODES = [...DOC.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]!);
/** Names in the catalogue table (| `restart_pod` | ...) and in every JSON example ("action": "..."). */
const CATALOGUE = [...DOC.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]!);
const EXAMPLES = [...DOC.matchAll(/"action":\s*"([a-z_]+)"/g)].map((m) => m[1]!);
/** Catalogue entries the page marks as the state machine's only (not API names): `escalate`. */
const STATE_MACHINE_ONLY = [...DOC.matchAll(/^\| `([a-z_]+)` \|[^\n]*state machine only/gm)].map((m) => m[1]!);

const dynamo = useDynamoDbLocal();
let sim: SimulatedCluster;
let dir: string;
let cluster: KubeCluster;
let gone: KubeCluster;
let memory: Memory;
const IMAGE = 'registry.sim.local/shop/web:1.0.0';
const policy = PolicyConfigSchema.parse({ mode: 'dry-run', cooldownSeconds: 0, maxActionsPerHour: 100 });

beforeAll(async () => {
  sim = await startSimulatedCluster({ seed: 12 });
  dir = await mkdtemp(join(tmpdir(), 'actions-doc-'));
  await sim.writeKubeconfig(join(dir, 'kubeconfig'));
  cluster = KubeCluster.fromKubeconfigFile(join(dir, 'kubeconfig'), { clusterName: 'sim', clock: sim.clock });
  // Nothing listens on port 1: every call is refused.
  await writeFile(
    join(dir, 'gone'),
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'gone', cluster: { server: 'https://127.0.0.1:1', 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'gone', context: { cluster: 'gone', user: 'u' } }],
      'current-context': 'gone',
    }),
  );
  gone = KubeCluster.fromKubeconfigFile(join(dir, 'gone'), { clusterName: 'gone' });
  memory = createDynamoMemory({ client: dynamo.doc, tables: dynamo.tables, namespace: dynamo.namespace('docs'), clock: sim.clock });
  sim.registry.add(webImage(IMAGE));
  await ensureNamespace(sim.client, 'shop');
  await createDeployment(sim.client, deploymentManifest({ namespace: 'shop', name: 'web', replicas: 1, container: webContainer('web', IMAGE) }));
  await sim.advance(20, 1);
});

afterAll(async () => {
  await sim?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function deps(mode: 'dry-run' | 'enforce' = 'dry-run') {
  // A cluster whose reads throw a plain programming error: what INTERNAL is for.
  const broken = new Proxy(cluster, {
    get: (target, prop, receiver) => (prop === 'listPods' ? () => Promise.reject(new TypeError('boom')) : Reflect.get(target, prop, receiver)),
  });
  return buildLocalDeps({ clusters: { sim: cluster, gone, broken }, memory, policy: { ...policy, mode }, clock: sim.clock });
}

describe('docs/actions.md names exactly what the API serves', () => {
  it('the page was read (guards the patterns below)', () => {
    expect(DOC_CODES.length).toBeGreaterThan(5);
    expect(CATALOGUE).toContain('restart_pod');
    expect(EXAMPLES).toContain('pod_status');
  });

  it('every action the page names is an API action, or is marked "state machine only"', async () => {
    const named = [...new Set([...CATALOGUE, ...EXAMPLES])].filter((a) => !STATE_MACHINE_ONLY.includes(a));
    expect(named.filter((a) => !(API_ACTIONS as readonly string[]).includes(a))).toEqual([]);
    for (const action of named) {
      const answer = await handleActionPayload(deps(), { action });
      // Missing fields make it INVALID_PAYLOAD; what it must never be is UNKNOWN_ACTION.
      expect(answer.ok ? 'ok' : answer.error.code, action).not.toBe('UNKNOWN_ACTION');
    }
    for (const action of STATE_MACHINE_ONLY) {
      const answer = await handleActionPayload(deps(), { action });
      expect(answer.ok ? 'ok' : answer.error.code, action).toBe('UNKNOWN_ACTION');
    }
  });

  it('every API action is documented', () => {
    expect(API_ACTIONS.filter((a) => !DOC.includes(`\`${a}\``) && !EXAMPLES.includes(a))).toEqual([]);
  });

  it('the error-code table is the API error codes', () => {
    expect([...DOC_CODES].sort()).toEqual([...ERROR_CODES].sort());
  });
});

describe('each documented error code, for the reason the page gives', () => {
  const lockKey = 'sim/shop/Deployment/web';
  const cases: { code: string; why: string; payload: Record<string, unknown>; enforce?: boolean; before?: () => Promise<void>; after?: () => Promise<void> }[] = [
    { code: 'INVALID_PAYLOAD', why: 'schema violation (replicas above the bound)', payload: { action: 'scale_deployment', cluster_name: 'sim', namespace: 'shop', deployment: 'web', replicas: 999 } },
    { code: 'INVALID_PAYLOAD', why: 'unknown field', payload: { action: 'pod_status', cluster_name: 'sim', namespace: 'shop', x: 1 } },
    { code: 'UNKNOWN_ACTION', why: 'not one of the names', payload: { action: 'frobnicate' } },
    { code: 'UNKNOWN_CLUSTER', why: 'cluster_name not configured', payload: { action: 'pod_status', cluster_name: 'nope', namespace: 'shop' } },
    { code: 'POLICY_VIOLATION', why: 'a policy rule refused the write (protected namespace)', payload: { action: 'rollout_restart', cluster_name: 'sim', namespace: 'kube-system', deployment: 'coredns' } },
    { code: 'NOT_FOUND', why: 'the object does not exist', payload: { action: 'rollout_restart', cluster_name: 'sim', namespace: 'shop', deployment: 'nope' } },
    { code: 'NOT_FOUND', why: 'the container does not exist', payload: { action: 'patch_resources', cluster_name: 'sim', namespace: 'shop', deployment: 'web', container: 'nope', limits: { memory: '128Mi' } } },
    { code: 'NOT_FOUND', why: 'the namespace does not exist (not "ok, 0 pods")', payload: { action: 'pod_status', cluster_name: 'sim', namespace: 'no-such-ns' } },
    { code: 'NOT_FOUND', why: 'no current incident for start_remediation', payload: { action: 'execute_strategy', cluster_name: 'sim', namespace: 'shop', target_kind: 'Deployment', target_name: 'web', strategy_id: 'x' } },
    {
      code: 'CONFLICT',
      why: 'a remediation of the same workload holds its lock (writes, not dry runs, take it)',
      payload: { action: 'rollout_restart', cluster_name: 'sim', namespace: 'shop', deployment: 'web', requested_by: 'docs-test' },
      enforce: true,
      before: async () => void (await memory.locks.acquire(lockKey, 'running-execution', 600, sim.clock.now())),
      after: () => memory.locks.release(lockKey, 'running-execution'),
    },
    { code: 'UNAVAILABLE', why: 'the cluster is unreachable', payload: { action: 'pod_status', cluster_name: 'gone', namespace: 'shop' } },
    { code: 'UNAVAILABLE', why: 'not configured: start_remediation without a workflow (eks-reflexion invoke)', payload: { action: 'start_remediation', cluster_name: 'sim', namespace: 'shop', target_name: 'web' } },
    { code: 'INTERNAL', why: 'anything else', payload: { action: 'pod_status', cluster_name: 'broken', namespace: 'shop' } },
  ];

  it('has a case for every documented code', () => {
    expect([...new Set(cases.map((c) => c.code))].sort()).toEqual([...DOC_CODES].sort());
  });

  it.each(cases)('$code: $why', async ({ code, payload, enforce, before, after }) => {
    await before?.();
    try {
      const answer = await handleActionPayload(deps(enforce ? 'enforce' : 'dry-run'), payload);
      expect(answer.ok ? 'ok' : answer.error.code, JSON.stringify(answer)).toBe(code);
    } finally {
      await after?.();
    }
  }, 60_000);
});
