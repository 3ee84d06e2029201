import { describe, expect, it } from 'vitest';
import { planRollbackDeployment } from '../../functions/app/actions/rollback-deployment';
import { LAST_ACTION_ANNOTATION } from '../../functions/app/actions/common';
import type { Deployment, ReplicaSet } from '../../functions/domain/k8s';

/**
 * #10 item 9 (annotation half): after `rollback_deployment` rolled billing
 * back from revision 2 (bad tag) to a copy of 1 (now revision 3), the default
 * target must not be revision 2 again, even when no pod of it is left to show
 * it failing.
 */

const template = (image: string) => ({ metadata: { labels: { app: 'billing' } }, spec: { containers: [{ name: 'billing', image }] } });
const rs = (name: string, revision: number, image: string): ReplicaSet => ({
  metadata: {
    name,
    namespace: 'shop',
    uid: `uid-${name}`,
    annotations: { 'deployment.kubernetes.io/revision': String(revision) },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'billing', uid: 'uid-billing', controller: true }],
  },
  spec: { replicas: revision === 3 ? 1 : 0, selector: { matchLabels: { app: 'billing' } }, template: template(image) },
  status: { replicas: revision === 3 ? 1 : 0 },
});

function deployment(marker?: object): Deployment {
  return {
    metadata: {
      name: 'billing',
      namespace: 'shop',
      uid: 'uid-billing',
      annotations: { 'deployment.kubernetes.io/revision': '3', ...(marker ? { [LAST_ACTION_ANNOTATION]: JSON.stringify(marker) } : {}) },
    },
    spec: { replicas: 1, selector: { matchLabels: { app: 'billing' } }, template: template('billing:1.0') },
  };
}

const replicaSets = [rs('billing-good', 3, 'billing:1.0'), rs('billing-bad', 2, 'billing:1.1-typo')];
const request = { action: 'rollback_deployment' as const, namespace: 'shop', deployment: 'billing' };

describe('default rollback target', () => {
  it('never the revision our last rollback rolled back from', () => {
    const marker = { action: 'rollback_deployment', actionId: 'exec-1#1', at: '2026-01-01T00:00:00Z', pre: { kind: 'Deployment', namespace: 'shop', name: 'billing', revision: 2 } };
    expect(() => planRollbackDeployment(deployment(marker), request, { replicaSets, pods: [] })).toThrow(/no earlier revision that is not known to be failing/);
  });

  it('without that marker the same history still offers revision 2 (nothing says it failed)', () => {
    // Why: the case above must fail because of the marker, not because the fixture has no candidate.
    expect(planRollbackDeployment(deployment(), request, { replicaSets, pods: [] }).details).toMatchObject({ toRevision: 2 });
  });
});
