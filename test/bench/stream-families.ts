import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CATALOGUE_DIR, FAMILIES_DIR, type FaultScenario } from '../sim/faults';
import { scenarioSet } from '../sim/scenario/cli';
import type { FamilyInfo } from './stream-metrics';

/** The families the stream bench draws from by default: scenarios/families, else the fault catalogue (one-cause files). */
export function defaultFamiliesDir(): string {
  return existsSync(FAMILIES_DIR) ? FAMILIES_DIR : CATALOGUE_DIR;
}

/** What the bench reports about a family, from its file: authors, causes, shift, and whether the remedy depends on the cause. */
export function familyInfo(scenario: FaultScenario): FamilyInfo {
  const causes = scenario.causes ?? [];
  const remedies = causes.map((c) => new Set<string>(c.groundTruth.acceptableRemedies));
  const common = remedies.length ? [...remedies[0]!].filter((r) => remedies.every((set) => set.has(r))) : [];
  return {
    name: scenario.name,
    authors: scenario.authors ?? [],
    ...(scenario.source ? { source: scenario.source } : {}),
    causes: causes.length > 0 ? causes.map((c) => c.name) : [scenario.name],
    latentChoice: causes.length > 1 && common.length === 0,
    ...(scenario.shift ? { shift: scenario.shift.causeWeights } : {}),
  };
}

/**
 * Loads every family of a directory (anywhere: families written by people
 * who never read the strategies) and validates them before anything runs; a
 * malformed file throws ScenarioInputError naming it.
 */
export function loadStreamFamilies(dir?: string, only?: readonly string[]): { dir: string; scenarios: Record<string, FaultScenario>; families: FamilyInfo[] } {
  const from = resolve(dir ?? defaultFamiliesDir());
  const all = scenarioSet({ dir: from });
  const names = only ?? Object.keys(all);
  const unknown = names.filter((n) => !all[n]);
  if (unknown.length > 0) throw new Error(`unknown families: ${unknown.join(', ')}; ${from} has ${Object.keys(all).join(', ')}`);
  const scenarios = Object.fromEntries(names.map((n) => [n, all[n]!]));
  return { dir: from, scenarios, families: names.map((n) => familyInfo(all[n]!)) };
}

/** Families by author, for the report's "who wrote what". */
export function familiesByAuthor(families: readonly FamilyInfo[]): Record<string, string[]> {
  const by: Record<string, string[]> = {};
  for (const f of families) for (const a of f.authors.length ? f.authors : ['(no author given)']) (by[a] ??= []).push(f.name);
  return by;
}
