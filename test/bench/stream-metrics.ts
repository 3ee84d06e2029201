import type { InstanceTruth, IncidentRun } from '../harness/fault-driver';
import { isControl } from '../harness/fault-driver';
import { lateStart } from './stream-plan';
import type { PlannedIncident } from './stream-plan';
import { pairedComparison, share, type Pair, type PairedComparison, type Share } from './stats';

/**
 * What the stream benchmark measures, from per-incident records (one JSONL
 * line each): per-arm metrics, learning and regret curves, the oracle arm
 * (computed from ground truth, never run) and the paired comparisons. Pure:
 * bench.json can be recomputed from the JSONL of a run that crashed.
 */

export const RUN_ARMS = ['memory-on', 'memory-off', 'reasoner-only', 'shuffled'] as const;
export type RunArm = (typeof RUN_ARMS)[number];
export type Arm = RunArm | 'oracle';
export const BASELINES = ['memory-off', 'reasoner-only', 'shuffled'] as const;

export interface TrialSummary {
  trial: number;
  action: string;
  mode: string;
  outcome: string;
  why: string;
  lessonsUsed: number;
  durationSeconds: number;
}

/** One incident of one arm: everything the metrics need, and the decisions for the report. */
export interface StreamIncident extends PlannedIncident {
  arm: Arm;
  truth: InstanceTruth;
  control: boolean;
  detected: boolean;
  outcome?: string;
  trials: number;
  firstAction?: string;
  /** The scenario's oracle: fixed (or rightly escalated / left alone) by the first trial. */
  firstTrialSuccess: boolean;
  /** The scenario's oracle, within max trials. */
  success: boolean;
  escalated: boolean;
  writes: number;
  falseActions: number;
  /** Cluster seconds spent on trials that did not fix it (all of them when nothing did). */
  extraSeconds: number;
  timeToRecoverSeconds?: number;
  wallMs: number;
  transitions: number;
  decisions: TrialSummary[];
  /** The system marked its resolved episode recurred (the same fingerprint detected again within the recurrence window). */
  recurred?: boolean;
  /** The incident could not be run (harness or simulator failure): kept, counted, and out of every share and pair. */
  error?: string;
}

/** The record of one run incident (the harness's IncidentRun, cut to what the bench keeps). */
export function incidentRecord(plan: PlannedIncident, arm: RunArm, run: IncidentRun, wallMs: number): StreamIncident {
  const control = isControl(run.groundTruth);
  const decisions = run.trialsDetail.map((t) => ({ trial: t.trial, action: t.action, mode: t.mode, outcome: t.outcome, why: t.why, lessonsUsed: t.lessonsUsed, durationSeconds: t.durationSeconds }));
  const spent = decisions.reduce((s, d) => s + d.durationSeconds, 0);
  const success = run.oracle.success;
  return {
    ...plan,
    arm,
    truth: run.groundTruth,
    control,
    detected: run.detected,
    ...(run.outcome ? { outcome: run.outcome } : {}),
    trials: run.trials,
    ...(decisions[0] ? { firstAction: decisions[0].action } : {}),
    // A control is right when left alone; anything else is right on trial 1 only if the oracle agrees after one trial.
    firstTrialSuccess: control ? run.writes === 0 : success && run.detected && run.trials <= 1,
    success,
    escalated: run.outcome === 'escalated',
    ...(run.recurred ? { recurred: true } : {}),
    writes: run.writes,
    falseActions: run.falseActions,
    // The oracle's own time is the successful trial; anything before it (or everything, unrecovered) is extra.
    extraSeconds: success ? spent - (decisions.at(-1)?.durationSeconds ?? 0) : spent,
    ...(run.timeToRecoverSeconds !== undefined ? { timeToRecoverSeconds: run.timeToRecoverSeconds } : {}),
    wallMs,
    transitions: run.transitions,
    decisions,
  };
}

