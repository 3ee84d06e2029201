import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/domain/errors';
import type { RolloutRevision } from '../../functions/domain/incident';
import type { Deployment, Pod, ReplicaSet } from '../../functions/domain/k8s';
import {
  controllerOf,
  currentReplicaSetOf,
  imagesSeenFor,
  lastHealthyRevision,
  podTemplateImages,
  replicaSetsOf,
  resolveWorkload,
  revisionOf,
  rollbackTarget,
  rolloutHistory,
} from '../../functions/domain/workload';
import { clone, loadItems, named, ofKind } from './support';

const items = loadItems('checkout-bad-rollout.json');
const deployment = named<Deployment>(items, 'Deployment', 'checkout');
const replicaSets = ofKind<ReplicaSet>(items, 'ReplicaSet');
const pods = ofKind<Pod>(items, 'Pod');
const goodPod = named<Pod>(items, 'Pod', 'checkout-7c9d8f6b5-x2kqp');
const badPod = named<Pod>(items, 'Pod', 'checkout-6b7f9d5c8-7hx4m');

describe('controllerOf', () => {
  const cases: { why: string; obj: unknown; want: string | undefined }[] = [
    // The normal case: the single controller reference.
    { why: 'pod owned by a ReplicaSet', obj: goodPod, want: 'ReplicaSet/checkout-7c9d8f6b5' },
    // Non-controller references (e.g. a garbage-collection owner) are not the controller.
    {
      why: 'owner without controller: true',
      obj: { metadata: { ownerReferences: [{ kind: 'ConfigMap', name: 'x', uid: 'u' }] } },
      want: undefined,
    },
    // Bad input: ownerReferences not an array must not throw.
    { why: 'ownerReferences is a string', obj: { metadata: { ownerReferences: 'nope' } }, want: undefined },
    // Bad input: a null metadata.
    { why: 'null metadata', obj: { metadata: null }, want: undefined },
  ];
  it.each(cases)('$why', ({ obj, want }) => {
    const ref = controllerOf(obj as Pod);
    expect(ref ? `${ref.kind}/${ref.name}` : undefined).toBe(want);
  });
});

describe('resolveWorkload', () => {
  const bareRs: ReplicaSet = { ...clone(replicaSets[1]!), metadata: { ...clone(replicaSets[1]!.metadata!), ownerReferences: [] } };
  const cases: { why: string; pod: Pod; rs: ReplicaSet[]; want: object }[] = [
    // Pod → ReplicaSet → Deployment through controller references (uids match).
    {
      why: 'deployment pod',
      pod: badPod,
      rs: replicaSets,
      want: { kind: 'Deployment', namespace: 'shop', name: 'checkout', replicaSet: 'checkout-6b7f9d5c8' },
    },
    // A bare pod (no controller) is its own target.
    {
      why: 'bare pod',
      pod: { ...clone(badPod), metadata: { ...clone(badPod.metadata!), ownerReferences: undefined } },
      rs: replicaSets,
      want: { kind: 'Pod', namespace: 'shop', name: 'checkout-6b7f9d5c8-7hx4m' },
    },
    // A ReplicaSet nobody owns: no Deployment to name, so the pod stays the target and says who controls it.
    {
      why: 'ReplicaSet without a Deployment owner',
      pod: goodPod,
      rs: [bareRs],
      want: {
        kind: 'Pod',
        name: 'checkout-7c9d8f6b5-x2kqp',
        replicaSet: 'checkout-7c9d8f6b5',
        controller: { kind: 'ReplicaSet', name: 'checkout-7c9d8f6b5' },
      },
    },
    // The ReplicaSet is not in the snapshot: never guess the Deployment from the name.
    {
      why: 'ReplicaSet missing',
      pod: goodPod,
      rs: [],
      want: { kind: 'Pod', name: 'checkout-7c9d8f6b5-x2kqp', replicaSet: 'checkout-7c9d8f6b5' },
    },
    // StatefulSet pods resolve directly to the StatefulSet.
    {
      why: 'statefulset pod',
      pod: {
        metadata: {
          name: 'ledger-0',
          namespace: 'bank',
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'ledger', uid: 'u1', controller: true }],
        },
      },
      rs: [],
      want: { kind: 'StatefulSet', namespace: 'bank', name: 'ledger' },
    },
    // A Job pod: not a workload the catalogue acts on, so the pod with its controller named.
    {
      why: 'job pod',
      pod: {
        metadata: {
          name: 'migrate-x1',
          namespace: 'bank',
          ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'migrate', uid: 'u2', controller: true }],
        },
      },
      rs: [],
      want: { kind: 'Pod', name: 'migrate-x1', controller: { kind: 'Job', name: 'migrate' } },
    },
    // A same-named ReplicaSet in another namespace is not this pod's owner.
    {
      why: 'owner in another namespace is ignored',
      pod: goodPod,
      rs: replicaSets.map((r) => ({ ...clone(r), metadata: { ...clone(r.metadata!), namespace: 'other' } })),
      want: { kind: 'Pod', name: 'checkout-7c9d8f6b5-x2kqp' },
    },
  ];
  it.each(cases)('$why', ({ pod, rs, want }) => {
    expect(resolveWorkload(pod, rs)).toMatchObject(want);
  });

  it('names the missing field when the pod has no namespace', () => {
    // Nothing to resolve without a namespace: a named error, not a guess.
    const pod = { metadata: { name: 'p' } } as Pod;
    expect(() => resolveWorkload(pod, [])).toThrow(ValidationError);
    expect(() => resolveWorkload(pod, [])).toThrow(/metadata.namespace/);
  });
});

