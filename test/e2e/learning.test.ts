import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../functions/local/dynamodb-local';
import { runFault, type IncidentRun } from '../harness/fault-driver';
import { FAULTS } from '../sim/faults';

/**
 * Reflexion's claim on the simulator, on the fault where the seeded
 * candidates disagree (a crash loop from a bad new revision: rollback fixes
 * it, a rollout restart cannot): repeated over fresh instances (other
 * names, images, sizes), a fault is fixed with fewer wrong tries when memory
 * is on, and memory off cannot improve because it never sees a statistic or a
 * lesson. Seeds are fixed, so the run is deterministic.
 */
const FAULT_NAMES = ['crashloop-bad-config'];
const SEEDS = [101, 102, 103, 104, 105, 106, 107, 108];

describe('learning over repeated incidents', () => {
  let dynamo: DynamoDbLocal;
  const on: IncidentRun[] = [];
  const off: IncidentRun[] = [];
  const tables = { episodes: 'learn-episodes', strategies: 'learn-strategies', locks: 'learn-locks' };

  beforeAll(async () => {
    dynamo = await startDynamoDbLocal();
    for (const name of FAULT_NAMES) {
      for (const [i, seed] of SEEDS.entries()) {
        const common = { scenario: FAULTS[name]!, seed, dynamoEndpoint: dynamo.endpoint, tables };
        off.push(await runFault({ ...common, memoryNamespace: `learn-off-${FAULT_NAMES.indexOf(name)}-${i}` }));
        on.push(await runFault({ ...common, memoryNamespace: 'learn-on' }));
      }
    }
  }, 600_000);
  afterAll(async () => {
    await dynamo?.stop();
  });

  const firstTrials = (runs: IncidentRun[]) => runs.flatMap((r) => r.trialsDetail.filter((t) => t.trial === 1));
  const pass1 = (runs: IncidentRun[]) => runs.filter((r) => r.firstTrialSuccess).length / runs.length;
  const trials = (runs: IncidentRun[]) => runs.reduce((s, r) => s + r.trials, 0) / runs.length;
  const half = (runs: IncidentRun[], which: 0 | 1) =>
    FAULT_NAMES.flatMap((f) => {
      const mine = runs.filter((r) => r.fault === f);
      return which === 0 ? mine.slice(0, mine.length / 2) : mine.slice(mine.length / 2);
    });

  it('every instance was detected and ended resolved, in both arms', () => {
    // Why: a learning curve over incidents that were never detected or never fixed says nothing.
    expect(on.map((r) => [r.fault, r.detected, r.oracleFixed])).toEqual(off.map((r) => [r.fault, true, true]));
  });

  it('memory off never sees a statistic or a lesson: it cannot learn', () => {
    for (const t of firstTrials(off)) {
      expect(t.lessonsUsed).toBe(0);
      expect(t.candidates.every((c) => c.successes === 0 && c.failures === 0)).toBe(true);
    }
  });

  it('memory on feeds earlier outcomes into later decisions', () => {
    // After the first instance of each fault, the decision sees counted outcomes and lessons.
    const later = FAULT_NAMES.flatMap((f) => on.filter((r) => r.fault === f).slice(1));
    for (const r of later) {
      const t = r.trialsDetail[0]!;
      expect(t.lessonsUsed).toBeGreaterThan(0);
      expect(t.candidates.some((c) => c.successes + c.failures > 0)).toBe(true);
    }
  });

  it('with memory on, first-trial success rises and trials per incident fall', () => {
    const figures = {
      on: { early: pass1(half(on, 0)), late: pass1(half(on, 1)), earlyTrials: trials(half(on, 0)), lateTrials: trials(half(on, 1)) },
      off: { early: pass1(half(off, 0)), late: pass1(half(off, 1)), earlyTrials: trials(half(off, 0)), lateTrials: trials(half(off, 1)) },
    };
    console.log('learning figures', JSON.stringify(figures));
    expect(figures.on.late).toBeGreaterThan(figures.on.early);
    expect(figures.on.lateTrials).toBeLessThan(figures.on.earlyTrials);
    expect(figures.on.late).toBe(1);
  });

  it('the strategy that failed is the one memory stops choosing', () => {
    // Why: "learning" must mean the failing arm loses probability, not luck.
    // Memory off keeps drawing from equal priors, so its wrong-first-choice rate cannot trend.
    const wrongFirst = (runs: IncidentRun[]) => runs.filter((r) => r.trialsDetail[0]?.outcome === 'failed').map((r) => r.trialsDetail[0]!.action);
    const lastOn = on.at(-1)!.trialsDetail[0]!;
    const failing = lastOn.candidates.filter((c) => c.failures > 0);
    expect(failing.length).toBeGreaterThan(0);
    expect(failing.every((c) => c.successes === 0)).toBe(true);
    expect(new Set(wrongFirst(on))).toEqual(new Set(failing.map((c) => c.action)));
    expect(wrongFirst(half(on, 1))).toEqual([]);
  });
});
