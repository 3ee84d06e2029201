import { mulberry32 } from '../../functions/domain/selection';
import { PolicyConfigSchema, type PolicyConfigInput } from '../../functions/domain/policy-config';
import type { StateVisit } from '../../functions/local/runner';
import type { Logger } from '../../functions/ports/logger';
import { runFault, type IncidentRun } from '../harness/fault-driver';
import type { FaultScenario } from '../sim/faults';
import { hashSeed } from './stats';
import { errorRecord, incidentRecord, type RunArm, type StreamIncident } from './stream-metrics';
import type { PlannedIncident } from './stream-plan';
import { newShufflePool, shuffledOutcomes } from './stream-shuffle';

/**
 * One unit of the stream benchmark: one arm through one stream, incident by
 * incident, in order (memory carries over inside the unit and nowhere else).
 * Units are independent, so they run in any order, in this process or in a
 * worker process.
 */
export interface StreamUnit {
  stream: number;
  arm: RunArm;
  incidents: PlannedIncident[];
}

export interface UnitContext {
  scenarios: Record<string, FaultScenario>;
  dynamoEndpoint: string;
  tables: { episodes: string; strategies: string; locks: string };
  /** Prefix of every memory namespace the bench uses (never a deployment's). */
  namespacePrefix: string;
  seed: number;
  logger?: Logger;
  onVisit?: (visit: StateVisit) => void;
  /** Every run, before it is cut down to a record (the hygiene test reads what the system saw). */
  onRun?: (run: IncidentRun, incident: PlannedIncident, arm: RunArm) => void;
}

/** The reasoner-only arm: selection always takes the reasoner's proposal. */
export const REASONER_ONLY_POLICY: PolicyConfigInput = { selection: { method: 'proposal-only' } } as unknown as PolicyConfigInput;

/** Whether this build's selection has the reasoner-only method (the arm is skipped, and said so, when not). */
export function reasonerOnlyAvailable(): boolean {
  return PolicyConfigSchema.safeParse({ mode: 'enforce', ...REASONER_ONLY_POLICY }).success;
}

/** Arms whose memory carries over from incident to incident (one namespace per stream). */
const LEARNS = new Set<RunArm>(['memory-on', 'shuffled']);

const ARM_CODE: Record<RunArm, string> = { 'memory-on': 'on', 'memory-off': 'off', 'reasoner-only': 'ro', shuffled: 'sh' };

/**
 * Memory namespaces: memory-on and shuffled keep one per stream (they learn);
 * memory-off and reasoner-only get a fresh one per incident (nothing to remember).
 */
export function namespaceFor(prefix: string, arm: RunArm, stream: number, index: number): string {
  return LEARNS.has(arm) ? `${prefix}-s${stream}-${ARM_CODE[arm]}` : `${prefix}-s${stream}-i${index}-${ARM_CODE[arm]}`;
}

export async function runUnit(unit: StreamUnit, ctx: UnitContext, onRecord: (record: StreamIncident) => void | Promise<void>): Promise<void> {
  const pool = unit.arm === 'shuffled' ? newShufflePool(mulberry32(hashSeed(ctx.seed, 'shuffle', unit.stream))) : undefined;
  for (const incident of unit.incidents) {
    const started = performance.now();
    let record: StreamIncident;
    try {
      const scenario = ctx.scenarios[incident.family];
      if (!scenario) throw new Error(`stream ${unit.stream} position ${incident.index}: no family '${incident.family}'`);
      const shift = scenario.shift;
      const run = await runFault({
        scenario,
        seed: incident.instanceSeed,
        decisionSeed: incident.decisionSeed,
        memoryNamespace: namespaceFor(ctx.namespacePrefix, unit.arm, unit.stream, incident.index),
        dynamoEndpoint: ctx.dynamoEndpoint,
        tables: ctx.tables,
        ...(incident.shifted && shift ? { causeWeights: shift.causeWeights } : {}),
        ...(unit.arm === 'reasoner-only' ? { policy: REASONER_ONLY_POLICY } : {}),
        ...(pool ? { wrapMemory: (m) => shuffledOutcomes(m, pool) } : {}),
        ...(ctx.logger ? { logger: ctx.logger } : {}),
        ...(ctx.onVisit ? { onVisit: ctx.onVisit } : {}),
        // The learning arms only: memory-on learns from a recurrence, shuffled gets it permuted. memory-off and
        // reasoner-only start every incident with an empty memory, so watching would cost time and change nothing.
        watchForRecurrence: LEARNS.has(unit.arm),
      });
      ctx.onRun?.(run, incident, unit.arm);
      record = incidentRecord(incident, unit.arm, run, performance.now() - started);
    } catch (error) {
      // One incident that cannot be run (a harness or simulator failure) is recorded as an error of this arm
      // and the stream goes on: it never takes the incidents measured before or after it down with it.
      record = errorRecord(incident, unit.arm, error, performance.now() - started);
    }
    await onRecord(record);
  }
}
