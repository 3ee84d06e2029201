import { describe, expect, it } from 'vitest';
import { DeterministicReasoner } from '../../functions/domain/deterministic-reasoner';
import type { Fact } from '../../functions/domain/facts';
import { lessonsForProposal } from '../../functions/domain/lessons';
import type { Lesson } from '../../functions/domain/model';
import { seededStrategies } from '../../functions/domain/seeded-strategies';
import { incident } from '../reasoner/fixtures';

/**
 * Lessons exclude strategies, not whole action names (#14): the HPA case the
 * issue names. A failed seeded ×1.5 raise must not keep the reasoner from
 * proposing its own metric-sized raise; SelectStrategy hands the reasoner its
 * lessons through lessonsForProposal, which is what this exercises with the
 * real deterministic reasoner.
 */
const facts: Fact[] = [{ kind: 'HpaAtMax', hpa: 'web', currentReplicas: 4, maxReplicas: 4, metricsAboveTarget: [{ name: 'cpu', current: 180, target: 70, unit: '%' }] }];
const inc = incident({ kind: 'HpaAtMax', subReason: 'cpu', target: { kind: 'HorizontalPodAutoscaler', namespace: 'shop', name: 'web' }, facts });
const seeded = seededStrategies(inc.signature, inc.kind);
const x15 = seeded.find((s) => s.action === 'patch_hpa' && s.template.max_replicas_factor === 1.5)!;
const reasoner = new DeterministicReasoner();
const propose = async (lessons: Lesson[]) => {
  const analysis = await reasoner.analyse({ incident: inc, lessons });
  return reasoner.propose({ incident: inc, analysis, lessons, candidates: seeded, previousReflections: [] });
};
const failedX15: Lesson = { text: 'patch_hpa did not fix HpaAtMax:cpu', signature: inc.signature, action: 'patch_hpa', outcome: 'failure', strategyId: x15.id };

describe('a failed seeded ×1.5 HPA raise', () => {
  it.each([
    // Why: the bug — the lesson as stored rules out every patch_hpa, the metric-sized one included.
    { why: 'raw lesson (before): the reasoner drops patch_hpa altogether', narrow: false, proposes: false },
    // Why: the fix — the lesson is about the ×1.5 strategy; the reasoner still sizes its own raise from the metric.
    { why: 'lesson narrowed to its strategy: the metric-sized raise is still proposed', narrow: true, proposes: true },
  ])('$why', async ({ narrow, proposes }) => {
    const lessons = narrow ? lessonsForProposal([failedX15], new Set(seeded.map((s) => s.id))) : [failedX15];
    const proposal = await propose(lessons);
    expect(proposal?.action.action === 'patch_hpa').toBe(proposes);
    if (proposes) expect(proposal?.action).toMatchObject({ action: 'patch_hpa', max_replicas: 13 });
  });

  it('the reasoner\'s own patch_hpa failing still rules patch_hpa out for it', async () => {
    const own: Lesson = { ...failedX15, strategyId: 'the-reasoners-own-hpa-arm' };
    const proposal = await propose(lessonsForProposal([own], new Set(seeded.map((s) => s.id))));
    expect(proposal?.action.action).not.toBe('patch_hpa');
  });
});
