import type { ActionName } from './actions';
import { rateEstimate, type RateEstimate } from './credible-interval';

/**
 * The trust ladder (#16 item 4), pure: what an operator did to a workload
 * after a decision the system only proposed (observe / dry-run), whether
 * that agrees with the proposal, and per signature × strategy (the
 * catalogue action proposed; its strategy ids are listed) × namespace
 * the agreement and recovery rates with n and 95 % Beta credible intervals
 * (credible-interval.ts), and which strategies meet a promotion threshold.
 * The report proposes; promotion stays a change an operator makes to the
 * policy.
 */

/** What an operator's change to the workload looked like, read from its spec and revisions. */
export type OperatorChangeKind = 'rollback' | 'image' | 'scale' | 'resources' | 'probe' | 'hpa' | 'restart' | 'pod-deletion';

export interface OperatorChange {
  kind: OperatorChangeKind;
  /** Field-level description (e.g. `replicas 2 → 4`). */
  detail: string;
  /** For scale: +1 up, -1 down. */
  direction?: 1 | -1;
}

/** The operator changes that count as doing what the proposed action would have done. */
const MATCHES: Record<ActionName, readonly OperatorChangeKind[]> = {
  // Setting the image back to an earlier one reuses that revision's ReplicaSet: a rollback by another name.
  rollback_deployment: ['rollback'],
  patch_image: ['image', 'rollback'],
  scale_deployment: ['scale'],
  patch_resources: ['resources'],
  patch_probe: ['probe'],
  patch_hpa: ['hpa'],
  rollout_restart: ['restart', 'pod-deletion'],
  restart_pod: ['pod-deletion', 'restart'],
  escalate: [],
} as Record<ActionName, readonly OperatorChangeKind[]>;

/** One proposal set against what followed it. */
export interface ShadowEvaluation {
  episodeId: string;
  signature: string;
  strategyId: string;
  action: ActionName;
  namespace: string;
  workload: string;
  decidedAt: string;
  /** `pending`: the window has not ended; `unreadable`: the workload is gone or could not be compared. */
  status: 'evaluated' | 'pending' | 'unreadable';
  changes: OperatorChange[];
  /** An operator changed something within the window. */
  operatorActed: boolean;
  /** What they did includes what the system proposed. */
  agreed: boolean;
  /** Healthy at the end of the window (available = desired, nothing failing). */
  recovered: boolean;
  note?: string;
  /** For a proposed scale: +1 up, -1 down. */
  proposedDirection?: 1 | -1;
}

/** Does what the operator did match the proposal? Scaling must go the same way. */
export function agrees(action: ActionName, changes: readonly OperatorChange[], proposedDirection?: 1 | -1): boolean {
  const wanted = MATCHES[action] ?? [];
  return changes.some((c) => wanted.includes(c.kind) && (c.kind !== 'scale' || proposedDirection === undefined || c.direction === proposedDirection));
}

export interface PromotionThreshold {
  /** Decisions with an operator action needed before a strategy can qualify. */
  minN: number;
  /** Lower bound of the agreement rate's 95 % interval. */
  minAgreementLow: number;
  /** Lower bound of the recovery rate's 95 % interval, over the agreeing decisions. */
  minRecoveryLow: number;
}

export const DEFAULT_PROMOTION_THRESHOLD: PromotionThreshold = { minN: 10, minAgreementLow: 0.8, minRecoveryLow: 0.7 };

export interface TrustRow {
  signature: string;
  /** The strategies (ids) that proposed this action for this signature here. */
  strategyIds: string[];
  action: ActionName;
  namespace: string;
  decisions: number;
  pending: number;
  unreadable: number;
  /** n of the agreement rate: evaluated decisions an operator acted on. */
  operatorActed: number;
  /** Operators did something the proposal would not have done. */
  agreement: RateEstimate;
  /** Of the agreeing decisions: the workload recovered. */
  recoveryWhenAgreed: RateEstimate;
  /** Of every evaluated decision: the workload recovered, whoever acted. */
  recovery: RateEstimate;
  qualifies: boolean;
  /** Why it does not qualify (or what it qualifies for). */
  verdict: string;
}

