import { describe, expect, it } from 'vitest';
import { digestOf, fieldChanges, preImageHash, type ChangeSet } from '../../functions/domain/approval';
import { betaQuantile, rateEstimate } from '../../functions/domain/credible-interval';

describe('credible intervals of a Beta posterior', () => {
  // Reference values from the Beta distribution's known closed forms and published quantiles.
  it.each([
    // Beta(1,1) is uniform: quantiles are the probabilities themselves.
    [0.025, 1, 1, 0.025],
    [0.975, 1, 1, 0.975],
    // Beta(2,1) has CDF x²: the 0.25 quantile is 0.5.
    [0.25, 2, 1, 0.5],
    // Beta(1,3) has CDF 1-(1-x)³: the 0.875 quantile is 0.5.
    [0.875, 1, 3, 0.5],
    // Symmetric Beta(10,10): the median is 0.5.
    [0.5, 10, 10, 0.5],
  ])('quantile %f of Beta(%f, %f) is %f', (p, a, b, q) => {
    expect(betaQuantile(p, a, b)).toBeCloseTo(q, 6);
  });

  it('narrows with evidence and never claims certainty from one success', () => {
    const one = rateEstimate(1, 0);
    const many = rateEstimate(90, 10);
    expect(one.high - one.low).toBeGreaterThan(many.high - many.low);
    expect(one.low).toBeLessThan(0.2);
    expect(many.low).toBeGreaterThan(0.8);
    expect(many.high).toBeLessThan(0.96);
  });

  it('refuses negative counts', () => {
    expect(() => rateEstimate(-1, 0)).toThrow(/counts/);
  });
});

describe('approval digests', () => {
  const deployment = {
    metadata: { namespace: 'shop', name: 'web', uid: 'u1', resourceVersion: '10' },
    spec: { replicas: 3, template: { spec: { containers: [{ name: 'app', image: 'web:1.27' }] } } },
    status: { availableReplicas: 0 },
  };
  const ops = [{ op: 'replace', path: '/spec/template', value: { spec: { containers: [{ name: 'app', image: 'web:1.26' }] } } }];
  const changeSet = (object: typeof deployment, o: readonly { op: string; path: string; value?: unknown }[] = ops): ChangeSet => ({
    cluster: 'prod',
    target: { kind: 'Deployment', namespace: 'shop', name: 'web' },
    action: { action: 'rollback_deployment', namespace: 'shop', deployment: 'web' },
    ...fieldChanges(object, o, (p) => p.startsWith('/metadata/')),
    preImageHash: preImageHash('Deployment', object),
    policyReason: 'approval-required',
  });

  it('shows the leaf that changes, with its value before and after', () => {
    expect(changeSet(deployment).change).toEqual([{ path: '/spec/template/spec/containers/0/image', before: 'web:1.27', after: 'web:1.26' }]);
  });

  // Each row: what differs from the approved situation, and whether the digest must change.
  it.each<[string, (d: typeof deployment) => typeof deployment, boolean]>([
    ['nothing', (d) => d, false],
    // Controllers rewrite status and resourceVersion all the time: not a change of what was approved.
    ['status and resourceVersion only', (d) => ({ ...d, metadata: { ...d.metadata, resourceVersion: '11' }, status: { availableReplicas: 2 } }), false],
    ['a spec field the action does not touch', (d) => ({ ...d, spec: { ...d.spec, replicas: 4 } }), true],
    ['deleted and re-created (new uid)', (d) => ({ ...d, metadata: { ...d.metadata, uid: 'u2' } }), true],
  ])('%s → digest changes: %s', (_why, mutate, changes) => {
    const a = digestOf({ actionId: 'exec#1', changeSet: changeSet(deployment) });
    const b = digestOf({ actionId: 'exec#1', changeSet: changeSet(mutate(structuredClone(deployment))) });
    expect(a !== b).toBe(changes);
  });

  it('is bound to the action id (another trial or execution needs its own approval)', () => {
    expect(digestOf({ actionId: 'exec#1', changeSet: changeSet(deployment) })).not.toBe(digestOf({ actionId: 'exec#2', changeSet: changeSet(deployment) }));
  });

  it("binds a rollout restart's timestamp by path, not value (it is planned again at write time)", () => {
    const restart = (at: string) => [{ op: 'add', path: '/spec/template/metadata', value: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } }];
    const a = digestOf({ actionId: 'x#1', changeSet: changeSet(deployment, restart('2026-01-01T00:00:00Z')) });
    const b = digestOf({ actionId: 'x#1', changeSet: changeSet(deployment, restart('2026-01-01T00:05:00Z')) });
    expect(a).toBe(b);
  });
});
