import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeCluster } from '../../functions/adapters/kubernetes/kube-cluster';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import { handleActionPayload } from '../../functions/app/action-api/router';
import type { AppDeps } from '../../functions/app/deps';
import { PolicyConfigSchema } from '../../functions/domain/policy-config';
import { buildLocalDeps } from '../../functions/local/local-deps';
import { inProcessIdempotency } from '../../functions/local/in-process-idempotency';
import { createDeployment, deploymentManifest, scaleDeployment, webContainer } from '../sim/faults/kit';
import type { SimulatedCluster } from '../sim/index';
import { useDynamoDbLocal } from '../support/dynamodb';
import { startShopSimulator, type ShopSimulator } from '../support/shop-simulator';

/**
 * #10 item 5 / #11 item 3: an `idempotency_key` is bound to its request.
 * The action API runs on the simulator with memory (and the Powertools
 * idempotency records) in DynamoDB Local. Before this, the same key with a
 * different request answered `noop: true` (the cluster marker was the key
 * alone) — a false no-op that hid a write the caller asked for.
 */
const dynamo = useDynamoDbLocal();
let sim: SimulatedCluster;
let cluster: KubeCluster;
let shop: ShopSimulator | undefined;
let deps: AppDeps;
let namespace: string;
const NS = 'shop';
const IMAGE = 'registry.sim.local/shop/web:1.0.0';

beforeAll(async () => {
  // web and api, not run ready (as before the fixture).
  shop = await startShopSimulator({ seed: 11, dirPrefix: 'idem-', image: IMAGE, deployments: ['web', 'api'], container: 'web', ready: false });
  ({ sim, cluster } = shop);
  namespace = dynamo.namespace('idem');
  const memory = createDynamoMemory({ client: dynamo.doc, tables: dynamo.tables, namespace, clock: sim.clock });
  const policy = PolicyConfigSchema.parse({ mode: 'enforce', cooldownSeconds: 0, maxActionsPerHour: 50, defaultRequestedBy: 'idempotency-test' });
  deps = buildLocalDeps({ clusters: { sim: cluster }, memory, policy, clock: sim.clock });
});

afterAll(() => shop?.stop());

const call = (payload: Record<string, unknown>) => handleActionPayload(deps, { cluster_name: 'sim', ...payload });
const replicasOf = async (name: string) => (await cluster.getDeployment(NS, name)).spec?.replicas;

describe('idempotency_key through Powertools Idempotency (DynamoDB Local)', () => {
  it('a repeated request is answered from the idempotency store, without touching the cluster', async () => {
    const payload = { action: 'scale_deployment', namespace: NS, deployment: 'web', replicas: 3, idempotency_key: 'scale-web-1' };
    const first = await call(payload);
    expect(first).toMatchObject({ ok: true, result: { applied: true, noop: false } });
    expect(await replicasOf('web')).toBe(3);

    // Someone else scales it meanwhile; a replay must not scale it back.
    await scaleDeployment(sim.client, NS, 'web', 5);
    const versionBefore = (await cluster.getDeployment(NS, 'web')).metadata?.resourceVersion;
    const again = await call({ ...payload });
    // The stored answer, byte for byte: same action record, same timestamp of the write.
    expect(again.ok && again.result).toEqual(first.ok && first.result);
    expect(await replicasOf('web')).toBe(5);
    expect((await cluster.getDeployment(NS, 'web')).metadata?.resourceVersion).toBe(versionBefore);

    // The record is Powertools' own, in the locks table under this namespace's partition.
    const records = await dynamo.doc.send(new QueryCommand({ TableName: dynamo.tables.locks, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': `${namespace}#IDEM` } }));
    expect(records.Items).toHaveLength(1);
    expect(records.Items![0]).toMatchObject({ status: 'COMPLETED', expiresAt: expect.any(Number), validation: expect.any(String) });
  });

  // Each case reuses a key with a request that differs in one way a caller could get wrong.
  const conflicts: { why: string; first: Record<string, unknown>; second: Record<string, unknown> }[] = [
    { why: 'another replica count', first: { action: 'scale_deployment', deployment: 'api', replicas: 3 }, second: { action: 'scale_deployment', deployment: 'api', replicas: 4 } },
    { why: 'another workload', first: { action: 'rollout_restart', deployment: 'api' }, second: { action: 'rollout_restart', deployment: 'web' } },
    { why: 'another action on the same workload', first: { action: 'rollout_restart', deployment: 'api' }, second: { action: 'scale_deployment', deployment: 'api', replicas: 2 } },
  ];
  it.each(conflicts)('the same key with $why is refused with CONFLICT and writes nothing', async ({ first, second }) => {
    const key = `k-${Math.random().toString(36).slice(2, 10)}`;
    expect(await call({ ...first, namespace: NS, idempotency_key: key })).toMatchObject({ ok: true });
    const before = await cluster.getDeployment(NS, String(second['deployment']));
    const answer = await call({ ...second, namespace: NS, idempotency_key: key });
    expect(answer).toMatchObject({ ok: false, error: { code: 'CONFLICT', message: expect.stringContaining('different request') } });
    expect((await cluster.getDeployment(NS, String(second['deployment']))).metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  });

  it('a request that failed leaves no record: its retry with the same key runs', async () => {
    const payload = { action: 'scale_deployment', namespace: NS, deployment: 'ghost', replicas: 2, idempotency_key: 'ghost-1' };
    expect(await call(payload)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    await createDeployment(sim.client, deploymentManifest({ namespace: NS, name: 'ghost', replicas: 1, container: webContainer('web', IMAGE) }));
    expect(await call(payload)).toMatchObject({ ok: true, result: { applied: true } });
  });
});

describe('the in-process store (invoke without DynamoDB) keeps the same contract', () => {
  it('replays, refuses a different request, forgets a failure', async () => {
    const store = inProcessIdempotency();
    let runs = 0;
    const work = async () => ++runs;
    expect(await store.once('a', { x: 1, y: 2 }, work)).toBe(1);
    // Key order does not make a different request.
    expect(await store.once('a', { y: 2, x: 1 }, work)).toBe(1);
    await expect(store.once('a', { x: 2 }, work)).rejects.toMatchObject({ name: 'IdempotencyConflict', reason: 'different-request' });
    await expect(store.once('b', {}, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await store.once('b', {}, work)).toBe(2);
  });
});
