import { describe, expect, it } from 'vitest';
import { metricsAboveTarget } from '../../functions/domain/detectors/hpa-at-max';
import type { Deployment, HorizontalPodAutoscaler } from '../../functions/domain/k8s';
import { detect, loadItems, named, snapshotOf } from './support';

const hpaOf = (items: ReturnType<typeof loadItems>, name: string) => named<HorizontalPodAutoscaler>(items, 'HorizontalPodAutoscaler', name);

describe('HpaAtMax detector', () => {
  it('reports an HPA pinned at max while CPU is above target, with the target pods listed', () => {
    const { incidents, skipped } = detect(snapshotOf(loadItems('hpa-at-max.json')));

    expect(skipped).toEqual([]);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      kind: 'HpaAtMax',
      subReason: 'cpu',
      reason: 'TooManyReplicas',
      target: { kind: 'HorizontalPodAutoscaler', namespace: 'shop', name: 'frontend' },
      // Pods of the scale target (Deployment frontend), grouped under the one HPA incident.
      pods: ['frontend-6e5d4c3b2a-b2n4m', 'frontend-6e5d4c3b2a-c3v5x'],
    });
    expect(incidents[0]?.evidence.notes).toContain('cpu: current 92% > target 70%');
    expect(incidents[0]?.evidence.events.map((e) => e.reason)).toEqual(['SuccessfulRescale']);
  });

  it('ignores an HPA at max whose metric is below target, and one below max', () => {
    // Near misses: search sits at its ceiling at 55% (a well-sized max); recommender is at 4 of 8.
    const names = detect(snapshotOf(loadItems('hpa-at-max.json'))).incidents.map((i) => i.target.name);
    expect(names).toEqual(['frontend']);
  });

  it('waits until the HPA has been limited for a while', () => {
    // Near miss: it hit the ceiling 30 s ago; a spike is what an HPA is for.
    const items = loadItems('hpa-at-max.json');
    const limited = hpaOf(items, 'frontend').status!.conditions!.find((c) => c.type === 'ScalingLimited')!;
    limited.lastTransitionTime = '2026-11-23T13:59:30Z';
    expect(detect(snapshotOf(items)).incidents).toEqual([]);
  });

  it('falls back on TooManyReplicas when current metrics are missing', () => {
    // metrics-server down: no readings, but the controller itself says it wants more than max.
    const items = loadItems('hpa-at-max.json');
    (hpaOf(items, 'frontend').status as { currentMetrics?: unknown }).currentMetrics = null;
    const [incident] = detect(snapshotOf(items)).incidents;
    expect(incident).toMatchObject({ kind: 'HpaAtMax', subReason: 'desired-above-max' });
  });
});

describe('HpaAtMax opt-out', () => {
  it('follows the scale target: an ignored Deployment opts out its HPA', () => {
    // Raising maxReplicas acts on the Deployment; its owner said hands off.
    const items = loadItems('hpa-at-max.json');
    const frontend = named<Deployment>(items, 'Deployment', 'frontend');
    frontend.metadata!.annotations = { ...frontend.metadata!.annotations, 'eks-reflexion.io/ignore': 'true' };
    const { incidents, skipped } = detect(snapshotOf(items));
    expect(incidents).toEqual([]);
    expect(skipped).toEqual([
      { object: 'HorizontalPodAutoscaler shop/frontend', why: "the HPA's scale target is annotated eks-reflexion.io/ignore (would be HpaAtMax)" },
    ]);
  });
});

describe('metricsAboveTarget', () => {
  // autoscaling/v2 metric shapes: utilisation, average value quantities, external values.
  const cases: { why: string; spec: unknown[]; current: unknown[]; above: string[]; comparable: number }[] = [
    {
      why: 'average value in quantities (800m > 500m)',
      spec: [{ type: 'Pods', pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '500m' } } }],
      current: [{ type: 'Pods', pods: { metric: { name: 'rps' }, current: { averageValue: '800m' } } }],
      above: ['rps'],
      comparable: 1,
    },
    {
      why: 'memory below target',
      spec: [{ type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '1Gi' } } }],
      current: [{ type: 'Resource', resource: { name: 'memory', current: { averageValue: '900Mi' } } }],
      above: [],
      comparable: 1,
    },
    {
      why: 'external queue depth',
      spec: [{ type: 'External', external: { metric: { name: 'sqs-depth' }, target: { type: 'Value', value: '100' } } }],
      current: [{ type: 'External', external: { metric: { name: 'sqs-depth' }, current: { value: '2500' } } }],
      above: ['sqs-depth'],
      comparable: 1,
    },
    // Garbage metric entries are not comparable, never a crash.
    { why: 'malformed entries', spec: [42, { type: 'Resource' }], current: ['x'], above: [], comparable: 0 },
  ];
  it.each(cases)('$why', ({ spec, current, above, comparable }) => {
    const hpa = { spec: { maxReplicas: 5, metrics: spec }, status: { currentMetrics: current } } as HorizontalPodAutoscaler;
    const got = metricsAboveTarget(hpa);
    expect(got.above.map((m) => m.name)).toEqual(above);
    expect(got.comparable).toBe(comparable);
  });
});
