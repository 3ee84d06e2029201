import { FAULTS, loadScenarios, withImages } from '../faults';
import type { FaultScenario } from '../faults/kit';
import { loadScenarioFiles, ScenarioFileError, ScenarioSetError } from './load';

/**
 * What the CLI (sim serve, sim scenarios, bench) needs from scenario files:
 * the set to use — the catalogue, a directory, or single files written
 * anywhere — loaded and validated before anything starts. A malformed file
 * comes back as one message naming each file, the place in it and the problem.
 */
export class ScenarioInputError extends Error {
  override readonly name = 'ScenarioInputError' as const;
}

export function scenarioSet(options: { dir?: string; files?: readonly string[] }): Record<string, FaultScenario> {
  try {
    const list = options.dir ? loadScenarios(options.dir) : options.files?.length ? loadScenarioFiles([...options.files]).map(withImages) : Object.values(FAULTS);
    return Object.fromEntries(list.map((s) => [s.name, s]));
  } catch (e) {
    if (e instanceof ScenarioSetError || e instanceof ScenarioFileError) throw new ScenarioInputError(`malformed scenario file(s); nothing was started:\n${e.message}`);
    throw e;
  }
}

/** The nodes the scenarios ask for (at most one distinct set), or undefined for the simulator's default. */
export function nodesOf(scenarios: readonly FaultScenario[]): FaultScenario['nodes'] {
  const sets = [...new Set(scenarios.filter((s) => s.nodes).map((s) => JSON.stringify(s.nodes)))];
  if (sets.length > 1) throw new ScenarioInputError(`the scenarios ask for different node sets (${scenarios.filter((s) => s.nodes).map((s) => s.name).join(', ')}); serve them separately`);
  return sets[0] ? (JSON.parse(sets[0]) as FaultScenario['nodes']) : undefined;
}