describe('revisionOf', () => {
  const cases: { why: string; annotations: unknown; want: number | undefined }[] = [
    { why: 'numeric annotation', annotations: { 'deployment.kubernetes.io/revision': '12' }, want: 12 },
    // Not a number: unknown, never NaN.
    { why: 'garbage annotation', annotations: { 'deployment.kubernetes.io/revision': 'v3' }, want: undefined },
    // Wrong type from a hand-written object.
    { why: 'number instead of string', annotations: { 'deployment.kubernetes.io/revision': 3 }, want: undefined },
    { why: 'no annotations', annotations: undefined, want: undefined },
  ];
  it.each(cases)('$why', ({ annotations, want }) => {
    expect(revisionOf({ metadata: { annotations } } as Deployment)).toBe(want);
  });
});

describe('replicaSetsOf', () => {
  it('claims the three ReplicaSets by uid', () => {
    expect(replicaSetsOf(deployment, replicaSets).map((r) => r.metadata?.name).sort()).toEqual([
      'checkout-5d8f7c9b6',
      'checkout-6b7f9d5c8',
      'checkout-7c9d8f6b5',
    ]);
  });

  it('does not claim ReplicaSets of a deleted and recreated Deployment (new uid)', () => {
    // A recreated Deployment has a new uid; the old ReplicaSets still point at the old one.
    const recreated = { ...clone(deployment), metadata: { ...clone(deployment.metadata!), uid: 'another-uid' } };
    expect(replicaSetsOf(recreated, replicaSets)).toEqual([]);
  });

  it('falls back to name + selector when the Deployment has no uid', () => {
    // Hand-built objects (CLI snapshots) may lack uids; the selector still has to match.
    const noUid = { ...clone(deployment), metadata: { ...clone(deployment.metadata!), uid: undefined } };
    expect(replicaSetsOf(noUid, replicaSets)).toHaveLength(3);
    const otherSelector = { ...noUid, spec: { ...noUid.spec, selector: { matchLabels: { app: 'other' } } } };
    expect(replicaSetsOf(otherSelector, replicaSets)).toEqual([]);
  });
});

