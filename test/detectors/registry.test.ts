import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DETECTORS, PRECEDENCE } from '../../functions/domain/detectors/index';
import { FAILURE_KINDS, IncidentSchema } from '../../functions/domain/incident';
import type { ClusterSnapshot, Deployment, KubeObject, Pod } from '../../functions/domain/k8s';
import { detect, loadItems, moveToNamespace, named, ofKind, replicaOf, snapshotOf } from './support';

const ALL_FIXTURES = [
  'checkout-bad-rollout.json',
  'payments-crashloop.json',
  'recovered-workloads.json',
  'reports-oomkilled.json',
  'orders-config-error.json',
  'batch-unschedulable.json',
  'edge-rollouts.json',
  'probe-failures.json',
  'evictions.json',
  'hpa-at-max.json',
  'scaled-to-zero.json',
  'failed-pods.json',
  'ledger-init-crashloop.json',
  'namespaces.json',
  'nodes.json',
];

describe('registry', () => {
  it('has at least one detector per failure kind, and each kind once in the precedence', () => {
    // Adding a kind means one detector and one registry entry; a missing one would silently never fire.
    expect([...PRECEDENCE].sort()).toEqual([...FAILURE_KINDS].sort());
    expect(new Set(PRECEDENCE).size).toBe(PRECEDENCE.length);
    // A kind's detectors sit together, so the precedence of a kind does not depend on which of them fired.
    const kinds = DETECTORS.map((d) => d.kind);
    for (const kind of new Set(kinds)) {
      const at = kinds.flatMap((k, i) => (k === kind ? [i] : []));
      expect(at.at(-1)! - at[0]!, kind).toBe(at.length - 1);
    }
  });

  it('finds every kind across the fixtures, one incident per failing workload, nothing for healthy ones', () => {
    const { incidents, skipped } = detect(snapshotOf(ALL_FIXTURES.flatMap(loadItems)));

    expect(skipped).toEqual([]);
    expect(new Set(incidents.map((i) => i.kind))).toEqual(new Set(FAILURE_KINDS));
    const workloads = incidents.map((i) => `${i.namespace}/${i.target.kind}/${i.target.name}`);
    expect(new Set(workloads).size).toBe(workloads.length);
    for (const healthy of ['search', 'indexer', 'inventory', 'catalog', 'wishlist', 'thumbnailer', 'web', 'nightly-report', 'previews']) {
      expect(incidents.map((i) => i.target.name)).not.toContain(healthy);
    }
  });
});

