import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeCluster } from '../../functions/adapters/kubernetes/kube-cluster';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import { handleActionPayload } from '../../functions/app/action-api/router';
import { analyseStep } from '../../functions/app/steps/analyse';
import { KubeNotFound } from '../../functions/domain/errors';
import type { KubeEvent, KubeObject, Pod } from '../../functions/domain/k8s';
import { PolicyConfigSchema } from '../../functions/domain/policy-config';
import type { WorkflowState } from '../../functions/domain/workflow-state';
import { buildLocalDeps } from '../../functions/local/local-deps';
import type { Cluster } from '../../functions/ports/cluster';
import type { Memory } from '../../functions/ports/memory';
import { detect, loadItems, ofKind, snapshotOf } from '../detectors/support';
import { incident } from '../reasoner/fixtures';
import { ensureNamespace } from '../sim/faults/kit';
import type { SimulatedCluster } from '../sim/index';
import { useDynamoDbLocal } from '../support/dynamodb';
import { startShopSimulator, type ShopSimulator } from '../support/shop-simulator';

/**
 * #10 item 6: cluster text is redacted when it is captured, before it enters
 * the workflow state (and so the execution history, the episodes and
 * list_episodes), not only when a prompt is built. Reads obey the namespace
 * scope writes obey.
 */

const SECRETS = ['xoxb-2048-1234567890-AbCdEfGhIjKl', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'Tr0ub4dor3', 'AKIAIOSFODNN7EXAMPLE'];
const LEAKY = `connecting with xoxb-2048-1234567890-AbCdEfGhIjKl; key sk_live_4eC39HqLyjWDarjtT1zdp7dc; the admin password is Tr0ub4dor3; AKIAIOSFODNN7EXAMPLE`;

const leaks = (value: unknown) => SECRETS.filter((s) => JSON.stringify(value).includes(s));

describe('detection captures redacted text', () => {
  it('an incident carries no secret from container messages, events or notes', () => {
    const items = loadItems('payments-crashloop.json');
    const pod = ofKind<Pod>(items, 'Pod')[0]!;
    const status = pod.status!.containerStatuses![0]!;
    status.state = { waiting: { reason: 'CrashLoopBackOff', message: LEAKY } };
    for (const event of ofKind<KubeEvent>(items, 'Event')) event.message = LEAKY;
    const { incidents } = detect(snapshotOf(items as KubeObject[]));
    expect(incidents.length).toBeGreaterThan(0);
    expect(leaks(incidents)).toEqual([]);
    expect(JSON.stringify(incidents)).toContain('[REDACTED:');
  });
});

describe('Analyse captures redacted logs', () => {
  it('the log tail in the workflow state carries no secret', async () => {
    // A port fake: readLog, and the reads of Analyse's context (which find nothing here), are all it reaches.
    const gone = async () => {
      throw new KubeNotFound('not found');
    };
    const cluster = { clusterName: 'prod-eks', readLog: async () => `boot\n${LEAKY}\nexit 1`, getNamespace: gone, getDeployment: gone, getPod: gone } as unknown as Cluster;
    const memory = { episodes: { lessonsFor: async () => [] } } as unknown as Memory;
    const deps = buildLocalDeps({ clusters: { 'prod-eks': cluster }, memory, policy: PolicyConfigSchema.parse({}), clock: { now: () => new Date('2026-01-01T00:05:00Z') } });
    const inc = incident({ evidence: { containers: [{ pod: 'web-7d9f8b6c5-abcde', container: 'web', init: false, ready: false, restartCount: 3 }] } });
    const out = (await analyseStep(deps, { executionId: 'e1', incident: inc, mode: 'dry-run', trial: 1, maxTrials: 3, startedAt: '2026-01-01T00:00:00Z' })) as WorkflowState;
    expect(out.incident.evidence.logs).toHaveLength(1);
    expect(leaks(out)).toEqual([]);
  });
});

describe('action API reads', () => {
  const dynamo = useDynamoDbLocal();
  let shop: ShopSimulator | undefined;
  let sim: SimulatedCluster;
  let cluster: KubeCluster;

  beforeAll(async () => {
    shop = await startShopSimulator({ seed: 9, dirPrefix: 'redact-', deployments: [] });
    ({ sim, cluster } = shop);
    await ensureNamespace(sim.client, 'payments');
    const now = sim.clock.now().toISOString();
    await sim.client.create('/api/v1/namespaces/shop/events', {
      metadata: { name: 'leaky.1', namespace: 'shop' },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'shop' },
      reason: 'Failed',
      type: 'Warning',
      message: LEAKY,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
  });
  afterAll(() => shop?.stop());

  const depsFor = (policy: object) => {
    const memory: Memory = createDynamoMemory({ client: dynamo.doc, tables: dynamo.tables, namespace: dynamo.namespace('redact'), clock: sim.clock });
    return buildLocalDeps({ clusters: { sim: cluster }, memory, policy: PolicyConfigSchema.parse(policy), clock: sim.clock });
  };

  it('recent_events answers redacted messages', async () => {
    const answer = await handleActionPayload(depsFor({}), { action: 'recent_events', cluster_name: 'sim', namespace: 'shop' });
    expect(answer).toMatchObject({ ok: true });
    expect(JSON.stringify(answer)).toContain('[REDACTED:');
    expect(leaks(answer)).toEqual([]);
  });

  // Each read used to answer for any namespace: a caller could read kube-system events and pods through the API.
  it.each<[why: string, payload: Record<string, unknown>, policy: object, rule: string]>([
    ['events of kube-system', { action: 'recent_events', namespace: 'kube-system' }, {}, 'protected-namespace'],
    ['pods of a configured protected namespace', { action: 'pod_status', namespace: 'payments' }, { protectedNamespaces: ['payments'] }, 'protected-namespace'],
    ['a pod outside the opt-in list', { action: 'analyze_pod', namespace: 'payments', pod: 'x' }, { optInNamespaces: ['shop'] }, 'opt-in-namespace'],
    ['detection in a protected namespace', { action: 'detect_failures', namespace: 'kube-system' }, {}, 'protected-namespace'],
    ['metrics of a namespace outside the opt-in list', { action: 'cluster_metrics', namespace: 'payments' }, { optInNamespaces: ['shop'] }, 'opt-in-namespace'],
  ])('refuses %s like a write', async (_why, payload, policy, rule) => {
    const answer = await handleActionPayload(depsFor(policy), { cluster_name: 'sim', ...payload });
    expect(answer).toMatchObject({ ok: false, error: { code: 'POLICY_VIOLATION' } });
    expect(JSON.stringify(answer)).toContain(rule);
  });
});
