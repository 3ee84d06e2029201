import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanForIncidents } from '../../functions/app/incident-executions';
import type { Incident } from '../../functions/domain/incident';
import { k8sgptFindings, withK8sgptEvidence, type K8sgptResult } from '../../functions/domain/k8sgpt';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../functions/local/dynamodb-local';
import { FAULTS } from '../sim/faults';
import { startLocalStack, type LocalStack } from '../harness/local-stack';

const result = (kind: string, name: string, errors: string[], parentObject?: string): K8sgptResult => ({
  apiVersion: 'core.k8sgpt.ai/v1alpha1',
  kind: 'Result',
  metadata: { name: `r-${name.replace(/[^a-z0-9]/g, '')}`, namespace: 'k8sgpt-operator-system' },
  spec: { kind, name, error: errors.map((text) => ({ text })), details: '', backend: 'openai', ...(parentObject ? { parentObject } : {}) },
});

describe('K8sGPT results as evidence (pure)', () => {
  const incident = { namespace: 'shop', target: { kind: 'Deployment', name: 'web' }, pods: ['web-abc-1'], evidence: { containers: [], events: [], logs: [], rolloutHistory: [], notes: ['detector note'] } } as unknown as Incident;
  it.each([
    // A finding on one of the incident's pods.
    { r: result('Pod', 'shop/web-abc-1', ['Back-off pulling image']), notes: 2 },
    // A finding on the workload itself.
    { r: result('Deployment', 'shop/web', ['Deployment has 0 available replicas']), notes: 2 },
    // Same name in another namespace: not this incident.
    { r: result('Pod', 'other/web-abc-1', ['x']), notes: 1 },
    // Malformed (no spec.name): dropped.
    { r: { apiVersion: 'core.k8sgpt.ai/v1alpha1', kind: 'Result', spec: { kind: 'Pod' } } as K8sgptResult, notes: 1 },
  ])('$r.spec.kind $r.spec.name → $notes notes', ({ r, notes }) => {
    const [out] = withK8sgptEvidence([incident], k8sgptFindings([r]));
    expect(out!.evidence.notes).toHaveLength(notes);
    if (notes === 2) expect(out!.evidence.notes[1]).toMatch(/^K8sGPT /);
  });

  it('bounds untrusted text: at most five errors of 300 characters each', () => {
    const [f] = k8sgptFindings([result('Pod', 'shop/p', Array.from({ length: 9 }, () => 'e'.repeat(1000)))]);
    expect(f!.errors).toHaveLength(5);
    expect(f!.errors.every((e) => e.length === 300)).toBe(true);
  });
});

/** The simulator serves results.core.k8sgpt.ai; the real adapter reads them in the snapshot. */
describe('K8sGPT results on the simulator', () => {
  let dynamo: DynamoDbLocal;
  let stack: LocalStack;
  const instance = FAULTS['bad-image-tag']!.instantiate(41);
  beforeAll(async () => {
    dynamo = await startDynamoDbLocal();
    stack = await startLocalStack({ dynamoEndpoint: dynamo.endpoint, seed: 41 });
    await instance.setup(stack.kube);
    await stack.sim.advance(90);
    await instance.inject(stack.kube);
    await stack.sim.advance(90);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await dynamo?.stop();
  });

  it('a Result about the failing Deployment becomes evidence of the incident the detectors found; a Result about a healthy object makes no incident', async () => {
    // Results live in the operator's namespace and name their object in spec.name.
    await stack.kube.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'k8sgpt-operator-system' } });
    const base = '/apis/core.k8sgpt.ai/v1alpha1/namespaces/k8sgpt-operator-system/results';
    await stack.kube.create(base, result('Deployment', `${instance.namespace}/${instance.workload.name}`, ['Deployment has 1 replicas but 0 are available']));
    await stack.kube.create(base, result('Service', `${instance.namespace}/nothing-wrong`, ['Service has no endpoints']));
    const { incidents } = await scanForIncidents(stack.deps, stack.cluster, { source: 'schedule' });
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.target.name).toBe(instance.workload.name);
    expect(incidents[0]!.evidence.notes.filter((n) => n.startsWith('K8sGPT'))).toEqual([
      `K8sGPT Deployment ${instance.namespace}/${instance.workload.name}: Deployment has 1 replicas but 0 are available`,
    ]);
  });
});
