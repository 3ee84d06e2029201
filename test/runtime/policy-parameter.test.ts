import { SSMClient } from '@aws-sdk/client-ssm';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parameterPolicySource, parsePolicyParameter } from '../../functions/adapters/aws/policy-parameter';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import { handleActionPayload } from '../../functions/app/action-api/router';
import type { AppDeps } from '../../functions/app/deps';
import { PolicyConfigSchema } from '../../functions/domain/policy-config';
import { buildLocalDeps } from '../../functions/local/local-deps';
import type { SimulatedCluster } from '../sim/index';
import { useDynamoDbLocal } from '../support/dynamodb';
import { startShopSimulator, type ShopSimulator } from '../support/shop-simulator';
import { startSsmServer, type SsmServer } from '../support/ssm-server';

/**
 * #11 item 4: the mode comes from an SSM parameter through Powertools
 * Parameters (real SSMClient against a local server speaking GetParameter),
 * cached for at most 60 s. An operator's switch to `observe` stops the
 * action API's writes once the cache expires. Time is moved with a fake
 * Date (Powertools' cache compares Date.now()), not by sleeping 60 s.
 */
const PARAM = '/eks-reflexion/test/mode';
const dynamo = useDynamoDbLocal();
let ssm: SsmServer;
let shop: ShopSimulator | undefined;
let sim: SimulatedCluster;
let deps: AppDeps;
const NS = 'shop';
const IMAGE = 'registry.sim.local/shop/web:1.0.0';

const ssmProvider = () =>
  new SSMProvider({
    awsSdkV3Client: new SSMClient({ endpoint: ssm.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, requestHandler: new NodeHttpHandler(), maxAttempts: 1 }),
  });

beforeAll(async () => {
  ssm = await startSsmServer();
  // The web Deployment is created but not run ready, as before the fixture.
  shop = await startShopSimulator({ seed: 5, dirPrefix: 'param-', image: IMAGE, ready: false });
  sim = shop.sim;
  const cluster = shop.cluster;
  const memory = createDynamoMemory({ client: dynamo.doc, tables: dynamo.tables, namespace: dynamo.namespace('param'), clock: sim.clock });
  const deployed = PolicyConfigSchema.parse({ mode: 'dry-run', cooldownSeconds: 0, maxActionsPerHour: 50 });
  const local = buildLocalDeps({ clusters: { sim: cluster }, memory, policy: deployed, clock: sim.clock });
  deps = { ...local, currentPolicy: parameterPolicySource({ provider: ssmProvider(), name: PARAM, deployed }) };
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await shop?.stop();
  await ssm?.close();
});

describe('mode from the SSM parameter', () => {
  it("switching the parameter to observe stops the action API's writes within the 60 s cache", async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-12-06T05:00:00Z') });
    const scale = (replicas: number) => handleActionPayload(deps, { action: 'scale_deployment', cluster_name: 'sim', namespace: NS, deployment: 'web', replicas, requested_by: 'policy-parameter-test' });

    ssm.parameters.set(PARAM, 'enforce');
    expect(await scale(3)).toMatchObject({ ok: true, dry_run: false, result: { applied: true } });

    // The operator flips the kill switch.
    ssm.parameters.set(PARAM, 'observe');
    vi.setSystemTime(new Date('2026-12-06T05:00:30Z'));
    // Still inside the cache window: the cached mode holds, and SSM was asked once.
    expect(await scale(4)).toMatchObject({ ok: true, result: { applied: true } });
    expect(ssm.calls).toEqual([PARAM]);

    vi.setSystemTime(new Date('2026-12-06T05:01:01Z'));
    const observed = await scale(5);
    expect(observed).toMatchObject({ ok: true, result: { applied: false } });
    expect(ssm.calls).toHaveLength(2);
    expect((await (await deps.cluster('sim')).getDeployment(NS, 'web')).spec?.replicas).toBe(4);
  });

  it('no parameter (deleted or never created): the deployed policy applies', async () => {
    const deployed = PolicyConfigSchema.parse({ mode: 'dry-run' });
    const source = parameterPolicySource({ provider: ssmProvider(), name: '/eks-reflexion/test/missing', deployed });
    expect((await source()).mode).toBe('dry-run');
  });

  it('a cache time above 60 s is capped at 60 s', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-12-06T06:00:00Z') });
    const name = '/eks-reflexion/test/capped';
    ssm.parameters.set(name, 'enforce');
    const source = parameterPolicySource({ provider: ssmProvider(), name, deployed: PolicyConfigSchema.parse({}), maxAgeSeconds: 3600 });
    expect((await source()).mode).toBe('enforce');
    ssm.parameters.set(name, 'observe');
    vi.setSystemTime(new Date('2026-12-06T06:01:01Z'));
    expect((await source()).mode).toBe('observe');
  });
});

describe('parsePolicyParameter', () => {
  const deployed = PolicyConfigSchema.parse({ mode: 'enforce', optInNamespaces: ['shop'] });
  // Each case is a value an operator could put in the parameter.
  const ok: { why: string; value: string; expected: Record<string, unknown> }[] = [
    { why: 'a bare mode (the kill switch)', value: 'observe', expected: { mode: 'observe', optInNamespaces: ['shop'] } },
    { why: 'a bare mode with a trailing newline from a file', value: 'dry-run\n', expected: { mode: 'dry-run' } },
    { why: 'JSON fields over the deployed policy', value: '{"mode":"dry-run","cooldownSeconds":600}', expected: { mode: 'dry-run', cooldownSeconds: 600, optInNamespaces: ['shop'] } },
  ];
  it.each(ok)('$why', ({ value, expected }) => expect(parsePolicyParameter(PARAM, value, deployed)).toMatchObject(expected));

  const bad: { why: string; value: string; field: string }[] = [
    { why: 'a misspelt mode is not silently the deployed one', value: 'observ', field: 'POLICY_PARAMETER' },
    { why: 'a JSON array', value: '["observe"]', field: 'POLICY_PARAMETER' },
    { why: 'an unknown mode inside JSON', value: '{"mode":"yolo"}', field: 'POLICY_PARAMETER.mode' },
  ];
  it.each(bad)('$why → ValidationError naming $field', ({ value, field }) => {
    expect(() => parsePolicyParameter(PARAM, value, deployed)).toThrow(expect.objectContaining({ name: 'ValidationError', field }));
  });
});