describe('rolloutHistory', () => {
  it('lists revisions ascending with images and health', () => {
    const history = rolloutHistory(deployment, replicaSets, pods);
    expect(history).toEqual<RolloutRevision[]>([
      // Scaled to zero with no pods left: the cluster does not say whether it was healthy.
      {
        revision: 1,
        replicaSet: 'checkout-5d8f7c9b6',
        images: { api: 'registry.example.com/shop/checkout:1.25' },
        createdAt: '2026-11-20T09:12:44Z',
        replicas: 0,
      },
      {
        revision: 2,
        replicaSet: 'checkout-7c9d8f6b5',
        images: { api: 'registry.example.com/shop/checkout:1.26' },
        createdAt: '2026-11-21T16:40:03Z',
        replicas: 3,
        availableReplicas: 3,
        healthy: true,
      },
      // Its only pod is in ImagePullBackOff.
      {
        revision: 3,
        replicaSet: 'checkout-6b7f9d5c8',
        images: { api: 'registry.example.com/shop/checkout:1.27' },
        createdAt: '2026-11-23T13:51:10Z',
        replicas: 1,
        healthy: false,
      },
    ]);
  });

  it('leaves health unknown without pods', () => {
    // Without the pods, a ReplicaSet with no available replicas is unknown, not failing.
    const history = rolloutHistory(deployment, replicaSets);
    expect(history.find((r) => r.revision === 3)?.healthy).toBeUndefined();
  });

  it('counts all-Ready pods as healthy when availableReplicas is not reported yet', () => {
    const rs = replicaSets.map(clone);
    const rev2 = rs.find((r) => r.metadata?.name === 'checkout-7c9d8f6b5')!;
    rev2.status = { replicas: 1 };
    expect(rolloutHistory(deployment, rs, pods).find((r) => r.revision === 2)?.healthy).toBe(true);
  });

  it('skips ReplicaSets without a revision and never throws on a broken one', () => {
    const rs: unknown[] = [...replicaSets.map(clone), { metadata: null }, { metadata: { name: 'x', annotations: 'bad' } }];
    rs[0] = { ...clone(replicaSets[0]!), metadata: { ...clone(replicaSets[0]!.metadata!), annotations: {} } };
    expect(rolloutHistory(deployment, rs as ReplicaSet[], pods).map((r) => r.revision)).toEqual([2, 3]);
  });
});

describe('lastHealthyRevision and rollbackTarget', () => {
  const rev = (revision: number, healthy?: boolean): RolloutRevision => ({
    revision,
    replicaSet: `app-${revision}`,
    images: {},
    ...(healthy === undefined ? {} : { healthy }),
  });
  const cases: {
    why: string;
    history: RolloutRevision[];
    current: number;
    healthy: number | undefined;
    target: [number, string] | undefined;
  }[] = [
    // The usual bad rollout: go back to the healthy one before it.
    { why: 'previous healthy', history: [rev(1), rev(2, true), rev(3, false)], current: 3, healthy: 2, target: [2, 'healthy'] },
    // The current revision is never a rollback target, even when healthy.
    { why: 'current healthy is not returned', history: [rev(1, false), rev(2, true)], current: 2, healthy: undefined, target: undefined },
    // Newest healthy wins over older healthy.
    { why: 'newest healthy', history: [rev(1, true), rev(2, true), rev(4, false)], current: 4, healthy: 2, target: [2, 'healthy'] },
    // Nothing known healthy: the fallback skips known-failing revisions and says so.
    { why: 'fallback skips failing', history: [rev(1), rev(2, false), rev(3, false)], current: 3, healthy: undefined, target: [1, 'not-known-failing'] },
    { why: 'empty history', history: [], current: 1, healthy: undefined, target: undefined },
  ];
  it.each(cases)('$why', ({ history, current, healthy, target }) => {
    expect(lastHealthyRevision(history, current)?.revision).toBe(healthy);
    const t = rollbackTarget(history, current);
    expect(t ? [t.revision.revision, t.basis] : undefined).toEqual(target);
  });
});

describe('templates', () => {
  it('lists init and app container images by name', () => {
    const images = podTemplateImages({
      spec: {
        initContainers: [{ name: 'migrate', image: 'registry.example.com/shop/migrate:7' }],
        containers: [{ name: 'api', image: 'registry.example.com/shop/checkout:1.27' }, { name: 'no-image' }],
      },
    });
    expect(images).toEqual({ migrate: 'registry.example.com/shop/migrate:7', api: 'registry.example.com/shop/checkout:1.27' });
  });

  it('finds the current ReplicaSet and the images a container has had', () => {
    expect(currentReplicaSetOf(deployment, replicaSets)?.metadata?.name).toBe('checkout-6b7f9d5c8');
    expect(imagesSeenFor(rolloutHistory(deployment, replicaSets), 'api')).toEqual([
      'registry.example.com/shop/checkout:1.25',
      'registry.example.com/shop/checkout:1.26',
      'registry.example.com/shop/checkout:1.27',
    ]);
  });
});
