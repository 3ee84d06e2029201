import { describe, expect, it } from 'vitest';
import type { Pod } from '../../functions/domain/k8s';
import { probeSubReason } from '../../functions/domain/detectors/probe-failure';
import { detect, loadItems, named, snapshotOf } from './support';

describe('ProbeFailure detector', () => {
  const { incidents, skipped } = detect(snapshotOf(loadItems('probe-failures.json')));
  const byName = (name: string) => incidents.find((i) => i.target.name === name);

  it('reports a readiness probe keeping Running pods out of service, one incident for both pods', () => {
    expect(skipped).toEqual([]);
    expect(byName('cart')).toMatchObject({
      kind: 'ProbeFailure',
      subReason: 'readiness-server-error',
      pods: ['cart-4d5e6f7a8b-n1m2b', 'cart-4d5e6f7a8b-r5t6y'],
    });
    expect(byName('cart')?.message).toContain('statuscode: 503');
    expect(byName('cart')?.evidence.notes[0]).toContain('"path":"/ready"');
  });

  it('reports a liveness probe that keeps killing the container', () => {
    // Restarts caused by the probe (Unhealthy + Killing events): the probe, not the process, is the lead.
    expect(byName('profile')).toMatchObject({ kind: 'ProbeFailure', subReason: 'liveness-timeout', pods: ['profile-9c8b7a6d5e-f4g7h'] });
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

  // The kubelet's own wording (pkg/probe/http, pkg/probe/tcp, prober): the cause decides whether timings can help.
  it.each([
    { why: 'a path the app does not serve never passes: rollback, not timings', probe: 'readiness', message: 'Readiness probe failed: HTTP probe failed with statuscode: 404', expected: 'readiness-http-error' },
    { why: 'an endpoint slower than the timeout passes with a longer one', probe: 'readiness', message: 'Readiness probe failed: Get "http://10.0.1.7:8080/ready": context deadline exceeded (Client.Timeout exceeded while awaiting headers)', expected: 'readiness-timeout' },
    { why: 'a timed-out GET also names dial tcp on some versions: the timeout wins', probe: 'liveness', message: 'Liveness probe failed: Get "http://10.0.1.7:8080/healthz": dial tcp 10.0.1.7:8080: i/o timeout', expected: 'liveness-timeout' },
    { why: 'nothing listening on the port (HTTP probe)', probe: 'readiness', message: 'Readiness probe failed: Get "http://10.0.2.13:8080/ready": dial tcp 10.0.2.13:8080: connect: connection refused', expected: 'readiness-refused' },
    { why: 'nothing listening on the port (TCP probe)', probe: 'liveness', message: 'Liveness probe failed: dial tcp 10.0.2.13:5432: connect: connection refused', expected: 'liveness-refused' },
    { why: 'the app answers that it is not healthy', probe: 'liveness', message: 'Liveness probe failed: HTTP probe failed with statuscode: 503', expected: 'liveness-server-error' },
    { why: 'an exec probe says nothing about the cause: the bare probe name', probe: 'startup', message: 'Startup probe failed: command ["cat","/tmp/ready"] exited with 1', expected: 'startup' },
    { why: 'no Unhealthy event at all: the bare probe name, still deterministic', probe: 'readiness', message: undefined, expected: 'readiness' },
  ] as const)('probeSubReason: $why', ({ probe, message, expected }) => {
    expect(probeSubReason(probe, message)).toBe(expected);
  });

  it.each([
    { message: 'Readiness probe failed: HTTP probe failed with statuscode: 404', expected: 'readiness-http-error' },
    { message: 'Readiness probe failed: Get "http://10.0.1.7:8080/ready": dial tcp 10.0.1.7:8080: connect: connection refused', expected: 'readiness-refused' },
  ])('the detector carries the refined sub-reason into the incident and its signature: $expected', ({ message, expected }) => {
    // Why: end to end, the pods' latest Unhealthy message decides, and the signature (what memory keys on) follows it.
    const items = loadItems('probe-failures.json');
    for (const item of items) {
      const e = item as { kind?: string; reason?: string; involvedObject?: { name?: string }; message?: string };
      if (e.kind === 'Event' && e.reason === 'Unhealthy' && e.involvedObject?.name?.startsWith('cart-')) e.message = message;
    }
    const cart = detect(snapshotOf(items)).incidents.find((i) => i.target.name === 'cart');
    expect(cart).toMatchObject({ subReason: expected, signature: `ProbeFailure:${expected}` });
  });
});
