import { describe, expect, it } from 'vitest';
import type { IncidentRun, InstanceTruth } from '../harness/fault-driver';
import { armMetrics, compare, incidentRecord, oracleRecord, reconvergence, summarise, type Arm, type StreamIncident } from './stream-metrics';

const FIXABLE: InstanceTruth = { cause: 'bad-config', rootCause: 'env lost', fixable: true, acceptableRemedies: ['rollback_deployment'], maskingRemedies: [] };
const ESCALATE: InstanceTruth = { cause: 'missing-secret', rootCause: 'no secret', fixable: false, acceptableRemedies: ['escalate'], maskingRemedies: ['rollback_deployment'] };
const CONTROL: InstanceTruth = { cause: 'none', rootCause: 'healthy', fixable: false, acceptableRemedies: [], maskingRemedies: [] };

/** A record with only what a case is about set. */
function rec(arm: Arm, stream: number, index: number, first: boolean, over: Partial<StreamIncident> = {}): StreamIncident {
  return {
    stream, index, family: 'f', instanceSeed: 1, decisionSeed: 2, shifted: false, arm, truth: FIXABLE, control: false, detected: true,
    trials: first ? 1 : 2, firstTrialSuccess: first, success: true, escalated: false, writes: 1, falseActions: 0,
    extraSeconds: first ? 0 : 120, wallMs: 10, transitions: 10, decisions: [], ...over,
  };
}

function run(over: Partial<IncidentRun> & { trialsDetail: IncidentRun['trialsDetail'] }): IncidentRun {
  return {
    fault: 'f', seed: 1, memoryNamespace: 'x', groundTruth: FIXABLE, expectedFixable: true, detected: true, trials: over.trialsDetail.length,
    firstTrialSuccess: false, resolved: true, oracleFixed: true, oracle: { healthyOverWindow: true, windowSeconds: 60, collateral: [], masked: [], success: true },
    disagreement: false, workflowWallMs: 1, transitions: 1, lambdaInvocations: 1, writes: 1, falseActions: 0, regression: false, dynamoRequests: 1,
    inputTokens: 0, outputTokens: 0, costUsd: 0, executions: [], recurred: false, ...over,
  };
}
const trial = (n: number, action: string, outcome: 'resolved' | 'failed' | 'escalated', durationSeconds: number) => ({
  trial: n, action, mode: 'exploit', why: 'w', outcome, reflection: '', candidates: [], lessonsUsed: 0, durationSeconds,
});
const PLAN = { stream: 0, index: 3, family: 'f', instanceSeed: 1, decisionSeed: 2, shifted: false };

describe('incidentRecord', () => {
  it.each([
    // Why each: these are the rules that decide "first action right" and the regret in minutes.
    { name: 'fixed by trial 1', r: run({ trialsDetail: [trial(1, 'rollback_deployment', 'resolved', 90)] }), first: true, extra: 0 },
    { name: 'fixed by trial 2: the first trial is extra', r: run({ trialsDetail: [trial(1, 'rollout_restart', 'failed', 150), trial(2, 'rollback_deployment', 'resolved', 90)] }), first: false, extra: 150 },
    {
      name: 'the system said resolved, the oracle did not: not a success, all time is extra',
      r: run({ oracleFixed: false, oracle: { healthyOverWindow: false, windowSeconds: 60, collateral: [], masked: [], success: false }, trialsDetail: [trial(1, 'rollout_restart', 'resolved', 60)] }),
      first: false,
      extra: 60,
    },
    { name: 'not detected at all: wrong (the oracle would have fixed it)', r: run({ detected: false, oracleFixed: false, oracle: { healthyOverWindow: false, windowSeconds: 60, collateral: [], masked: [], success: false }, trialsDetail: [] }), first: false, extra: 0 },
    { name: 'a control left alone is right', r: run({ groundTruth: CONTROL, detected: false, writes: 0, trialsDetail: [] }), first: true, extra: 0 },
    { name: 'a control written to is wrong', r: run({ groundTruth: CONTROL, detected: true, writes: 1, falseActions: 1, trialsDetail: [trial(1, 'rollout_restart', 'resolved', 60)] }), first: false, extra: 0 },
  ])('$name', ({ r, first, extra }) => {
    const record = incidentRecord(PLAN, 'memory-on', r, 5);
    expect(record.firstTrialSuccess).toBe(first);
    expect(record.extraSeconds).toBe(extra);
    expect(record).toMatchObject({ stream: 0, index: 3, arm: 'memory-on', wallMs: 5 });
  });

  it('the oracle arm: right first, no writes, escalates what cannot be fixed, leaves controls alone', () => {
    const escalate = oracleRecord(rec('memory-off', 0, 1, false, { truth: ESCALATE }));
    expect(escalate).toMatchObject({ arm: 'oracle', firstTrialSuccess: true, success: true, escalated: true, firstAction: 'escalate', writes: 0, extraSeconds: 0 });
    const control = oracleRecord(rec('memory-off', 0, 2, false, { truth: CONTROL, control: true }));
    expect(control).toMatchObject({ trials: 0, firstAction: undefined, escalated: false, writes: 0 });
  });
});

