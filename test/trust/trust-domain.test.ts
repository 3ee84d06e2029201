import { describe, expect, it } from 'vitest';
import type { ActionName } from '../../functions/domain/actions';
import { agrees, trustReport, type OperatorChange, type ShadowEvaluation } from '../../functions/domain/trust';

describe('agrees', () => {
  const c = (kind: OperatorChange['kind'], direction?: 1 | -1): OperatorChange => ({ kind, detail: kind, ...(direction ? { direction } : {}) });
  // Each case is one pairing of a proposal with what an operator did; the reason is in the name.
  it.each<[string, ActionName, OperatorChange[], (1 | -1) | undefined, boolean]>([
    ['rollback proposed, rollout undo done', 'rollback_deployment', [c('rollback')], undefined, true],
    ['rollback proposed, a new image set (not a revision of the history)', 'rollback_deployment', [c('image')], undefined, false],
    ['patch_image proposed, an earlier image set (reuses its revision)', 'patch_image', [c('rollback')], undefined, true],
    ['scale up proposed, scaled up', 'scale_deployment', [c('scale', 1)], 1, true],
    ['scale up proposed, scaled down', 'scale_deployment', [c('scale', -1)], 1, false],
    ['resources proposed, resources and a scale done', 'patch_resources', [c('scale', 1), c('resources')], undefined, true],
    ['probe proposed, nothing done', 'patch_probe', [], undefined, false],
    ['restart proposed, pods deleted', 'rollout_restart', [c('pod-deletion')], undefined, true],
    ['HPA proposed, HPA max raised', 'patch_hpa', [c('hpa')], undefined, true],
    ['escalation proposed: no change can agree', 'escalate', [c('rollback')], undefined, false],
  ])('%s', (_why, action, changes, direction, expected) => {
    expect(agrees(action, changes, direction)).toBe(expected);
  });
});

describe('trustReport', () => {
  const e = (over: Partial<ShadowEvaluation>): ShadowEvaluation => ({
    episodeId: 'x',
    signature: 'S',
    strategyId: 's1',
    action: 'rollback_deployment',
    namespace: 'shop',
    workload: 'web',
    decidedAt: '2026-01-01T00:00:00Z',
    status: 'evaluated',
    changes: [],
    operatorActed: true,
    agreed: true,
    recovered: true,
    ...over,
  });
  const threshold = { minN: 10, minAgreementLow: 0.7, minRecoveryLow: 0.7 };

  it('twelve agreeing, recovered decisions qualify; the proposal names the action, and no-approval when it needs approval', () => {
    const r = trustReport(Array.from({ length: 12 }, (_, i) => e({ episodeId: `e${i}`, strategyId: i % 2 ? 's1' : 's2' })), { threshold, windowSeconds: 600, approvalRequiredFor: ['rollback_deployment'] });
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]).toMatchObject({ strategyIds: ['s1', 's2'], operatorActed: 12, qualifies: true });
    expect(r.rows[0]!.agreement.low).toBeGreaterThan(0.7);
    expect(r.qualifying[0]!.proposal).toMatch(/12\/12; consider enforce without approval/);
  });

  it('decisions operators did not act on, pending ones and unreadable ones do not count towards n', () => {
    const evaluations = [
      ...Array.from({ length: 12 }, () => e({ operatorActed: false, agreed: false })),
      e({ status: 'pending', operatorActed: false }),
      e({ status: 'unreadable', operatorActed: false }),
    ];
    const [row] = trustReport(evaluations, { threshold, windowSeconds: 600 }).rows;
    expect(row).toMatchObject({ decisions: 14, pending: 1, unreadable: 1, operatorActed: 0, qualifies: false });
    expect(row!.verdict).toMatch(/n = 0 < 10/);
  });

  it('agreement without recovery does not qualify (operators did it too, and it did not help)', () => {
    const [row] = trustReport(Array.from({ length: 12 }, () => e({ recovered: false })), { threshold, windowSeconds: 600 }).rows;
    expect(row).toMatchObject({ qualifies: false });
    expect(row!.verdict).toMatch(/recovery lower bound/);
  });

  it('separate namespaces and signatures are separate rows', () => {
    const r = trustReport([e({}), e({ namespace: 'pay' }), e({ signature: 'T' })], { threshold, windowSeconds: 600 });
    expect(r.rows.map((x) => `${x.signature}/${x.namespace}`)).toEqual(['S/pay', 'S/shop', 'T/shop']);
  });
});