/** An incident that could not be run: its error, nothing measured (out of every share and pair, counted apart). */
export function errorRecord(plan: PlannedIncident, arm: RunArm, error: unknown, wallMs: number): StreamIncident {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return {
    ...plan,
    arm,
    truth: { cause: 'unknown', rootCause: '', fixable: false, acceptableRemedies: [], maskingRemedies: [] },
    control: false,
    detected: false,
    outcome: 'error',
    trials: 0,
    firstTrialSuccess: false,
    success: false,
    escalated: false,
    writes: 0,
    falseActions: 0,
    extraSeconds: 0,
    wallMs,
    transitions: 0,
    decisions: [],
    error: message.slice(0, 2000),
  };
}

const measured = (r: StreamIncident) => r.error === undefined;

/** The oracle arm: knows the cause, takes an acceptable remedy first (or escalates, or leaves a control alone). */
export function oracleRecord(from: StreamIncident): StreamIncident {
  const first = from.control ? undefined : from.truth.acceptableRemedies[0];
  return {
    ...from,
    arm: 'oracle',
    detected: true,
    trials: from.control ? 0 : 1,
    ...(first ? { firstAction: first } : { firstAction: undefined }),
    firstTrialSuccess: true,
    success: true,
    escalated: !from.control && !from.truth.fixable,
    writes: 0,
    falseActions: 0,
    extraSeconds: 0,
    wallMs: 0,
    transitions: 0,
    decisions: [],
  };
}

export interface ArmMetrics {
  incidents: number;
  /** Incidents that could not be run (errorRecord): not in `incidents` nor in any share. */
  errors: number;
  controls: number;
  /** Non-control incidents in the last half of each stream, first trial judged by the oracle. */
  lateFirstTrialSuccess: Share;
  firstTrialSuccess: Share;
  successWithinMaxTrials: Share;
  regret: {
    /** Incidents whose first action was not the oracle's right one (a write on a control counts). */
    wrongFirstActions: number;
    /** Minutes of cluster time spent on trials that did not fix it. */
    extraMinutes: number;
    /** Non-control incidents the oracle would have fixed (or escalated) and this arm did not. */
    unrecovered: number;
  };
  falseActions: number;
  escalations: { total: number; correct: number; unnecessary: number };
  /** Incidents the system marked recurred: its resolved episode's fingerprint was detected again within the recurrence window. */
  recurrences: number;
  /** After the shift of the cause mix (families with a shift only). */
  reconvergence?: Reconvergence;
  curves: {
    /** Per position: mean first-trial success over the streams' non-control incidents there (null: none). */
    firstTrialSuccess: (number | null)[];
    /** Per position: mean over streams of wrong first actions so far. */
    cumulativeRegret: number[];
    /** Per position: mean over streams of extra minutes so far. */
    cumulativeExtraMinutes: number[];
  };
  wallMsPerIncident: number;
}

export interface Reconvergence {
  shiftAt: number;
  /** First-trial success in the late window before the shift (the level to return to). */
  before: Share;
  /** Right after the shift (the first window). */
  after: Share;
  /** Positions after the shift until a window of `window` positions is back within 5 points of `before`; null: not within the stream. */
  incidentsToReturn: number | null;
  window: number;
}

const RETURN_TOLERANCE = 0.05;

