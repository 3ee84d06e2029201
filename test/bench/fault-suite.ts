import type { FaultScenario } from '../sim/faults';
import { runFault, type IncidentRun } from '../harness/fault-driver';

export interface Spread {
  mean: number;
  min: number;
  max: number;
  sd: number;
  n: number;
}

export function spread(values: number[]): Spread {
  const n = values.length;
  if (n === 0) return { mean: 0, min: 0, max: 0, sd: 0, n: 0 };
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
  return { mean, min: Math.min(...values), max: Math.max(...values), sd, n };
}

export interface ArmFigures {
  incidents: number;
  detected: number;
  /** Detected incidents the catalogue can fix (the denominator of the shares below). */
  fixable: number;
  /** Share of detected, fixable incidents the scenario's oracle calls fixed after one trial. */
  passAt1: number;
  /** Share of detected, fixable incidents the scenario's oracle calls fixed (within max trials). */
  successWithinMaxTrials: number;
  /** The same two shares by the system's own verification (reported beside the oracle's, never instead). */
  system: { passAt1: number; successWithinMaxTrials: number };
  /** Incidents where the oracle and the system's verification disagree. */
  disagreements: number;
  trialsPerIncident: Spread;
  timeToDetectSeconds: Spread;
  timeToRecoverSeconds: Spread;
  workflowWallMs: Spread;
  falseActions: number;
  regressions: number;
  /** Expected-unfixable incidents that ended escalated (what should happen). */
  escalatedCorrectly: number;
  inputTokensPerIncident: number;
  outputTokensPerIncident: number;
  costUsdPerIncident: number;
  transitionsPerIncident: number;
  lambdaInvocationsPerIncident: number;
}

export function figures(runs: IncidentRun[]): ArmFigures {
  const detected = runs.filter((r) => r.detected);
  const fixable = detected.filter((r) => r.expectedFixable);
  const share = (rs: IncidentRun[], p: (r: IncidentRun) => boolean) => (rs.length ? rs.filter(p).length / rs.length : 0);
  const per = (f: (r: IncidentRun) => number) => (runs.length ? runs.reduce((s, r) => s + f(r), 0) / runs.length : 0);
  return {
    incidents: runs.length,
    detected: detected.length,
    fixable: fixable.length,
    passAt1: share(fixable, (r) => r.oracleFixed && r.trials === 1),
    successWithinMaxTrials: share(fixable, (r) => r.oracleFixed),
    system: { passAt1: share(fixable, (r) => r.firstTrialSuccess), successWithinMaxTrials: share(fixable, (r) => r.resolved) },
    disagreements: runs.filter((r) => r.disagreement).length,
    trialsPerIncident: spread(fixable.map((r) => r.trials)),
    timeToDetectSeconds: spread(detected.map((r) => r.timeToDetectSeconds ?? 0)),
    timeToRecoverSeconds: spread(fixable.filter((r) => r.resolved).map((r) => r.timeToRecoverSeconds ?? 0)),
    workflowWallMs: spread(detected.map((r) => r.workflowWallMs)),
    falseActions: runs.reduce((s, r) => s + r.falseActions, 0),
    regressions: runs.filter((r) => r.regression).length,
    escalatedCorrectly: detected.filter((r) => !r.expectedFixable && r.outcome === 'escalated').length,
    inputTokensPerIncident: per((r) => r.inputTokens),
    outputTokensPerIncident: per((r) => r.outputTokens),
    costUsdPerIncident: per((r) => r.costUsd),
    transitionsPerIncident: per((r) => r.transitions),
    lambdaInvocationsPerIncident: per((r) => r.lambdaInvocations),
  };
}

export interface FaultSuiteResult {
  faults: string[];
  trainSeeds: number[];
  heldOutSeeds: number[];
  perFault: Record<string, { memoryOff: ArmFigures; memoryOn: ArmFigures }>;
  overall: { memoryOff: ArmFigures; memoryOn: ArmFigures };
  runs: { memoryOff: IncidentRun[]; memoryOnTraining: IncidentRun[]; memoryOn: IncidentRun[] };
}

/**
 * The two arms, honestly separated. Memory off: every held-out instance gets
 * a namespace of its own (nothing to remember). Memory on: one namespace,
 * warmed on training instances (other seeds: other names, images, sizes), then
 * measured on the same held-out instances as the baseline.
 */
