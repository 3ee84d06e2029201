import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeClientLike } from '../kube-client';
import { registryFor, type RegistryEntry } from '../registry';
import { loadScenarioDir } from '../scenario/load';
import type { FaultScenario } from './kit';

export type { CauseGroundTruth, FaultExpectation, FaultScenario, InstanceGroundTruth, InstantiateOptions, ScenarioInstance } from './kit';
export { rolloutUndo, deploymentHealthy, revisionOf, replicaSetsOf } from './kit';

/**
 * The fault catalogue: the scenario files of scenarios/faults/ (data, not
 * code — docs/scenarios.md), loaded and validated once. Files written
 * anywhere else load the same way (`loadScenarios(dir)`, `sim serve
 * --scenario-file`, `bench --scenarios DIR`).
 */
export const CATALOGUE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'scenarios', 'faults');

/** Adds the instance's images to the registry of the cluster `k` talks to (when this process runs its kubelet). */
export function useImages(k: KubeClientLike, images: readonly RegistryEntry[]): void {
  const registry = registryFor(k.url);
  for (const image of images) registry?.add(image);
}

/** Every instance's setup first makes its images pullable, so callers need only `setup(k)`. */
export function withImages(s: FaultScenario): FaultScenario {
  return {
    ...s,
    instantiate(seed, options) {
      const inst = s.instantiate(seed, options);
      const setup = inst.setup;
      return {
        ...inst,
        async setup(k) {
          useImages(k, inst.images);
          await setup(k);
        },
      };
    },
  };
}

/** The latent-cause families (docs/scenarios.md, "Causes and families"). */
export const FAMILIES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'scenarios', 'families');

/**
 * The families of a directory (default: scenarios/families/), validated like
 * any scenario files. Each instance carries its drawn cause's ground truth
 * (`instantiate(seed, { causeWeights })`); a file without `family:` is a
 * family of its own, named like the file's scenario.
 */
export function loadFamilies(dir: string = FAMILIES_DIR): FaultScenario[] {
  return loadScenarios(dir).map((s) => (s.family ? s : { ...s, family: s.name }));
}

/** Loads and validates every scenario file of a directory (throws ScenarioSetError naming each bad file). */
export function loadScenarios(dir: string): FaultScenario[] {
  return loadScenarioDir(dir).map(withImages);
}

/** In the catalogue's order (the order the benchmark reports). */
const ORDER = [
  'bad-image-tag',
  'registry-auth',
  'crashloop-bad-config',
  'transient-crashloop',
  'oom-low-limit',
  'liveness-too-aggressive',
  'readiness-misconfigured',
  'pending-oversized-requests',
  'pending-node-selector',
  'missing-configmap',
  'hpa-at-max',
  'scaled-to-zero',
  'no-fault',
  'protected-namespace',
];

function catalogue(): FaultScenario[] {
  const all = loadScenarios(CATALOGUE_DIR);
  const rank = (n: string) => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);
  return all.sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

export const FAULTS: Record<string, FaultScenario> = Object.fromEntries(catalogue().map((s) => [s.name, s]));

