import type { Outcome } from '../../functions/domain/model';
import type { WorkflowState } from '../../functions/domain/workflow-state';
import type { ExecutionResult, StateVisit } from '../../functions/local/runner';
import type { FaultScenario } from '../sim/faults';
import type { InstanceGroundTruth } from '../sim/faults/kit';
import { mutations } from './counting-cluster';
import { startLocalStack, type LocalStack, type LocalStackOptions } from './local-stack';

/** Detection runs on the schedule: once a minute of cluster time. */
export const DETECT_INTERVAL_SECONDS = 60;
/** Simulator tick while watching a resolved incident for recurrence. */
const RECURRENCE_TICK_SECONDS = 15;
/** Give up detecting after this much cluster time (a control never shows a symptom). */
const DETECT_HORIZON_SECONDS = 5 * 60;

export interface TrialRecord {
  trial: number;
  action: string;
  mode: string;
  why: string;
  outcome: Outcome;
  reflection: string;
  /** What the bandit saw when it chose: each candidate's record so far, its posterior mean in this context, and why it was excluded. */
  candidates: { strategyId: string; action: string; successes: number; failures: number; mean?: number; excluded?: string }[];
  lessonsUsed: number;
  /** Cluster seconds from the trial's start to its end (action, verification, reflection). */
  durationSeconds: number;
}

/** What was really wrong with one instance and what fixes it (the benchmark's and the oracle's, never the system's). */
export type InstanceTruth = Pick<InstanceGroundTruth, 'cause' | 'rootCause' | 'fixable'> & { acceptableRemedies: string[]; maskingRemedies: string[] };

/** A control: nothing to fix and nothing to escalate (no fault, a namespace the policy protects). Any write is a false action. */
export const isControl = (truth: InstanceTruth) => !truth.fixable && truth.acceptableRemedies.length === 0;

/** Everything measured about one fault instance run through the whole local stack. */
export interface IncidentRun {
  fault: string;
  seed: number;
  memoryNamespace: string;
  /** The hidden cause drawn for this instance (a single-cause scenario: its own name); for reports only. */
  cause?: string;
  /** The instance's hidden cause and its remedies (the benchmark's, never the system's). */
  groundTruth: InstanceTruth;
  expectedFixable: boolean;
  detected: boolean;
  signature?: string;
  timeToDetectSeconds?: number;
  outcome?: Outcome;
  trials: number;
  firstTrialSuccess: boolean;
  resolved: boolean;
  /** The scenario's oracle decided success (healthy over its stability window, no collateral, no masking remedy). */
  oracleFixed: boolean;
  /** What the oracle saw, apart from what the system claims. */
  oracle: OracleVerdict;
  /** The oracle and the system's own verification disagree (resolved ≠ oracle success, for a fixable fault). */
  disagreement: boolean;
  /** The system's detector saw this resolved incident's failure again within the recurrence window (watchForRecurrence). */
  recurred: boolean;
  /** Cluster seconds from the resolved trial's end to the detection that found it again. */
  recurredAfterSeconds?: number;
  timeToRecoverSeconds?: number;
  workflowWallMs: number;
  transitions: number;
  lambdaInvocations: number;
  /** Cluster mutations the system made (dry runs and audit events excluded). */
  writes: number;
  /** Writes on a control scenario (no fault, protected namespace): must be 0. */
  falseActions: number;
  /** Resolved-claimed but the oracle disagrees, or the workload left worse than injected. */
  regression: boolean;
  /** DynamoDB requests the remediation made (detection passes and the workflow). */
  dynamoRequests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  trialsDetail: TrialRecord[];
  executions: string[];
}

export interface OracleVerdict {
  /** The target's healthy conditions held at every look over the stability window. */
  healthyOverWindow: boolean;
  windowSeconds: number;
  /** Collateral problems: another workload made worse, something touched in a protected namespace. */
  collateral: string[];
  /** Actions the system took that the ground truth calls masking (service back, cause left). */
  masked: string[];
  success: boolean;
}

/** Seconds between the oracle's looks over its stability window. */
const ORACLE_LOOK_SECONDS = 5;

export interface RunFaultOptions extends Pick<LocalStackOptions, 'policy' | 'dynamoEndpoint' | 'tables' | 'reasoner' | 'chaos' | 'decisionSeed' | 'wrapMemory' | 'logger'> {
  scenario: FaultScenario;
  seed: number;
  /** Factors on a family's cause weights for this instance (a mid-stream shift of the cause mix). */
  causeWeights?: Readonly<Record<string, number>>;
  memoryNamespace: string;
  onVisit?: (visit: StateVisit) => void;
  onPhase?: (phase: string) => void;
  /**
   * After a resolved incident and the oracle, keep the workload running on the virtual clock until the
   * policy's recurrence window (selection.recurrenceWindowMinutes) since the trial's end has passed, with a
   * detection pass every minute as in production: a fault the remedy only masked can come back, and the
   * system's own detector then counts it (app/recurrence). Executions those passes start are not run.
   */
  watchForRecurrence?: boolean;
  /** Called after the oracle, before the stack stops: evidence gathered from the cluster and the tables (the chaos bench). */
  inspect?: (stack: LocalStack, results: ExecutionResult[]) => Promise<void>;
}

