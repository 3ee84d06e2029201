import { describe, expect, it } from 'vitest';
import { hpaMinReplicasOf } from '../../functions/domain/detectors/scaled-to-zero';
import type { Deployment, HorizontalPodAutoscaler } from '../../functions/domain/k8s';
import { detect, loadItems, named, snapshotOf } from './support';

const hpaOf = (items: ReturnType<typeof loadItems>, name: string) => named<HorizontalPodAutoscaler>(items, 'HorizontalPodAutoscaler', name);
const deploymentOf = (items: ReturnType<typeof loadItems>, name: string) => named<Deployment>(items, 'Deployment', name);

describe('scaled-to-zero detector (FailedRollout)', () => {
  it('reports an HPA-managed Deployment at 0 replicas, targeting the Deployment, with the HPA minimum in the notes', () => {
    // Arrange / Act
    const { incidents, skipped } = detect(snapshotOf(loadItems('scaled-to-zero.json')));
    // Assert: only storefront (nightly-report has no HPA, previews' HPA allows zero).
    expect(skipped).toEqual([]);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      kind: 'FailedRollout',
      subReason: 'scaled-to-zero',
      signature: 'FailedRollout:scaled-to-zero',
      reason: 'ScalingDisabled',
      target: { kind: 'Deployment', namespace: 'shop', name: 'storefront' },
      pods: [],
    });
    expect(incidents[0]?.evidence.notes[0]).toBe('hpa storefront: minReplicas 3, maxReplicas 6');
    expect(incidents[0]?.message).toContain('requires at least 3');
    expect(hpaMinReplicasOf(incidents[0]!)).toBe(3);
  });

  it.each([
    {
      why: 'a Deployment back at the HPA minimum is healthy: nothing to report',
      mutate: (items: ReturnType<typeof loadItems>) => {
        deploymentOf(items, 'storefront').spec!.replicas = 3;
      },
    },
    {
      why: 'spec.replicas absent defaults to 1, never zero',
      mutate: (items: ReturnType<typeof loadItems>) => {
        delete deploymentOf(items, 'storefront').spec!.replicas;
      },
    },
    {
      why: 'an HPA over another kind (StatefulSet) is not this detector\'s business',
      mutate: (items: ReturnType<typeof loadItems>) => {
        hpaOf(items, 'storefront').spec!.scaleTargetRef = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'storefront' };
      },
    },
    {
      why: 'an HPA whose Deployment is not in the snapshot (deleted): nothing to scale back',
      mutate: (items: ReturnType<typeof loadItems>) => {
        hpaOf(items, 'storefront').spec!.scaleTargetRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'gone' };
      },
    },
  ])('near miss: $why', ({ mutate }) => {
    const items = loadItems('scaled-to-zero.json');
    mutate(items);
    expect(detect(snapshotOf(items)).incidents).toEqual([]);
  });

  it('reports before the HPA controller has noticed, and says so', () => {
    // Why: the condition is the controller's opinion; replicas 0 under minReplicas ≥ 1 is the fact.
    const items = loadItems('scaled-to-zero.json');
    hpaOf(items, 'storefront').status!.conditions = [];
    const [incident] = detect(snapshotOf(items)).incidents;
    expect(incident).toMatchObject({ subReason: 'scaled-to-zero', reason: 'ScaledToZero' });
    expect(incident?.unknowns.join('\n')).toContain('ScalingDisabled');
  });

  it('keeps a stable fingerprint across detections of the same failure', () => {
    // Why: the schedule starts one execution per fingerprint; a different one each minute would start many.
    const first = detect(snapshotOf(loadItems('scaled-to-zero.json'))).incidents[0];
    const later = detect(snapshotOf(loadItems('scaled-to-zero.json'), '2026-11-23T14:05:00Z')).incidents[0];
    expect(later?.fingerprint).toBe(first?.fingerprint);
  });

  it('honours the ignore annotation on the Deployment', () => {
    // Why: scaling acts on the Deployment; its owner said hands off.
    const items = loadItems('scaled-to-zero.json');
    const d = deploymentOf(items, 'storefront');
    d.metadata!.annotations = { ...d.metadata!.annotations, 'eks-reflexion.io/ignore': 'true' };
    const { incidents, skipped } = detect(snapshotOf(items));
    expect(incidents).toEqual([]);
    expect(skipped.map((s) => s.object)).toEqual(['Deployment shop/storefront']);
  });

  const zeroFact = (minReplicas: number) => ({ kind: 'ScaledToZero' as const, hpa: 'web', minReplicas, scalingDisabled: true });
  it.each([
    { why: 'another kind never carries a minimum', incident: { kind: 'HpaAtMax' as const, subReason: 'scaled-to-zero', facts: [zeroFact(3)] }, expected: undefined },
    { why: 'a scaled-to-zero incident without the fact: unknown, not a guess', incident: { kind: 'FailedRollout' as const, subReason: 'scaled-to-zero', facts: [] }, expected: undefined },
    // Why: the notes are for people; a note that reads like the old wording is not read back.
    { why: 'a note alone is not read back', incident: { kind: 'FailedRollout' as const, subReason: 'scaled-to-zero', evidence: { notes: ['hpa web: minReplicas 4, maxReplicas 8'] } }, expected: undefined },
    { why: 'the fact as the detector writes it', incident: { kind: 'FailedRollout' as const, subReason: 'scaled-to-zero', facts: [zeroFact(4)] }, expected: 4 },
  ])('hpaMinReplicasOf: $why', ({ incident, expected }) => {
    expect(hpaMinReplicasOf(incident as Parameters<typeof hpaMinReplicasOf>[0])).toBe(expected);
  });
});
