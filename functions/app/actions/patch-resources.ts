import type { z } from 'zod';
import type { PatchResourcesSchema } from '../../domain/actions';
import type { Deployment, ResourceRequirements } from '../../domain/k8s';
import { isQuantity, quantitiesEqual } from '../../domain/quantity';
import { containerIndex, deploymentPreImage, type Plan } from './common';

type Request = z.infer<typeof PatchResourcesSchema>;

/** patch_resources: requests/limits of one container; values not named keep their current setting. */
export function planPatchResources(deployment: Deployment, request: Request): Plan {
  const index = containerIndex(deployment, request.container);
  const current: ResourceRequirements = deployment.spec?.template?.spec?.containers?.[index]?.resources ?? {};
  const next: ResourceRequirements = structuredClone(current);
  let done = true;
  const changes: string[] = [];
  for (const section of ['requests', 'limits'] as const) {
    const wanted = request[section];
    if (!wanted) continue;
    for (const resource of ['cpu', 'memory'] as const) {
      const to = wanted[resource];
      if (to === undefined) continue;
      const from = current[section]?.[resource];
      // 512Mi and 0.5Gi are the same setting: equal quantities are no change.
      // A current value the cluster holds that is not a quantity we can read is simply a change (the policy allows it too).
      if (from === undefined || !isQuantity(from) || !quantitiesEqual(from, to)) {
        done = false;
        changes.push(`${section}.${resource} ${from ?? '(unset)'} -> ${to}`);
      }
      next[section] = { ...(next[section] ?? {}), [resource]: to };
    }
  }
  return {
    done,
    ops: [{ op: 'add', path: `/spec/template/spec/containers/${index}/resources`, value: next }],
    preImage: deploymentPreImage(deployment),
    summary: `patched resources of container ${request.container} in deployment ${request.namespace}/${request.deployment}: ${changes.join(', ') || 'no change'}`,
    details: { container: request.container, fromResources: current, toResources: next },
  };
}