export async function runFaultSuite(options: {
  scenarios: FaultScenario[];
  seeds: number;
  trainSeeds: number;
  runId: string;
  dynamoEndpoint: string;
  tables: { episodes: string; strategies: string; locks: string };
  onRun?: (arm: string, run: IncidentRun) => void;
}): Promise<FaultSuiteResult> {
  const heldOut = Array.from({ length: options.seeds }, (_, i) => 10_000 + i);
  const train = Array.from({ length: options.trainSeeds }, (_, i) => 1 + i);
  const memoryOff: IncidentRun[] = [];
  const memoryOnTraining: IncidentRun[] = [];
  const memoryOn: IncidentRun[] = [];
  const common = { dynamoEndpoint: options.dynamoEndpoint, tables: options.tables };
  const onNamespace = `bench-on-${options.runId}`;

  // The arms share nothing but the DynamoDB server (namespaces keep them apart),
  // so they run side by side: one per core.
  const offArm = async () => {
    for (const [index, scenario] of options.scenarios.entries()) {
      for (const seed of heldOut) {
        // Namespaces are at most 40 characters: the scenario's index keeps them unique.
        const run = await runFault({ ...common, scenario, seed, memoryNamespace: `bench-off-${options.runId}-${seed}-${index}` });
        memoryOff.push(run);
        options.onRun?.('memory-off', run);
      }
    }
  };
  const onArm = async () => {
    for (const scenario of options.scenarios) {
      for (const seed of train) {
        const run = await runFault({ ...common, scenario, seed, memoryNamespace: onNamespace });
        memoryOnTraining.push(run);
        options.onRun?.('memory-on (training)', run);
      }
    }
    for (const scenario of options.scenarios) {
      for (const seed of heldOut) {
        const run = await runFault({ ...common, scenario, seed, memoryNamespace: onNamespace });
        memoryOn.push(run);
        options.onRun?.('memory-on', run);
      }
    }
  };
  await Promise.all([offArm(), onArm()]);

  const names = options.scenarios.map((s) => s.name);
  const perFault = Object.fromEntries(
    names.map((name) => [
      name,
      { memoryOff: figures(memoryOff.filter((r) => r.fault === name)), memoryOn: figures(memoryOn.filter((r) => r.fault === name)) },
    ]),
  );
  return {
    faults: names,
    trainSeeds: train,
    heldOutSeeds: heldOut,
    perFault,
    overall: { memoryOff: figures(memoryOff), memoryOn: figures(memoryOn) },
    runs: { memoryOff, memoryOnTraining, memoryOn },
  };
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
/** A share is only meaningful over fixable incidents; controls and must-escalate faults have none. */
const share = (f: ArmFigures, x: number) => (f.fixable > 0 ? pct(x) : 'n/a');
const num = (s: Spread, digits = 1) => (s.n ? `${s.mean.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})` : '—');

/** The system's own verdict beside the oracle's: pass@1 / success, both arms. */
const systemCell = (f: { memoryOff: ArmFigures; memoryOn: ArmFigures }) =>
  f.memoryOff.fixable + f.memoryOn.fixable > 0
    ? `${pct(f.memoryOff.system.passAt1)} / ${pct(f.memoryOff.system.successWithinMaxTrials)} → ${pct(f.memoryOn.system.passAt1)} / ${pct(f.memoryOn.system.successWithinMaxTrials)}`
    : 'n/a';

export function faultSuiteMarkdown(result: FaultSuiteResult): string {
  const rows = Object.entries(result.perFault).map(([name, f]) =>
    `| ${name} | ${share(f.memoryOff, f.memoryOff.passAt1)} → ${share(f.memoryOn, f.memoryOn.passAt1)} | ${share(f.memoryOff, f.memoryOff.successWithinMaxTrials)} → ${share(f.memoryOn, f.memoryOn.successWithinMaxTrials)} | ${systemCell(f)} | ${f.memoryOff.disagreements + f.memoryOn.disagreements} | ${num(f.memoryOff.trialsPerIncident, 2)} → ${num(f.memoryOn.trialsPerIncident, 2)} | ${num(f.memoryOn.timeToDetectSeconds, 0)} | ${num(f.memoryOff.timeToRecoverSeconds, 0)} → ${num(f.memoryOn.timeToRecoverSeconds, 0)} | ${num(f.memoryOn.workflowWallMs, 0)} | ${f.memoryOff.falseActions + f.memoryOn.falseActions} | ${f.memoryOff.regressions + f.memoryOn.regressions} |`,
  );
  const o = result.overall;
  return [
    `Held-out seeds ${result.heldOutSeeds.join(', ')}; memory warmed on seeds ${result.trainSeeds.join(', ')}. Cells read "memory off → memory on"; spreads are mean (min–max) across seeds. Success is the scenario's oracle (its healthy conditions held over the stability window, no collateral damage, no masking remedy); the system's own verdict (pass@1 / success) is shown beside it, with the incidents where the two disagree. Times to detect and recover are simulated cluster seconds (detection every 60 s); wall is the workflow's compute on this machine.`,
    '',
    '| fault | pass@1 (oracle) | success ≤ max trials (oracle) | system says (pass@1 / success) | disagreements | trials / incident | time to detect (s) | time to recover (s) | workflow wall (ms) | false actions | regressions |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    `| **overall** | **${pct(o.memoryOff.passAt1)} → ${pct(o.memoryOn.passAt1)}** | **${pct(o.memoryOff.successWithinMaxTrials)} → ${pct(o.memoryOn.successWithinMaxTrials)}** | ${systemCell(o)} | ${o.memoryOff.disagreements + o.memoryOn.disagreements} | **${num(o.memoryOff.trialsPerIncident, 2)} → ${num(o.memoryOn.trialsPerIncident, 2)}** | ${num(o.memoryOn.timeToDetectSeconds, 0)} | ${num(o.memoryOff.timeToRecoverSeconds, 0)} → ${num(o.memoryOn.timeToRecoverSeconds, 0)} | ${num(o.memoryOn.workflowWallMs, 0)} | ${o.memoryOff.falseActions + o.memoryOn.falseActions} | ${o.memoryOff.regressions + o.memoryOn.regressions} |`,
    '',
    `Reasoner: ${o.memoryOn.inputTokensPerIncident.toFixed(0)} input + ${o.memoryOn.outputTokensPerIncident.toFixed(0)} output tokens and $${o.memoryOn.costUsdPerIncident.toFixed(4)} per incident (the deterministic reasoner uses none).`,
  ].join('\n');
}
