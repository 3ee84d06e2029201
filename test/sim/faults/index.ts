import type { KubeClientLike } from '../kube-client';
import { registryFor, type RegistryEntry } from '../registry';
import { badImageTag } from './bad-image-tag';
import { crashloopBadConfig } from './crashloop-bad-config';
import { hpaAtMax } from './hpa-at-max';
import type { FaultScenario } from './kit';
import { livenessTooAggressive } from './liveness-too-aggressive';
import { missingConfigmap } from './missing-configmap';
import { noFault } from './no-fault';
import { oomLowLimit } from './oom-low-limit';
import { pendingNodeSelector } from './pending-node-selector';
import { pendingOversizedRequests } from './pending-oversized-requests';
import { protectedNamespace } from './protected-namespace';
import { readinessMisconfigured } from './readiness-misconfigured';
import { registryAuth } from './registry-auth';
import { scaledToZero } from './scaled-to-zero';
import { transientCrashloop } from './transient-crashloop';

export type { FaultExpectation, FaultScenario, ScenarioInstance } from './kit';
export { rolloutUndo, deploymentHealthy, revisionOf, replicaSetsOf } from './kit';

/** Adds the instance's images to the registry of the cluster `k` talks to (when this process runs its kubelet). */
export function useImages(k: KubeClientLike, images: readonly RegistryEntry[]): void {
  const registry = registryFor(k.url);
  for (const image of images) registry?.add(image);
}

/** Every instance's setup first makes its images pullable, so callers need only `setup(k)`. */
function withImages(s: FaultScenario): FaultScenario {
  return {
    ...s,
    instantiate(seed) {
      const inst = s.instantiate(seed);
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

const ALL: FaultScenario[] = [
  badImageTag,
  registryAuth,
  crashloopBadConfig,
  transientCrashloop,
  oomLowLimit,
  livenessTooAggressive,
  readinessMisconfigured,
  pendingOversizedRequests,
  pendingNodeSelector,
  missingConfigmap,
  hpaAtMax,
  scaledToZero,
  noFault,
  protectedNamespace,
];

export const FAULTS: Record<string, FaultScenario> = Object.fromEntries(ALL.map((s) => [s.name, withImages(s)]));