describe('armMetrics', () => {
  const length = 4;
  // Two streams of 4: positions 2 and 3 are the late window.
  const records = [
    rec('memory-on', 0, 0, false), rec('memory-on', 0, 1, false), rec('memory-on', 0, 2, true), rec('memory-on', 0, 3, true),
    rec('memory-on', 1, 0, true), rec('memory-on', 1, 1, false, { success: false, extraSeconds: 300 }),
    rec('memory-on', 1, 2, false, { truth: CONTROL, control: true, writes: 2, falseActions: 2 }), rec('memory-on', 1, 3, false, { escalated: true, success: false, extraSeconds: 60 }),
  ];
  const m = armMetrics(records, length, 4, new Set());

  it('late first-trial success is over the last half, controls excluded', () => {
    // Late, non-control: (0,2) ✓, (0,3) ✓, (1,3) ✗ → 2/3.
    expect(m.lateFirstTrialSuccess).toEqual({ rate: 2 / 3, successes: 2, n: 3 });
    expect(m.firstTrialSuccess.n).toBe(7);
    expect(m.successWithinMaxTrials).toEqual({ rate: 5 / 7, successes: 5, n: 7 });
  });

  it('regret: wrong first actions (a write on a control counts), extra minutes, unrecovered', () => {
    expect(m.regret).toEqual({ wrongFirstActions: 5, extraMinutes: (120 + 120 + 300 + 60) / 60, unrecovered: 2 });
    expect(m.falseActions).toBe(2);
    expect(m.escalations).toEqual({ total: 1, correct: 0, unnecessary: 1 });
  });

  it('curves: success by position over streams, cumulative regret averaged over streams', () => {
    expect(m.curves.firstTrialSuccess).toEqual([0.5, 0, 1, 0.5]);
    // Stream 0 wrong at 0, 1; stream 1 wrong at 1, 2 (control write), 3.
    expect(m.curves.cumulativeRegret).toEqual([0.5, 1.5, 2, 2.5]);
    expect(m.curves.cumulativeExtraMinutes.at(-1)).toBeCloseTo(10 / 2, 9);
  });
});

describe('reconvergence', () => {
  it('counts positions after the shift until a window is back within 5 points of the late level', () => {
    // T = 20, shift at 12: late window before it = positions 10, 11 (both right, level 100 %).
    // After the shift: wrong at 12, 13, 14, right from 15 on; window = 2 → first good window starts at 15.
    const records = Array.from({ length: 20 }, (_, i) => rec('memory-on', 0, i, i < 12 || i >= 15));
    const r = reconvergence(records, 20, 12);
    expect(r.window).toBe(2);
    expect(r.before.rate).toBe(1);
    expect(r.after.rate).toBe(0);
    expect(r.incidentsToReturn).toBe(3);
  });

  it('null when success never returns within the stream', () => {
    const records = Array.from({ length: 20 }, (_, i) => rec('memory-on', 0, i, i < 12));
    expect(reconvergence(records, 20, 12).incidentsToReturn).toBeNull();
  });
});

describe('compare and summarise', () => {
  it('pairs by (stream, position), late window only, and skips pairs not run yet', () => {
    const records = [
      rec('memory-on', 0, 2, true), rec('memory-off', 0, 2, false),
      rec('memory-on', 0, 3, true), rec('memory-off', 0, 3, true),
      rec('memory-on', 1, 2, false), rec('memory-off', 1, 2, true),
      rec('memory-on', 1, 3, true), // memory-off's (1, 3) is not there yet: unpaired
      rec('memory-on', 0, 0, true), rec('memory-off', 0, 0, false), // early: not in the late metric
    ];
    const c = compare(records, 'memory-on', 'memory-off', 'lateFirstTrialSuccess', 4, { resamples: 200 });
    expect(c).toMatchObject({ a: 'memory-on', b: 'memory-off', n: 3, streams: 2, aOnly: 1, bOnly: 1 });
    expect(c.diff).toBeCloseTo(0, 12);
  });

  it('adds the oracle arm and reports families whose remedy is fixed apart', () => {
    const records = [rec('memory-on', 0, 2, true), rec('memory-off', 0, 2, false, { family: 'g' }), rec('memory-on', 0, 3, false, { family: 'g' }), rec('memory-off', 0, 3, true, { family: 'g' })];
    records[0]!.family = 'g';
    const s = summarise(records, [{ name: 'g', authors: ['a'], causes: ['x', 'y'], latentChoice: true }, { name: 'h', authors: [], causes: ['h'], latentChoice: false }], 4, 4, { resamples: 100 });
    expect(s.arms.oracle?.lateFirstTrialSuccess).toEqual({ rate: 1, successes: 2, n: 2 });
    expect(s.groups.latent.families).toEqual(['g']);
    expect(s.groups.fixed.families).toEqual(['h']);
    expect(s.groups.fixed.comparisons.every((c) => c.n === 0)).toBe(true);
    expect(s.perFamily['g']?.comparisons.find((c) => c.b === 'memory-off' && c.metric === 'lateFirstTrialSuccess')?.n).toBe(2);
  });
});

describe('incidents that could not be run', () => {
  it('are counted per arm and kept out of every share, pair and oracle record', () => {
    // Stream 0 position 1 crashed in memory-on (a harness failure, session 4's 409): memory-off's success there must not be
    // paired with a failure memory-on never had, and the oracle arm must not count an incident nobody measured.
    const records = [
      rec('memory-on', 0, 1, false, { error: 'KubeApiError: 409 already exists', detected: false, success: false, outcome: 'error' }),
      rec('memory-off', 0, 1, true),
      rec('memory-on', 0, 2, true),
      rec('memory-off', 0, 2, false),
    ];
    const on = armMetrics(records.filter((r) => r.arm === 'memory-on'), 4, 4, new Set());
    expect(on).toMatchObject({ incidents: 1, errors: 1 });
    expect(on.firstTrialSuccess).toMatchObject({ n: 1, successes: 1 });
    const c = compare(records, 'memory-on', 'memory-off', 'successWithinMaxTrials', 4);
    expect(c.n).toBe(1);
    const s = summarise(records, [{ name: 'f', authors: [], causes: ['x'], latentChoice: true }], 4, 4, { resamples: 100 });
    expect(s.arms['oracle']?.incidents).toBe(2);
    expect(s.arms['memory-on']?.errors).toBe(1);
  });
});
