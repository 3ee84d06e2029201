import { describe, expect, it } from 'vitest';
import type { Deployment, Pod } from '../../functions/domain/k8s';
import type { Verification } from '../../functions/domain/model';
import { judgeVerification, observeDeployment, observeHpa, observePod, podFailures, requiredReplicas, type Baseline } from '../../functions/domain/verify';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function pod(name: string, o: { ready?: boolean; restarts?: number; startedAt?: number; readySince?: number; waiting?: string; lastOOM?: boolean } = {}): Pod {
  const ready = o.ready ?? true;
  return {
    metadata: { name, namespace: 'shop' },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: at(o.readySince ?? 0) }],
      containerStatuses: [
        {
          name: 'app',
          ready,
          restartCount: o.restarts ?? 0,
          state: o.waiting ? { waiting: { reason: o.waiting } } : { running: { startedAt: at(o.startedAt ?? 0) } },
          ...(o.lastOOM ? { lastState: { terminated: { reason: 'OOMKilled', finishedAt: at(-1) } } } : {}),
        },
      ],
    },
  };
}

function deployment(o: { desired?: number; ready?: number; updated?: number; available?: number; total?: number; generation?: number; observed?: number } = {}): Deployment {
  const desired = o.desired ?? 2;
  return {
    metadata: { name: 'web', namespace: 'shop', generation: o.generation ?? 2 },
    spec: { replicas: desired },
    status: {
      observedGeneration: o.observed ?? 2,
      replicas: o.total ?? desired,
      updatedReplicas: o.updated ?? desired,
      readyReplicas: o.ready ?? desired,
      availableReplicas: o.available ?? desired,
    },
  };
}

describe('observeDeployment', () => {
  it.each([
    ['all counts equal desired and pods ready', {}, [pod('a'), pod('b')], true],
    // The controller has not seen the new spec yet: old status must not count.
    ['observedGeneration behind generation', { observed: 1 }, [pod('a'), pod('b')], false],
    ['an old replica still around', { total: 3 }, [pod('a'), pod('b'), pod('c')], false],
    ['fewer available than desired', { available: 1 }, [pod('a'), pod('b')], false],
    ['a pod not ready even though counts say so (stale status)', {}, [pod('a'), pod('b', { ready: false })], false],
    ['a pod in CrashLoopBackOff', {}, [pod('a'), pod('b', { waiting: 'CrashLoopBackOff', ready: false })], false],
  ])('%s', (_why, d, pods, healthy) => {
    expect(observeDeployment(deployment(d), pods).healthyNow).toBe(healthy);
  });

  it.each([
    // Zero of zero is "all ready": without the floor, a Deployment left at 0 under an HPA would verify.
    ['scaled to zero, floor 3: not healthy', { desired: 0 }, [], 3, false],
    ['back at the floor and ready: healthy', { desired: 3 }, [pod('a'), pod('b'), pod('c')], 3, true],
    ['above the floor (the HPA scaled up): healthy', { desired: 4 }, [pod('a'), pod('b'), pod('c'), pod('d')], 3, true],
    ['one below the floor even though every replica is ready: not healthy', { desired: 2 }, [pod('a'), pod('b')], 3, false],
    // No floor (any other incident): zero desired with zero ready is healthy, as before.
    ['no floor: zero of zero is healthy', { desired: 0 }, [], undefined, true],
  ] as const)('minReplicas: %s', (_why, d, pods, minReplicas, healthy) => {
    const obs = observeDeployment(deployment(d), [...pods], minReplicas !== undefined ? { minReplicas } : {});
    expect(obs.healthyNow).toBe(healthy);
    if (!healthy) expect(obs.facts.join('\n')).toContain(`< ${minReplicas} required`);
  });

  it.each([
    { why: 'a scaled-to-zero incident carries the HPA minimum in its facts', kind: 'FailedRollout', subReason: 'scaled-to-zero', expected: 3 },
    { why: 'a stalled rollout has no floor', kind: 'FailedRollout', subReason: 'progress-deadline-exceeded', expected: undefined },
    { why: 'an HPA-at-max incident has no floor (its own target is the HPA)', kind: 'HpaAtMax', subReason: 'cpu', expected: undefined },
  ] as const)('requiredReplicas: $why', ({ kind, subReason, expected }) => {
    expect(requiredReplicas({ kind, subReason, facts: [{ kind: 'ScaledToZero' as const, hpa: 'web', minReplicas: 3, maxReplicas: 6, scalingDisabled: true }] })).toBe(expected);
  });
});

