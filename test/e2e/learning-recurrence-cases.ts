import type { FaultScenario } from '../sim/faults';
import { loadFamilies } from '../sim/faults';

/**
 * The masked-fault pair the recurrence tests share (the detector's path in
 * learning-recurrence.test.ts, the alert webhook's in
 * test/alerts/alerts-recurrence.test.ts): in oom-after-release the reasoner
 * proposes raising the limit, and verification judges it resolved for both
 * causes; only the leak comes back under the bigger limit.
 */
export const OOM_AFTER_RELEASE: FaultScenario = loadFamilies().find((f) => f.name === 'oom-after-release')!;

export const MASKED_OR_FIXED: { cause: string; weights: Record<string, number>; recurs: boolean }[] = [
  // Why each case: the same first action, judged resolved by verification both times; only physics tells them apart.
  { cause: 'leak-in-release', weights: { 'working-set-grew': 0, 'limit-and-probe-regression': 0 }, recurs: true },
  // Why: a remedy that really fixed the workload must never be revised, whatever path sees the workload next.
  { cause: 'working-set-grew', weights: { 'leak-in-release': 0, 'limit-and-probe-regression': 0 }, recurs: false },
];
