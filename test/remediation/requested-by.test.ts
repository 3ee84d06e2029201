import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeCluster } from '../../functions/adapters/kubernetes/kube-cluster';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import { handleActionPayload } from '../../functions/app/action-api/router';
import { lastActionOf } from '../../functions/app/actions/common';
import type { Deployment, KubeEvent } from '../../functions/domain/k8s';
import { PolicyConfigSchema, type PolicyConfigInput } from '../../functions/domain/policy-config';
import { buildLocalDeps } from '../../functions/local/local-deps';
import type { SimulatedCluster } from '../sim/index';
import { useDynamoDbLocal } from '../support/dynamodb';
import { startShopSimulator, type ShopSimulator } from '../support/shop-simulator';
import { resourcesOf, synth } from '../infra/synth';

/**
 * #10 item 11: every write through the action API names its caller in the
 * Event, the last-action annotation and the action record; anonymous writes
 * are refused in enforce unless the deployment configures a default caller.
 */

const dynamo = useDynamoDbLocal();
let shop: ShopSimulator | undefined;
let sim: SimulatedCluster;
let cluster: KubeCluster;
const IMAGE = 'registry.sim.local/shop/web:1.0.0';

beforeAll(async () => {
  shop = await startShopSimulator({ seed: 4, dirPrefix: 'requested-by-', image: IMAGE, deployments: ['web', 'api', 'cart', 'dry'], replicas: 1, container: 'web' });
  ({ sim, cluster } = shop);
});

afterAll(() => shop?.stop());

const depsFor = (policy: PolicyConfigInput) =>
  buildLocalDeps({
    clusters: { sim: cluster },
    memory: createDynamoMemory({ client: dynamo.doc, tables: dynamo.tables, namespace: dynamo.namespace('by'), clock: sim.clock }),
    policy: PolicyConfigSchema.parse({ cooldownSeconds: 0, ...policy }),
    clock: sim.clock,
  });

const scale = (deployment: string, extra: object = {}) => ({ action: 'scale_deployment', cluster_name: 'sim', namespace: 'shop', deployment, replicas: 2, ...extra });

async function recorded(deployment: string) {
  const d = await sim.client.get<Deployment>(`/apis/apps/v1/namespaces/shop/deployments/${deployment}`);
  const events = await sim.client.get<{ items: KubeEvent[] }>('/api/v1/namespaces/shop/events');
  const ours = events.items.filter((e) => e.reason === 'EksReflexionRemediation' && e.involvedObject?.name === deployment);
  return { marker: lastActionOf(d.metadata?.annotations), events: ours.map((e) => e.message ?? '') };
}

describe('requested_by on action API writes', () => {
  it('the caller named in the payload is in the Event, the annotation and the result', async () => {
    const answer = await handleActionPayload(depsFor({ mode: 'enforce' }), scale('web', { requested_by: 'agent:oncall-bot' }));
    expect(answer).toMatchObject({ ok: true, result: { applied: true, details: { requestedBy: 'agent:oncall-bot' } } });
    const { marker, events } = await recorded('web');
    expect(marker?.by).toBe('agent:oncall-bot');
    expect(events.some((m) => m.includes('requested by agent:oncall-bot'))).toBe(true);
  });

  it("a payload without requested_by is attributed to the deployment's default caller", async () => {
    // Why: tools that predate the field keep working, attributed.
    const answer = await handleActionPayload(depsFor({ mode: 'enforce', defaultRequestedBy: 'legacy-runbook-tool' }), scale('api'));
    expect(answer).toMatchObject({ ok: true, result: { applied: true, details: { requestedBy: 'legacy-runbook-tool' } } });
    expect((await recorded('api')).marker?.by).toBe('legacy-runbook-tool');
  });

  it('an anonymous enforce write with no default caller is refused and writes nothing', async () => {
    const before = (await sim.client.get<Deployment>('/apis/apps/v1/namespaces/shop/deployments/cart')).metadata?.resourceVersion;
    const answer = await handleActionPayload(depsFor({ mode: 'enforce' }), scale('cart'));
    expect(answer).toMatchObject({ ok: false, error: { code: 'POLICY_VIOLATION' } });
    expect(JSON.stringify(answer)).toContain('anonymous-write');
    expect((await sim.client.get<Deployment>('/apis/apps/v1/namespaces/shop/deployments/cart')).metadata?.resourceVersion).toBe(before);
  });

  it('an anonymous dry run is allowed and recorded as anonymous', async () => {
    const answer = await handleActionPayload(depsFor({ mode: 'dry-run' }), scale('dry'));
    expect(answer).toMatchObject({ ok: true, dry_run: true, result: { applied: false, details: { requestedBy: 'anonymous' } } });
  });
});

describe('the actions function has one invoker', () => {
  it('only the ActionsInvoker role is granted lambda:InvokeFunction on it, and the stack outputs its ARN', () => {
    const { template } = synth({ clusterNames: ['prod'] });
    const fnIds = Object.entries(resourcesOf(template, 'AWS::Lambda::Function'))
      .filter(([, r]) => JSON.stringify(r.Metadata ?? {}).includes('"actions"'))
      .map(([id]) => id);
    expect(fnIds).toHaveLength(1);
    const grants = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).filter((p) => {
      const doc = JSON.stringify(p.Properties['PolicyDocument']);
      return doc.includes('lambda:InvokeFunction') && doc.includes(fnIds[0]!);
    });
    expect(grants).toHaveLength(1);
    const roles = JSON.stringify(grants[0]!.Properties['Roles']);
    expect(roles).toMatch(/ActionsInvokerRole/);
    // No resource-based permission opens it to anyone else (a service, another account).
    const permissions = Object.values(resourcesOf(template, 'AWS::Lambda::Permission')).filter((p) => JSON.stringify(p.Properties['FunctionName']).includes(fnIds[0]!));
    expect(permissions).toEqual([]);
    expect(Object.keys(template.findOutputs('ActionsInvokerRoleArn'))).toEqual(['ActionsInvokerRoleArn']);
  });
});