/**
 * One fault instance, start to finish: a fresh simulated cluster, the healthy
 * baseline, the fault, scheduled detection passes until something is found
 * (or the horizon passes), every started execution run to its end, then the
 * scenario's oracle. Memory lives in DynamoDB under `memoryNamespace`, so runs
 * sharing a namespace learn from each other and runs that don't, can't.
 */
export async function runFault(options: RunFaultOptions): Promise<IncidentRun> {
  const { scenario, seed } = options;
  const instance = scenario.instantiate(seed, options.causeWeights ? { causeWeights: options.causeWeights } : {});
  // The instance's ground truth: a family's depends on the cause drawn for this seed.
  const { cause, rootCause, fixable, acceptableRemedies, maskingRemedies } = instance.groundTruth;
  const truth: InstanceTruth = { cause, rootCause, fixable, acceptableRemedies: [...acceptableRemedies], maskingRemedies: [...maskingRemedies] };
  const stack = await startLocalStack({
    seed,
    ...(options.decisionSeed !== undefined ? { decisionSeed: options.decisionSeed } : {}),
    ...(options.wrapMemory ? { wrapMemory: options.wrapMemory } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(scenario.nodes ? { nodes: scenario.nodes } : {}),
    memoryNamespace: options.memoryNamespace,
    ...(options.policy ? { policy: options.policy } : {}),
    ...(options.dynamoEndpoint ? { dynamoEndpoint: options.dynamoEndpoint } : {}),
    ...(options.tables ? { tables: options.tables } : {}),
    ...(options.reasoner ? { reasoner: options.reasoner } : {}),
    ...(options.onVisit ? { onVisit: options.onVisit } : {}),
    ...(options.chaos ? { chaos: options.chaos } : {}),
  });
  try {
    options.onPhase?.('setup');
    await instance.setup(stack.kube);
    await stack.sim.advance(120, 5);
    options.onPhase?.('inject');
    await instance.inject(stack.kube);
    const injectedAt = stack.sim.clock.now().getTime();
    const stopTimeline = instance.schedule?.(stack.kube, stack.sim.clock, injectedAt);
    const collateralBefore = await instance.judge?.snapshot(stack.kube);
    const writesBefore = stack.writes.length;
    const dynamoBefore = stack.dynamoRequests();

    let detectedAfter: number | undefined;
    let signature: string | undefined;
    for (let waited = 0; waited < DETECT_HORIZON_SECONDS; ) {
      await stack.sim.advance(DETECT_INTERVAL_SECONDS, 5);
      waited += DETECT_INTERVAL_SECONDS;
      const [summary] = await stack.detect();
      if (summary && summary.started.length > 0) {
        detectedAfter = (stack.sim.clock.now().getTime() - injectedAt) / 1000;
        signature = summary.started[0]?.signature;
        break;
      }
    }
    options.onPhase?.(detectedAfter === undefined ? 'nothing detected' : 'remediate');
    const results: ExecutionResult[] = detectedAfter === undefined ? [] : await stack.drain();
    const dynamoRequests = stack.dynamoRequests() - dynamoBefore;
    // Let the cluster settle, then ask the scenario's oracle at every look over its stability window.
    options.onPhase?.('judge');
    await stack.sim.advance(60, 5);
    const windowSeconds = instance.judge?.stabilityWindowSeconds ?? 0;
    let healthyOverWindow = await instance.oracle(stack.kube);
    for (let held = 0; held < windowSeconds && healthyOverWindow; held += ORACLE_LOOK_SECONDS) {
      await stack.sim.advance(ORACLE_LOOK_SECONDS, ORACLE_LOOK_SECONDS);
      healthyOverWindow = await instance.oracle(stack.kube);
    }
    stopTimeline?.();
    const collateral = collateralBefore && instance.judge ? instance.judge.problems(collateralBefore, await instance.judge.snapshot(stack.kube)) : [];
    await options.inspect?.(stack, results);

    const finals = results.map((r) => r.output as WorkflowState | undefined);
    const ownEpisodes = async () =>
      (await stack.memory.episodes.list({})).filter((e) => results.some((r) => r.name === e.executionId)).sort((a, b) => a.trial - b.trial);
    let mine = await ownEpisodes();
    let recurredAfterSeconds: number | undefined;
    const resolvedTrial = mine.find((e) => e.outcome === 'resolved');
    const windowMinutes = stack.policy.selection.recurrenceWindowMinutes;
    if (options.watchForRecurrence && resolvedTrial && windowMinutes > 0) {
      // The app model goes on as physics: a leak keeps leaking under a raised limit, a retry storm keeps retrying.
      options.onPhase?.('watch for recurrence');
      const endedAt = Date.parse(resolvedTrial.endedAt);
      while (stack.sim.clock.now().getTime() < endedAt + windowMinutes * 60_000) {
        // 15 s ticks (5 s elsewhere): a third of the cost over the half hour, and the app model's moments (an OOM
        // at its computed time, a probe period) still land within one detection interval.
        await stack.sim.advance(DETECT_INTERVAL_SECONDS, RECURRENCE_TICK_SECONDS);
        const [summary] = await stack.detect();
        if (summary?.recurred.includes(resolvedTrial.episodeId)) {
          recurredAfterSeconds = (stack.sim.clock.now().getTime() - endedAt) / 1000;
          break;
        }
      }
      mine = await ownEpisodes();
    }
    const trialsDetail: TrialRecord[] = mine.map((e) => ({
      trial: e.trial,
      action: e.decision?.action.action ?? 'none',
      mode: e.decision?.mode ?? 'none',
      why: e.decision?.why ?? '',
      outcome: e.outcome,
      reflection: e.reflection?.text ?? '',
      candidates: (e.decision?.candidates ?? []).map((c) => ({
        strategyId: c.strategyId,
        action: c.action,
        successes: c.successes,
        failures: c.failures,
        ...(c.mean !== undefined ? { mean: c.mean } : {}),
        ...(c.excluded ? { excluded: c.excluded } : {}),
      })),
      lessonsUsed: e.decision?.lessonsUsed.length ?? 0,
      durationSeconds: Math.max(0, (Date.parse(e.endedAt) - Date.parse(e.startedAt)) / 1000),
    }));
    const outcome = finals[0]?.outcome ?? (results[0]?.status === 'FAILED' ? 'escalated' : undefined);
    const resolved = outcome === 'resolved';
    const writes = mutations(stack.writes.slice(writesBefore)).length;
    const control = isControl(truth);
    const masking = new Set<string>(truth.maskingRemedies);
    const masked = trialsDetail.filter((t) => masking.has(t.action) && t.mode !== 'dry-run').map((t) => t.action);
    // Success by the oracle: for a fixable fault, the target healthy over the window; for a must-escalate
    // fault, an escalation; for a control, no write at all — and never with collateral damage or a masking remedy.
    const clean = collateral.length === 0 && masked.length === 0;
    const oracleSuccess = clean && (truth.fixable ? healthyOverWindow : control ? writes === 0 : outcome === 'escalated');
    const oracle: OracleVerdict = { healthyOverWindow, windowSeconds, collateral, masked, success: oracleSuccess };
    const usage = finals.reduce(
      (acc, f) => ({
        input: acc.input + (f?.usage.inputTokens ?? 0),
        output: acc.output + (f?.usage.outputTokens ?? 0),
        cost: acc.cost + (f?.usage.costUsd ?? 0),
      }),
      { input: 0, output: 0, cost: 0 },
    );
    return {
      fault: scenario.name,
      seed,
      memoryNamespace: options.memoryNamespace,
      cause: truth.cause,
      groundTruth: truth,
      expectedFixable: truth.fixable,
      detected: detectedAfter !== undefined,
      ...(signature ? { signature } : {}),
      ...(detectedAfter !== undefined ? { timeToDetectSeconds: detectedAfter } : {}),
      ...(outcome ? { outcome } : {}),
      trials: trialsDetail.length,
      firstTrialSuccess: trialsDetail[0]?.outcome === 'resolved',
      resolved,
      oracleFixed: oracleSuccess,
      oracle,
      disagreement: truth.fixable && detectedAfter !== undefined && resolved !== oracleSuccess,
      recurred: recurredAfterSeconds !== undefined,
      ...(recurredAfterSeconds !== undefined ? { recurredAfterSeconds } : {}),
      ...(resolved && mine.at(-1)?.timeToRecoverSeconds !== undefined ? { timeToRecoverSeconds: mine.at(-1)!.timeToRecoverSeconds! } : {}),
      workflowWallMs: results.reduce((s, r) => s + r.wallMs, 0),
      transitions: results.reduce((s, r) => s + r.transitions, 0),
      lambdaInvocations: results.reduce((s, r) => s + Object.entries(r.taskInvocations).filter(([k]) => k !== 'events:putEvents').reduce((a, [, v]) => a + (v ?? 0), 0), 0),
      writes,
      falseActions: control ? writes : 0,
      regression: (resolved && !healthyOverWindow) || mine.some((e) => e.verification?.worse === true && e.undo === undefined),
      dynamoRequests,
      inputTokens: usage.input,
      outputTokens: usage.output,
      costUsd: usage.cost,
      trialsDetail,
      executions: results.map((r) => r.name),
    };
  } finally {
    await stack.stop();
  }
}