describe('precedence', () => {
  it('puts causes before symptoms', () => {
    // Documented order: the root cause is what a remediation should act on.
    const before = (a: string, b: string) => PRECEDENCE.indexOf(a as never) < PRECEDENCE.indexOf(b as never);
    expect(before('ImagePullBackOff', 'FailedRollout')).toBe(true);
    expect(before('CreateContainerConfigError', 'FailedRollout')).toBe(true);
    expect(before('OOMKilled', 'CrashLoopBackOff')).toBe(true);
    expect(before('ProbeFailure', 'CrashLoopBackOff')).toBe(true);
    expect(before('CrashLoopBackOff', 'FailedRollout')).toBe(true);
  });

  it('reports the crash loop, not the rollout deadline it causes, and keeps the other as a note', () => {
    const { incidents } = detect(snapshotOf(loadItems('payments-crashloop.json')));
    expect(incidents.map((i) => i.kind)).toEqual(['CrashLoopBackOff']);
    expect(incidents[0]?.evidence.notes.some((n) => n.startsWith('also observed: FailedRollout'))).toBe(true);
  });

  it('reports the image pull, not the failed rollout, once the deadline passes', () => {
    const items = loadItems('checkout-bad-rollout.json');
    const d = named<Deployment>(items, 'Deployment', 'checkout');
    d.status!.conditions = d.status!.conditions!.map((c) =>
      c.type === 'Progressing' ? { ...c, status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "checkout-6b7f9d5c8" has timed out progressing.' } : c,
    );
    const { incidents } = detect(snapshotOf(items));
    expect(incidents.map((i) => i.signature)).toEqual(['ImagePullBackOff:tag-not-found']);
  });
});

describe('policy skips', () => {
  const payments = () => loadItems('payments-crashloop.json');
  const cases: {
    why: string;
    items: () => KubeObject[];
    options?: { protectedNamespaces?: string[]; optInNamespaces?: string[] };
    skippedWhy?: RegExp;
  }[] = [
    { why: 'kube-system is always protected', items: () => moveToNamespace(payments(), 'kube-system'), skippedWhy: /namespace kube-system is protected \(would be CrashLoopBackOff\)/ },
    { why: 'kube-node-lease is always protected', items: () => moveToNamespace(payments(), 'kube-node-lease'), skippedWhy: /protected/ },
    { why: 'configured protected namespace', items: payments, options: { protectedNamespaces: ['pay'] }, skippedWhy: /namespace pay is protected/ },
    { why: 'outside the opt-in list', items: payments, options: { optInNamespaces: ['shop'] }, skippedWhy: /namespace pay is not opted in/ },
    {
      why: 'Deployment annotated ignore',
      items: () => {
        const items = payments();
        named<Deployment>(items, 'Deployment', 'payments').metadata!.annotations!['eks-reflexion.io/ignore'] = 'true';
        return items;
      },
      skippedWhy: /Deployment is annotated eks-reflexion.io\/ignore/,
    },
    {
      why: 'namespace annotated ignore',
      items: () => [...moveToNamespace(payments(), 'legacy'), ...loadItems('namespaces.json')],
      skippedWhy: /namespace legacy is annotated eks-reflexion.io\/ignore/,
    },
    // Controls: the same workload is reported when nothing excludes it.
    { why: 'inside the opt-in list', items: payments, options: { optInNamespaces: ['pay'] } },
    {
      why: 'ignore annotation set to "false"',
      items: () => {
        const items = payments();
        named<Deployment>(items, 'Deployment', 'payments').metadata!.annotations!['eks-reflexion.io/ignore'] = 'false';
        return items;
      },
    },
  ];
  it.each(cases)('$why', ({ items, options, skippedWhy }) => {
    const { incidents, skipped } = detect(snapshotOf(items()), options);
    if (skippedWhy) {
      expect(incidents).toEqual([]);
      expect(skipped).toHaveLength(1);
      expect(skipped[0]?.object).toMatch(/^Deployment .*\/payments$/);
      expect(skipped[0]?.why).toMatch(skippedWhy);
    } else {
      expect(skipped).toEqual([]);
      expect(incidents.map((i) => i.target.name)).toEqual(['payments']);
    }
  });
});

describe('fingerprint stability', () => {
  it('is the same for the same failure seen later with other pods, times and counts', () => {
    // Dedup: the next detection (pods replaced, restart counts up, five minutes later) must not start a second remediation.
    const first = detect(snapshotOf(loadItems('payments-crashloop.json'))).incidents[0];
    const later = loadItems('payments-crashloop.json').map((item) => {
      if (item.kind === 'Pod') {
        const pod = replicaOf(item as Pod, `${item.metadata?.name}`.replace(/-[a-z0-9]{5}$/, '-zz' + Math.abs(item.metadata!.name!.length)));
        const s = pod.status!.containerStatuses![0]!;
        s.restartCount = (s.restartCount ?? 0) + 3;
        s.lastState!.terminated!.finishedAt = '2026-11-23T14:04:10Z';
        pod.metadata!.creationTimestamp = '2026-11-23T14:01:00Z';
        return pod;
      }
      return item;
    });
    const [second] = detect(snapshotOf(later, '2026-11-23T14:05:00Z')).incidents;

    expect(second?.pods).not.toEqual(first?.pods);
    expect(second?.detectedAt).not.toBe(first?.detectedAt);
    expect(second?.fingerprint).toBe(first?.fingerprint);
    expect(second?.signature).toBe(first?.signature);
  });

  it('takes the sub-reason most pods show, whatever order the pods are listed in', () => {
    // Two pods say "not found", one says "unauthorized": the fingerprint must not flip with list order.
    const items = loadItems('checkout-bad-rollout.json');
    const bad = named<Pod>(items, 'Pod', 'checkout-6b7f9d5c8-7hx4m');
    const waiting = (message: string) => ({ waiting: { reason: 'ErrImagePull', message } });
    const a = replicaOf(bad, 'checkout-6b7f9d5c8-aaaaa');
    a.status!.containerStatuses![0]!.state = waiting('failed to authorize: 401 Unauthorized');
    const b = replicaOf(bad, 'checkout-6b7f9d5c8-bbbbb');
    b.status!.containerStatuses![0]!.state = waiting('registry.example.com/shop/checkout:1.27: not found');

    const forward = detect(snapshotOf([a, ...items, b])).incidents[0];
    const backward = detect(snapshotOf([b, ...items.reverse(), a])).incidents[0];

    expect(forward?.subReason).toBe('tag-not-found');
    expect(backward?.fingerprint).toBe(forward?.fingerprint);
    expect(forward?.pods).toHaveLength(3);
  });

  it('differs between workloads and between clusters', () => {
    const a = detect(snapshotOf(loadItems('payments-crashloop.json'))).incidents[0];
    const other = snapshotOf(moveToNamespace(loadItems('payments-crashloop.json'), 'pay-canary'));
    const b = detect(other).incidents[0];
    const c = detect({ ...snapshotOf(loadItems('payments-crashloop.json')), cluster: 'stage-eks' }).incidents[0];
    expect(new Set([a?.fingerprint, b?.fingerprint, c?.fingerprint]).size).toBe(3);
  });
});

describe('bounds', () => {
  it('keeps an incident with 150 failing pods within its schema bounds', () => {
    const items = loadItems('payments-crashloop.json');
    const base = named<Pod>(items, 'Pod', 'payments-84f7d6c5b9-k2x9q');
    const many = Array.from({ length: 150 }, (_, i) => replicaOf(base, `payments-84f7d6c5b9-r${String(i).padStart(4, '0')}`));
    const [incident] = detect(snapshotOf([...items.filter((i) => i.kind !== 'Pod'), ...many])).incidents;
    expect(incident?.pods).toHaveLength(100);
    expect(incident?.evidence.containers.length).toBeLessThanOrEqual(20);
    expect(incident?.evidence.notes[0]).toBe('50 more pods not listed');
    expect(incident?.message).toMatch(/^150 pods of Deployment pay\/payments/);
  });
});

describe('event evidence', () => {
  it('keeps the Warning that explains the failure even when 30 newer Normal events follow it', () => {
    // Busy workloads emit many Normal events (Pulled, Created, Started); the bounded evidence must keep the Warnings.
    const items = loadItems('payments-crashloop.json').filter((i) => i.kind !== 'Event');
    const pod = 'payments-84f7d6c5b9-k2x9q';
    const event = (i: number, type: string, reason: string, at: string) => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${pod}.${String(i).padStart(16, '0')}`, namespace: 'pay', creationTimestamp: at },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod, namespace: 'pay', fieldPath: 'spec.containers{api}' },
      reason,
      message: `${reason} ${i}`,
      type,
      count: 1,
      firstTimestamp: at,
      lastTimestamp: at,
    });
    const normal = Array.from({ length: 30 }, (_, i) => event(i + 1, 'Normal', 'Pulled', `2026-11-23T13:5${Math.floor(i / 10) + 1}:${String(i % 10).padStart(2, '0')}Z`));
    const warning = event(0, 'Warning', 'BackOff', '2026-11-23T13:45:00Z');

    const [incident] = detect(snapshotOf([...items, warning, ...normal] as KubeObject[])).incidents;

    expect(incident?.evidence.events).toHaveLength(20);
    expect(incident?.evidence.events[0]).toMatchObject({ type: 'Warning', reason: 'BackOff' });
    // The rest are the newest Normal events, oldest first.
    expect(incident?.evidence.events.at(-1)?.message).toBe('Pulled 30');
  });
});

describe('bad input', () => {
  const payments = () => snapshotOf(loadItems('payments-crashloop.json'));
  const podAt = (snap: ClusterSnapshot, i: number) => snap.pods[i] as unknown as Record<string, unknown> & { status: Record<string, unknown>; metadata: Record<string, unknown> };

    // The payments Deployment reports ProgressDeadlineExceeded itself, so a FailedRollout
  // incident is a true fact even when every pod is unreadable; a crash loop needs a readable pod.
  const cases: { why: string; mutate: (s: ClusterSnapshot) => unknown; object: RegExp | string; why_: RegExp; incidents: number }[] = [
    { why: 'not an object', mutate: () => null, object: 'snapshot', why_: /not an object/, incidents: 0 },
    { why: 'takenAt is not a time', mutate: (s) => ({ ...s, takenAt: 'yesterday' }), object: 'snapshot', why_: /takenAt/, incidents: 0 },
    { why: 'pods is not an array', mutate: (s) => ({ ...s, pods: { items: [] } }), object: 'snapshot.pods', why_: /must be an array/, incidents: 1 },
    // One broken pod: the other pod of the workload is still reported, the broken one is named.
    {
      why: 'null status',
      mutate: (s) => ((podAt(s, 1).status = null as never), s),
      object: 'Pod pay/payments-84f7d6c5b9-m4t7z',
      why_: /^status: .*null/,
      incidents: 1,
    },
    {
      why: 'containerStatuses not an array',
      mutate: (s) => ((podAt(s, 1).status.containerStatuses = 'CrashLoopBackOff'), s),
      object: 'Pod pay/payments-84f7d6c5b9-m4t7z',
      why_: /^status.containerStatuses: /,
      incidents: 1,
    },
    {
      why: 'a number where a string is expected (waiting reason)',
      mutate: (s) => (((podAt(s, 1).status.containerStatuses as { state: { waiting: { reason: unknown } } }[])[0]!.state.waiting.reason = 42), s),
      object: 'Pod pay/payments-84f7d6c5b9-m4t7z',
      why_: /^status.containerStatuses.0.state.waiting.reason: .*string/,
      incidents: 1,
    },
    { why: 'a number as the pod name', mutate: (s) => ((podAt(s, 1).metadata.name = 7), s), object: 'Pod #1', why_: /^metadata.name: /, incidents: 1 },
    { why: 'a pod name that is not a Kubernetes name', mutate: (s) => ((podAt(s, 1).metadata.name = 'Payments X'), s), object: 'Pod pay/Payments X', why_: /^metadata.name: /, incidents: 1 },
    {
      why: 'restartCount negative',
      mutate: (s) => (((podAt(s, 1).status.containerStatuses as { restartCount: unknown }[])[0]!.restartCount = -1), s),
      object: 'Pod pay/payments-84f7d6c5b9-m4t7z',
      why_: /restartCount/,
      incidents: 1,
    },
    // Both pods broken: no incident at all rather than a guess.
    {
      why: 'both pods without status shape',
      mutate: (s) => ((podAt(s, 0).status = 'Running' as never), (podAt(s, 1).status = null as never), s),
      object: 'Pod pay/payments-84f7d6c5b9-k2x9q',
      why_: /^status: /,
      incidents: 1,
    },
    {
      why: 'a ReplicaSet with ownerReferences not an array',
      mutate: (s) => (((s.replicaSets[1] as unknown as { metadata: { ownerReferences: unknown } }).metadata.ownerReferences = 'payments'), s),
      object: 'ReplicaSet pay/payments-84f7d6c5b9',
      why_: /^metadata.ownerReferences: /,
      // The pods cannot be tied to the Deployment without it: their crash loop is reported against the
      // pods (grouped by their ReplicaSet), next to the Deployment's own deadline; neither is dropped.
      incidents: 2,
    },
    {
      why: 'an event without involvedObject',
      mutate: (s) => (((s.events[0] as unknown as Record<string, unknown>).involvedObject = undefined), s),
      object: /^Event pay\//,
      why_: /^involvedObject: /,
      incidents: 1,
    },
    {
      why: 'an HPA with maxReplicas as a string',
      mutate: (s) => ({ ...s, hpas: [{ metadata: { name: 'payments', namespace: 'pay' }, spec: { maxReplicas: '10', scaleTargetRef: { kind: 'Deployment', name: 'payments' } }, status: { currentReplicas: 10 } }] }),
      object: 'HorizontalPodAutoscaler pay/payments',
      why_: /^spec.maxReplicas: /,
      incidents: 1,
    },
  ];
  it.each(cases)('$why', ({ mutate, object, why_, incidents: n }) => {
    const input = mutate(payments());
    let result: ReturnType<typeof detect> | undefined;
    expect(() => (result = detect(input))).not.toThrow();
    expect(result?.incidents).toHaveLength(n);
    for (const incident of result?.incidents ?? []) {
      expect(['CrashLoopBackOff', 'FailedRollout']).toContain(incident.kind);
      // Only well-formed pods are ever named.
      expect(incident.pods.every((p) => /^payments-84f7d6c5b9-[a-z0-9]{5}$/.test(p))).toBe(true);
      if (incident.kind === 'CrashLoopBackOff') expect(incident.pods.length).toBeGreaterThan(0);
    }
    const entry = result?.skipped.find((s) => (typeof object === 'string' ? s.object === object : object.test(s.object)));
    expect(entry, JSON.stringify(result?.skipped)).toBeDefined();
    expect(entry?.why).toMatch(why_);
  });

  it('never throws and only emits schema-valid incidents whatever replaces a field', () => {
    // Property: take a real snapshot, overwrite one field anywhere with any JSON value.
    const base = snapshotOf(['payments-crashloop.json', 'hpa-at-max.json'].flatMap(loadItems));
    const paths: (string | number)[][] = [];
    const walk = (value: unknown, path: (string | number)[]) => {
      if (path.length > 0) paths.push(path);
      if (value !== null && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) walk(v, [...path, Array.isArray(value) ? Number(k) : k]);
      }
    };
    walk(base, []);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: paths.length - 1 }), fc.jsonValue(), (i, replacement) => {
        const snap = structuredClone(base) as unknown as Record<string | number, unknown>;
        const path = paths[i]!;
        let target = snap as Record<string | number, unknown>;
        for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
        target[path.at(-1)!] = replacement;
        const { incidents } = detect(snap);
        for (const incident of incidents) IncidentSchema.parse(incident);
      }),
      { numRuns: 100, seed: 20261123 },
    );
  });
});

describe('inputs that are valid but odd', () => {
  it('accepts null condition times and stays conservative about them', () => {
    // Some controllers write null times; the pod is still read, and "how long" stays unknown rather than 0.
    const items = loadItems('payments-crashloop.json');
    for (const pod of ofKind<Pod>(items, 'Pod')) for (const c of pod.status!.conditions!) (c as { lastTransitionTime: unknown }).lastTransitionTime = null;
    const { incidents, skipped } = detect(snapshotOf(items));
    expect(skipped).toEqual([]);
    expect(incidents.map((i) => i.kind)).toEqual(['CrashLoopBackOff']);
  });

  it('skips pods being deleted', () => {
    // A pod with a deletionTimestamp is on its way out; what replaces it is what matters.
    const items = loadItems('payments-crashloop.json');
    for (const pod of ofKind<Pod>(items, 'Pod')) pod.metadata!.deletionTimestamp = '2026-11-23T13:59:59Z';
    const kinds = detect(snapshotOf(items)).incidents.map((i) => i.kind);
    expect(kinds).toEqual(['FailedRollout']);
  });
});
