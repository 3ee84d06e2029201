import { describe, expect, it } from 'vitest';
import type { Pod } from '../../functions/domain/k8s';
import { detect, loadItems, named, snapshotOf } from './support';

describe('ProbeFailure detector', () => {
  const { incidents, skipped } = detect(snapshotOf(loadItems('probe-failures.json')));
  const byName = (name: string) => incidents.find((i) => i.target.name === name);

  it('reports a readiness probe keeping Running pods out of service, one incident for both pods', () => {
    expect(skipped).toEqual([]);
    expect(byName('cart')).toMatchObject({
      kind: 'ProbeFailure',
      subReason: 'readiness',
      pods: ['cart-4d5e6f7a8b-n1m2b', 'cart-4d5e6f7a8b-r5t6y'],
    });
    expect(byName('cart')?.message).toContain('statuscode: 503');
    expect(byName('cart')?.evidence.notes[0]).toContain('"path":"/ready"');
  });

  it('reports a liveness probe that keeps killing the container', () => {
    // Restarts caused by the probe (Unhealthy + Killing events): the probe, not the process, is the lead.
    expect(byName('profile')).toMatchObject({ kind: 'ProbeFailure', subReason: 'liveness', pods: ['profile-9c8b7a6d5e-f4g7h'] });
    expect(byName('profile')?.evidence.events.map((e) => e.reason)).toEqual(['Unhealthy', 'Killing']);
  });

  it('ignores a pod that started 40 seconds ago and is still warming up', () => {
    // Near miss: wishlist is Running, not ready yet, one failed probe during start-up.
    expect(byName('wishlist')).toBeUndefined();
    expect(incidents).toHaveLength(2);
  });

  it('ignores liveness failures from long ago', () => {
    // Near miss: the restarts and Unhealthy events are an hour old; the probe has passed since.
    const items = loadItems('probe-failures.json');
    for (const item of items) {
      const e = item as { kind?: string; involvedObject?: { name?: string }; lastTimestamp?: string };
      if (e.kind === 'Event' && e.involvedObject?.name === 'profile-9c8b7a6d5e-f4g7h') e.lastTimestamp = '2026-11-23T12:58:20Z';
    }
    const names = detect(snapshotOf(items)).incidents.map((i) => i.target.name);
    expect(names).not.toContain('profile');
  });

  it('still reports readiness without an Unhealthy event, and says what it does not know', () => {
    const items = loadItems('probe-failures.json').filter((i) => i.kind !== 'Event');
    const pod = named<Pod>(items, 'Pod', 'cart-4d5e6f7a8b-n1m2b');
    const cart = detect(snapshotOf(items)).incidents.find((i) => i.target.name === 'cart');
    expect(pod.status?.phase).toBe('Running');
    expect(cart?.subReason).toBe('readiness');
    expect(cart?.unknowns[0]).toContain('no recent Unhealthy event');
  });
});
