import { describe, expect, it } from 'vitest';
import { classifyConfigError } from '../../functions/domain/detectors/create-container-config';
import { detect, loadItems, snapshotOf } from './support';

describe('CreateContainerConfigError detector', () => {
  it('names the missing Secret, one incident for both pods', () => {
    const { incidents, skipped } = detect(snapshotOf(loadItems('orders-config-error.json')));

    expect(skipped).toEqual([]);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      kind: 'CreateContainerConfigError',
      subReason: 'missing-secret',
      target: { kind: 'Deployment', namespace: 'shop', name: 'orders' },
      pods: ['orders-59c8b7a6d4-c6d2f', 'orders-59c8b7a6d4-q8s1l'],
    });
    expect(incidents[0]?.evidence.notes).toContain('missing: orders-db');
    expect(incidents[0]?.unknowns.join('\n')).toContain('secrets operator');
  });

  it('ignores a workload that recovered, even though its old Failed events are still listed', () => {
    // Near miss: inventory's ConfigMap was created two hours ago; the events linger, the pod is ready.
    const incidents = detect(snapshotOf(loadItems('orders-config-error.json'))).incidents;
    expect(incidents.map((i) => i.target.name)).not.toContain('inventory');
  });
});

describe('classifyConfigError', () => {
  // The kubelet's exact wording for each kind of missing reference.
  const cases: { message: string; want: { subReason: string; missing?: string } }[] = [
    { message: 'configmap "checkout-config" not found', want: { subReason: 'missing-configmap', missing: 'checkout-config' } },
    { message: 'secret "db-credentials" not found', want: { subReason: 'missing-secret', missing: 'db-credentials' } },
    {
      message: "couldn't find key DB_PASSWORD in Secret shop/db-credentials",
      want: { subReason: 'missing-key', missing: 'key DB_PASSWORD in Secret shop/db-credentials' },
    },
    { message: "couldn't find key log-level in ConfigMap shop/orders-config", want: { subReason: 'missing-key', missing: 'key log-level in ConfigMap shop/orders-config' } },
    // Not a missing reference: honest unknown, not a guess.
    { message: 'container has runAsNonRoot and image will run as root (pod: "x", container: api)', want: { subReason: 'unknown' } },
  ];
  it.each(cases)('$message', ({ message, want }) => {
    expect(classifyConfigError(message)).toEqual(want);
  });
});
