import { describe, expect, it } from 'vitest';
import { classifyPullError } from '../../functions/domain/detectors/image-pull';
import type { KubeEvent, Pod } from '../../functions/domain/k8s';
import { detect, loadItems, named, replicaOf, snapshotOf } from './support';

const BAD_POD = 'checkout-6b7f9d5c8-7hx4m';

describe('ImagePullBackOff detector', () => {
  it('finds the missing tag on the new revision, with rollout history as evidence', () => {
    // The demo's failure: a Deployment rolled out with a tag the registry does not have.
    const { incidents, skipped } = detect(snapshotOf(loadItems('checkout-bad-rollout.json')));

    expect(skipped).toEqual([]);
    expect(incidents).toHaveLength(1);
    const [incident] = incidents;
    expect(incident).toMatchObject({
      kind: 'ImagePullBackOff',
      subReason: 'tag-not-found',
      signature: 'ImagePullBackOff:tag-not-found',
      target: { kind: 'Deployment', namespace: 'shop', name: 'checkout' },
      pods: [BAD_POD],
      reason: 'ImagePullBackOff',
    });
    expect(incident?.evidence.containers[0]).toMatchObject({ pod: BAD_POD, container: 'api', state: 'waiting', init: false });
    // Events of the pod and of its Deployment, oldest first.
    expect(incident?.evidence.events.map((e) => `${e.object} ${e.reason}`)).toEqual([
      'Deployment/checkout ScalingReplicaSet',
      `Pod/${BAD_POD} Failed`,
      `Pod/${BAD_POD} BackOff`,
    ]);
    expect(incident?.evidence.rolloutHistory.map((r) => [r.revision, r.healthy])).toEqual([
      [1, undefined],
      [2, true],
      [3, false],
    ]);
  });

  it('groups the pods of one workload into one incident', () => {
    // Two replicas of the new revision fail the same way: one incident listing both.
    const items = loadItems('checkout-bad-rollout.json');
    const second = replicaOf(named<Pod>(items, 'Pod', BAD_POD), 'checkout-6b7f9d5c8-p2v8d');
    second.status!.containerStatuses![0]!.state = { waiting: { reason: 'ErrImagePull', message: 'rpc error: code = NotFound desc = failed to pull and unpack image "registry.example.com/shop/checkout:1.27": not found' } };

    const { incidents } = detect(snapshotOf([...items, second]));

    expect(incidents).toHaveLength(1);
    expect(incidents[0]?.pods).toEqual(['checkout-6b7f9d5c8-7hx4m', 'checkout-6b7f9d5c8-p2v8d']);
    expect(incidents[0]?.evidence.containers).toHaveLength(2);
  });

  it('is not raised while the image is still being pulled', () => {
    // Near miss: a large image takes minutes to pull; ContainerCreating with a Pulling event is not a failure.
    const items = loadItems('checkout-bad-rollout.json').filter((i) => i.kind !== 'Event');
    const pod = named<Pod>(items, 'Pod', BAD_POD);
    pod.status!.containerStatuses![0]!.state = { waiting: { reason: 'ContainerCreating' } };
    const pulling: KubeEvent = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${BAD_POD}.1879f1c2a0000001`, namespace: 'shop', creationTimestamp: '2026-11-23T13:59:30Z' },
      involvedObject: { kind: 'Pod', name: BAD_POD, namespace: 'shop', uid: pod.metadata?.uid },
      reason: 'Pulling',
      message: 'Pulling image "registry.example.com/shop/checkout:1.27"',
      type: 'Normal',
      count: 1,
      firstTimestamp: '2026-11-23T13:59:30Z',
      lastTimestamp: '2026-11-23T13:59:30Z',
    };

    expect(detect(snapshotOf([...items, pulling])).incidents).toEqual([]);
  });

  it('reads the cause from the pull error, not the bare "Error: ErrImagePull" the kubelet sends after it', () => {
    // The kubelet emits two Failed events per attempt; the newer one names no cause.
    const items = loadItems('checkout-bad-rollout.json');
    const failed = items.find((i) => i.kind === 'Event' && (i as KubeEvent).reason === 'Failed') as KubeEvent;
    const bare: KubeEvent = { ...structuredClone(failed), message: 'Error: ErrImagePull', lastTimestamp: '2026-11-23T13:57:42Z' };
    bare.metadata = { ...bare.metadata, name: `${BAD_POD}.1879f1c2a3b4c5ff` };
    expect(detect(snapshotOf([...items, bare])).incidents[0]?.subReason).toBe('tag-not-found');
  });

  it('checks init containers too', () => {
    // An init container whose image is missing blocks the pod just the same (Init:ImagePullBackOff).
    const items = loadItems('checkout-bad-rollout.json').filter((i) => i.kind !== 'Event');
    const pod = named<Pod>(items, 'Pod', BAD_POD);
    pod.spec!.initContainers = [{ name: 'migrate', image: 'registry.example.com/shop/migrate:9.9' }];
    pod.status!.initContainerStatuses = [
      {
        name: 'migrate',
        image: 'registry.example.com/shop/migrate:9.9',
        ready: false,
        restartCount: 0,
        state: { waiting: { reason: 'ErrImagePull', message: 'failed to pull and unpack image "registry.example.com/shop/migrate:9.9": failed to resolve reference: unexpected status from HEAD request: 401 Unauthorized' } },
      },
    ];
    pod.status!.containerStatuses![0]!.state = { waiting: { reason: 'PodInitializing' } };

    const [incident] = detect(snapshotOf(items)).incidents;

    expect(incident).toMatchObject({ kind: 'ImagePullBackOff', subReason: 'auth' });
    expect(incident?.evidence.containers[0]).toMatchObject({ container: 'migrate', init: true });
  });

  it('says an invalid image name, whatever the message', () => {
    const items = loadItems('checkout-bad-rollout.json');
    named<Pod>(items, 'Pod', BAD_POD).status!.containerStatuses![0]!.state = {
      waiting: { reason: 'InvalidImageName', message: 'Failed to apply default image tag "registry.example.com/shop/Checkout:1.27": couldn\'t parse image name' },
    };
    expect(detect(snapshotOf(items)).incidents[0]?.subReason).toBe('invalid-name');
  });
});

describe('classifyPullError', () => {
  // Real runtime messages (containerd on EKS, Docker Hub, ECR) → sub-reason.
  const cases: { why: string; text: string; want: string }[] = [
    { why: 'containerd tag not found', text: 'failed to resolve reference "registry.example.com/a:1": registry.example.com/a:1: not found', want: 'tag-not-found' },
    { why: 'ECR manifest unknown', text: 'rpc error: code = NotFound desc = failed to pull and unpack image: manifest unknown: Requested image not found', want: 'tag-not-found' },
    { why: 'ECR without credentials', text: 'pulling from host 1234.dkr.ecr.eu-west-1.amazonaws.com failed with status code [manifests 1.0]: 403 Forbidden', want: 'auth' },
    { why: 'private registry 401', text: 'failed to authorize: failed to fetch anonymous token: unexpected status: 401 Unauthorized', want: 'auth' },
    // Docker Hub says "pull access denied" for both a missing repo and missing credentials: read as auth.
    { why: 'docker hub pull access denied', text: 'pull access denied for acme/private, repository does not exist or may require \'docker login\'', want: 'auth' },
    { why: 'DNS failure', text: 'dial tcp: lookup registry.example.com on 10.0.0.2:53: no such host', want: 'registry-unreachable' },
    { why: 'timeout', text: 'Get "https://registry.example.com/v2/": net/http: TLS handshake timeout', want: 'registry-unreachable' },
    // Digits in a digest or tag are not HTTP status codes: a "401"/"429" inside a reference must not flip the cause.
    { why: 'a digest containing 401 on a missing manifest', text: 'failed to resolve reference "registry.example.com/app@sha256:9f401c0e": NotFound desc = manifest unknown', want: 'tag-not-found' },
    { why: 'a tag containing 429 that does not exist', text: 'failed to resolve reference "registry.example.com/app:v1.429": registry.example.com/app:v1.429: not found', want: 'tag-not-found' },
    { why: 'registry rate limit', text: 'unexpected status code 429 Too Many Requests', want: 'registry-unreachable' },
    { why: 'back-off text alone says nothing', text: 'Back-off pulling image "registry.example.com/a:1"', want: 'unknown' },
  ];
  it.each(cases)('$why → $want', ({ text, want }) => {
    expect(classifyPullError(text)).toBe(want);
  });
});