export interface TrustReport {
  threshold: PromotionThreshold;
  windowSeconds: number;
  rows: TrustRow[];
  /** The proposals: strategies whose evidence meets the threshold. A human changes the policy. */
  qualifying: { signature: string; strategyIds: string[]; action: ActionName; namespace: string; proposal: string }[];
}

const pct = (x: number) => `${Math.round(x * 100)} %`;

/** Groups evaluations per signature × strategy × namespace and applies the threshold. */
export function trustReport(
  evaluations: readonly ShadowEvaluation[],
  options: { threshold: PromotionThreshold; windowSeconds: number; approvalRequiredFor?: readonly string[] },
): TrustReport {
  const groups = new Map<string, ShadowEvaluation[]>();
  for (const e of evaluations) {
    // The strategies of one action are pooled: a policy (approvalRequiredFor, enforce) is set per action.
    const key = JSON.stringify([e.signature, e.action, e.namespace]);
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const t = options.threshold;
  const rows: TrustRow[] = [...groups.values()].map((g) => {
    const first = g[0]!;
    const evaluated = g.filter((e) => e.status === 'evaluated');
    const acted = evaluated.filter((e) => e.operatorActed);
    const agreed = acted.filter((e) => e.agreed);
    const agreement = rateEstimate(agreed.length, acted.length - agreed.length);
    const recoveredAgreed = agreed.filter((e) => e.recovered).length;
    const recoveryWhenAgreed = rateEstimate(recoveredAgreed, agreed.length - recoveredAgreed);
    const recoveredAll = evaluated.filter((e) => e.recovered).length;
    const recovery = rateEstimate(recoveredAll, evaluated.length - recoveredAll);
    const reasons: string[] = [];
    if (first.action === 'escalate') reasons.push('an escalation proposes no change to agree with');
    if (acted.length < t.minN) reasons.push(`n = ${acted.length} < ${t.minN}`);
    if (agreement.low < t.minAgreementLow) reasons.push(`agreement lower bound ${pct(agreement.low)} < ${pct(t.minAgreementLow)}`);
    if (recoveryWhenAgreed.low < t.minRecoveryLow) reasons.push(`recovery lower bound ${pct(recoveryWhenAgreed.low)} < ${pct(t.minRecoveryLow)}`);
    const qualifies = reasons.length === 0;
    return {
      signature: first.signature,
      strategyIds: [...new Set(g.map((e) => e.strategyId))].sort(),
      action: first.action,
      namespace: first.namespace,
      decisions: g.length,
      pending: g.filter((e) => e.status === 'pending').length,
      unreadable: g.filter((e) => e.status === 'unreadable').length,
      operatorActed: acted.length,
      agreement,
      recoveryWhenAgreed,
      recovery,
      qualifies,
      verdict: qualifies ? 'meets the threshold' : reasons.join('; '),
    };
  });
  rows.sort((a, b) => a.signature.localeCompare(b.signature) || a.namespace.localeCompare(b.namespace) || a.action.localeCompare(b.action));
  const qualifying = rows
    .filter((r) => r.qualifies)
    .map((r) => ({
      signature: r.signature,
      strategyIds: r.strategyIds,
      action: r.action,
      namespace: r.namespace,
      proposal: options.approvalRequiredFor?.includes(r.action)
        ? `${r.action} for ${r.signature} in ${r.namespace}: operators did the same in ${r.agreement.successes}/${r.operatorActed}; consider enforce without approval for it`
        : `${r.action} for ${r.signature} in ${r.namespace}: operators did the same in ${r.agreement.successes}/${r.operatorActed}; consider enforce for it`,
    }));
  return { threshold: t, windowSeconds: options.windowSeconds, rows, qualifying };
}