export function armMetrics(all: readonly StreamIncident[], length: number, shiftAt: number, shiftedFamilies: ReadonlySet<string>): ArmMetrics {
  const records = all.filter(measured);
  const real = records.filter((r) => !r.control);
  const late = real.filter((r) => r.index >= lateStart(length));
  const streams = [...new Set(records.map((r) => r.stream))];
  const wrong = (r: StreamIncident) => (r.control ? r.writes > 0 : !r.firstTrialSuccess);
  const curves: ArmMetrics['curves'] = { firstTrialSuccess: [], cumulativeRegret: [], cumulativeExtraMinutes: [] };
  const running = new Map(streams.map((s) => [s, { regret: 0, minutes: 0 }]));
  for (let p = 0; p < length; p++) {
    const here = records.filter((r) => r.index === p);
    const scored = here.filter((r) => !r.control);
    curves.firstTrialSuccess.push(scored.length ? scored.filter((r) => r.firstTrialSuccess).length / scored.length : null);
    for (const r of here) {
      const acc = running.get(r.stream)!;
      acc.regret += wrong(r) ? 1 : 0;
      acc.minutes += r.control ? 0 : r.extraSeconds / 60;
    }
    const accs = [...running.values()];
    curves.cumulativeRegret.push(accs.length ? accs.reduce((s, a) => s + a.regret, 0) / accs.length : 0);
    curves.cumulativeExtraMinutes.push(accs.length ? accs.reduce((s, a) => s + a.minutes, 0) / accs.length : 0);
  }
  const escalated = real.filter((r) => r.escalated);
  return {
    incidents: records.length,
    errors: all.length - records.length,
    controls: records.length - real.length,
    lateFirstTrialSuccess: share(late.map((r) => r.firstTrialSuccess)),
    firstTrialSuccess: share(real.map((r) => r.firstTrialSuccess)),
    successWithinMaxTrials: share(real.map((r) => r.success)),
    regret: {
      wrongFirstActions: records.filter(wrong).length,
      extraMinutes: real.reduce((s, r) => s + r.extraSeconds, 0) / 60,
      unrecovered: real.filter((r) => !r.success).length,
    },
    falseActions: records.reduce((s, r) => s + r.falseActions, 0),
    escalations: { total: escalated.length, correct: escalated.filter((r) => !r.truth.fixable).length, unnecessary: escalated.filter((r) => r.truth.fixable).length },
    recurrences: records.filter((r) => r.recurred === true).length,
    ...(shiftedFamilies.size > 0 && shiftAt < length ? { reconvergence: reconvergence(real.filter((r) => shiftedFamilies.has(r.family)), length, shiftAt) } : {}),
    curves,
    wallMsPerIncident: records.length ? records.reduce((s, r) => s + r.wallMs, 0) / records.length : 0,
  };
}

/**
 * Incidents until late-window success returns after the shift: the level is
 * the late window before the shift; from the shift on, windows of w positions
 * (pooled over streams) are compared with it.
 */
export function reconvergence(records: readonly StreamIncident[], length: number, shiftAt: number): Reconvergence {
  const from = Math.min(lateStart(length), Math.max(0, shiftAt - Math.ceil(length / 4)));
  const window = Math.max(2, Math.round(length / 10));
  const before = share(records.filter((r) => r.index >= from && r.index < shiftAt).map((r) => r.firstTrialSuccess));
  const at = (p: number) => share(records.filter((r) => r.index >= p && r.index < p + window).map((r) => r.firstTrialSuccess));
  let incidentsToReturn: number | null = null;
  for (let p = shiftAt; p + window <= length; p++) {
    const w = at(p);
    if (w.n > 0 && before.n > 0 && w.rate >= before.rate - RETURN_TOLERANCE) {
      incidentsToReturn = p - shiftAt;
      break;
    }
  }
  return { shiftAt, before, after: at(shiftAt), incidentsToReturn, window };
}

export interface Comparison extends PairedComparison {
  a: Arm;
  b: Arm;
  metric: 'lateFirstTrialSuccess' | 'successWithinMaxTrials';
}