describe('podFailures', () => {
  it.each([
    // ErrImagePull and ImagePullBackOff alternate for one failure: they must compare equal.
    ['ErrImagePull', { waiting: 'ErrImagePull', ready: false }, ['ImagePullBackOff']],
    ['ImagePullBackOff', { waiting: 'ImagePullBackOff', ready: false }, ['ImagePullBackOff']],
    ['OOM kill of a container that is not ready', { lastOOM: true, ready: false }, ['OOMKilled']],
    // An old OOM on a container that is ready again is history, not a current failure.
    ['old OOM, ready again', { lastOOM: true }, []],
  ])('%s', (_why, o, expected) => {
    expect(podFailures(pod('p', o))).toEqual(expected);
  });
});

describe('judgeVerification', () => {
  const baseline: Baseline = { kind: 'Deployment', availableReplicas: 2, restarts: {}, failures: ['ImagePullBackOff'], capturedAt: at(0) };
  const step = (obsPods: Pod[], now: number, previous?: Verification, d = deployment()) =>
    judgeVerification({ observation: observeDeployment(d, obsPods), baseline, ...(previous ? { previous } : {}), now: new Date(T0 + now * 1000), actionAt: at(0), deadline: at(300), stabilitySeconds: 60 });

  it('healthy only after being healthy continuously for the window', () => {
    // Arrange: pods started at 10 s and stay up.
    const pods = [pod('a', { startedAt: 10, readySince: 12 }), pod('b', { startedAt: 10, readySince: 12 })];
    // Act
    const first = step(pods, 15);
    const second = step(pods, 45, first);
    const third = step(pods, 75, second);
    // Assert
    expect([first.status, second.status, third.status]).toEqual(['converging', 'converging', 'healthy']);
    expect(third.healthySince).toBe(at(12));
    expect(third.checks).toBe(3);
  });

  it('a container that crashes 5 s after every start is never called healthy', () => {
    // Arrange: every 15 s check sees it running and ready, but it restarted in between (restartCount grows).
    let previous: Verification | undefined;
    const statuses: string[] = [];
    for (let check = 1; check <= 20; check++) {
      const now = check * 15;
      const pods = [pod('a', { restarts: check, startedAt: now - 2, readySince: now - 2 }), pod('b')];
      // Act
      previous = step(pods, now, previous);
      statuses.push(previous.status);
    }
    // Assert: converging until the deadline, then failed; never healthy.
    expect(statuses).not.toContain('healthy');
    expect(statuses.at(-1)).toBe('failed');
  });

  it('a restart counted between checks resets the window even if the start time looks old', () => {
    const pods = [pod('a', { startedAt: 1 }), pod('b', { startedAt: 1 })];
    const first = step(pods, 30);
    const restarted = [pod('a', { restarts: 1, startedAt: 1 }), pod('b', { startedAt: 1 })];
    const second = step(restarted, 70, first);
    expect(first.healthySince).toBe(at(1));
    expect(second.status).toBe('converging');
    expect(second.healthySince).toBe(at(70));
  });

  it('health before the action does not count towards the window', () => {
    const pods = [pod('a', { startedAt: -600, readySince: -600 }), pod('b', { startedAt: -600, readySince: -600 })];
    expect(step(pods, 30).healthySince).toBe(at(0));
    expect(step(pods, 30).status).toBe('converging');
  });

  it('fewer available replicas than the baseline is worse', () => {
    const v = step([pod('a'), pod('b', { ready: false })], 300, undefined, deployment({ available: 1, ready: 1 }));
    expect(v.status).toBe('failed');
    expect(v.worse).toBe(true);
  });

  it('a new failure kind is worse; the one that was there before is not', () => {
    const same = step([pod('a', { waiting: 'ErrImagePull', ready: false }), pod('b')], 300, undefined, deployment({ ready: 2 }));
    const other = step([pod('a', { waiting: 'CrashLoopBackOff', ready: false }), pod('b')], 300, undefined, deployment({ ready: 2 }));
    expect(same.worse).toBe(false);
    expect(other.worse).toBe(true);
  });
});

describe('observePod / observeHpa', () => {
  it('a missing pod is not healthy', () => {
    expect(observePod(undefined, 'gone').healthyNow).toBe(false);
  });
  it.each([
    // Still pinned at max: the HPA incident is not over.
    [10, 10, true, false],
    [7, 10, true, true],
    // Below max but the workload itself is failing: not over either.
    [7, 10, false, false],
  ])('current %i of max %i, target healthy %s → %s', (current, max, targetHealthy, expected) => {
    const target = observeDeployment(deployment(targetHealthy ? {} : { available: 1 }), [pod('a'), pod('b')]);
    expect(observeHpa({ spec: { maxReplicas: max }, status: { currentReplicas: current } }, target).healthyNow).toBe(expected);
  });
});
