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
  // `fact` is the same reading typed, for playbooks: which object (and key), without the namespace the kubelet prefixes.
  const cases: { message: string; want: ReturnType<typeof classifyConfigError> }[] = [
    {
      message: 'configmap "checkout-config" not found',
      want: { subReason: 'missing-configmap', missing: 'checkout-config', fact: { missing: 'configmap', object: { kind: 'ConfigMap', name: 'checkout-config' } } },
    },
    {
      message: 'secret "db-credentials" not found',
      want: { subReason: 'missing-secret', missing: 'db-credentials', fact: { missing: 'secret', object: { kind: 'Secret', name: 'db-credentials' } } },
    },
    {
      message: "couldn't find key DB_PASSWORD in Secret shop/db-credentials",
      want: {
        subReason: 'missing-key',
        missing: 'key DB_PASSWORD in Secret shop/db-credentials',
        fact: { missing: 'key', object: { kind: 'Secret', name: 'db-credentials' }, key: 'DB_PASSWORD' },
      },
    },
    {
      message: "couldn't find key log-level in ConfigMap shop/orders-config",
      want: {
        subReason: 'missing-key',
        missing: 'key log-level in ConfigMap shop/orders-config',
        fact: { missing: 'key', object: { kind: 'ConfigMap', name: 'orders-config' }, key: 'log-level' },
      },
    },
    // Not a missing reference: honest unknown, not a guess.
    { message: 'container has runAsNonRoot and image will run as root (pod: "x", container: api)', want: { subReason: 'unknown', fact: { missing: 'unknown' } } },
  ];
  it.each(cases)('$message', ({ message, want }) => {
    expect(classifyConfigError(message)).toEqual(want);
  });
});
