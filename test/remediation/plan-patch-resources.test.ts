import { describe, expect, it } from 'vitest';
import { planPatchResources } from '../../functions/app/actions/patch-resources';
import type { Deployment } from '../../functions/domain/k8s';

const deployment = (memoryLimit: string): Deployment => ({
  metadata: { name: 'web', namespace: 'shop', resourceVersion: '7' },
  spec: { template: { spec: { containers: [{ name: 'app', image: 'web:1', resources: { limits: { memory: memoryLimit } } }] } } },
});

describe('planPatchResources', () => {
  it.each([
    // Why: equal quantities in another spelling are no change (idempotency).
    { why: 'same value, other unit', current: '512Mi', to: '0.5Gi', done: true },
    { why: 'a real change', current: '512Mi', to: '1Gi', done: false },
    // Why: a value in the cluster we cannot read as a quantity must not fail the plan (the policy allows it); it is simply replaced.
    { why: 'an unreadable current value', current: 'lots', to: '1Gi', done: false },
  ])('$why', ({ current, to, done }) => {
    const plan = planPatchResources(deployment(current), { action: 'patch_resources', namespace: 'shop', deployment: 'web', container: 'app', limits: { memory: to } });
    expect(plan.done).toBe(done);
  });
});