/** Pairs arm a's and arm b's records by (stream, position), per stream, for one metric. */
export function compare(records: readonly StreamIncident[], a: Arm, b: Arm, metric: Comparison['metric'], length: number, options: { resamples?: number; seed?: number } = {}): Comparison {
  const key = (r: StreamIncident) => `${r.stream}:${r.index}`;
  const of = new Map(records.filter((r) => r.arm === b && measured(r)).map((r) => [key(r), r]));
  const streams = new Map<number, Pair[]>();
  for (const r of records) {
    if (r.arm !== a || r.control || !measured(r)) continue;
    const other = of.get(key(r));
    if (!other) continue; // not run yet (a partial report) or never
    if (metric === 'lateFirstTrialSuccess' && r.index < lateStart(length)) continue;
    const pair = metric === 'lateFirstTrialSuccess' ? { a: r.firstTrialSuccess, b: other.firstTrialSuccess } : { a: r.success, b: other.success };
    streams.set(r.stream, [...(streams.get(r.stream) ?? []), pair]);
  }
  const ordered = [...streams.keys()].sort((x, y) => x - y).map((s) => streams.get(s)!);
  return { a, b, metric, ...pairedComparison(ordered, options) };
}

/** memory-on against every baseline, for both success metrics. */
export function comparisons(records: readonly StreamIncident[], length: number, options: { resamples?: number; seed?: number } = {}): Comparison[] {
  return (['lateFirstTrialSuccess', 'successWithinMaxTrials'] as const).flatMap((metric) => BASELINES.map((b) => compare(records, 'memory-on', b, metric, length, options)));
}

/** A family as the bench reports it: who wrote it, its causes, whether the right remedy depends on the hidden cause. */
export interface FamilyInfo {
  name: string;
  authors: string[];
  source?: string;
  causes: string[];
  /**
   * True when no single remedy is acceptable for every cause: the right first
   * action depends on the hidden cause, so there is something to learn. False
   * families "cannot change" by learning the cause and are reported apart.
   */
  latentChoice: boolean;
  /** The cause-mix factors applied from the shift point on (none: the family does not shift). */
  shift?: Record<string, number>;
}

export interface StreamSummary {
  arms: Partial<Record<Arm, ArmMetrics>>;
  comparisons: Comparison[];
  perFamily: Record<string, { latentChoice: boolean; arms: Partial<Record<Arm, ArmMetrics>>; comparisons: Comparison[] }>;
  /** Families whose right remedy depends on the hidden cause, and the rest, pooled apart. */
  groups: Record<'latent' | 'fixed', { families: string[]; arms: Partial<Record<Arm, ArmMetrics>>; comparisons: Comparison[] }>;
}

/** Everything bench.json says about outcomes, from the records so far (oracle records added here). */
export function summarise(runRecords: readonly StreamIncident[], families: readonly FamilyInfo[], length: number, shiftAt: number, options: { resamples?: number; seed?: number } = {}): StreamSummary {
  const oracle = new Map<string, StreamIncident>();
  for (const r of runRecords) if (measured(r) && !oracle.has(`${r.stream}:${r.index}`)) oracle.set(`${r.stream}:${r.index}`, oracleRecord(r));
  const records = [...runRecords, ...oracle.values()];
  const shifted = new Set(families.filter((f) => f.shift).map((f) => f.name));
  const block = (subset: readonly StreamIncident[]) => {
    const arms: Partial<Record<Arm, ArmMetrics>> = {};
    for (const arm of [...RUN_ARMS, 'oracle'] as const) {
      const mine = subset.filter((r) => r.arm === arm);
      if (mine.length > 0) arms[arm] = armMetrics(mine, length, shiftAt, shifted);
    }
    return { arms, comparisons: comparisons(subset, length, options) };
  };
  const inFamilies = (names: readonly string[]) => records.filter((r) => names.includes(r.family));
  const latent = families.filter((f) => f.latentChoice).map((f) => f.name);
  const fixed = families.filter((f) => !f.latentChoice).map((f) => f.name);
  return {
    ...block(records),
    perFamily: Object.fromEntries(families.map((f) => [f.name, { latentChoice: f.latentChoice, ...block(inFamilies([f.name])) }])),
    groups: { latent: { families: latent, ...block(inFamilies(latent)) }, fixed: { families: fixed, ...block(inFamilies(fixed)) } },
  };
}
