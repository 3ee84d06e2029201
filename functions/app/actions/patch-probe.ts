import type { z } from 'zod';
import type { PatchProbeSchema } from '../../domain/actions';
import type { Deployment, Probe } from '../../domain/k8s';
import { containerIndex, deploymentPreImage, TargetNotFound, type Plan } from './common';

type Request = z.infer<typeof PatchProbeSchema>;

export const PROBE_FIELD = { liveness: 'livenessProbe', readiness: 'readinessProbe', startup: 'startupProbe' } as const;

const TIMINGS = [
  ['initial_delay_seconds', 'initialDelaySeconds'],
  ['period_seconds', 'periodSeconds'],
  ['timeout_seconds', 'timeoutSeconds'],
  ['failure_threshold', 'failureThreshold'],
] as const;

/** patch_probe: timings of an existing probe only; the handler (what is probed) never changes. */
export function planPatchProbe(deployment: Deployment, request: Request): Plan {
  const index = containerIndex(deployment, request.container);
  const field = PROBE_FIELD[request.probe];
  const current: Probe | undefined = deployment.spec?.template?.spec?.containers?.[index]?.[field];
  if (!current) {
    throw new TargetNotFound(
      `probe: container '${request.container}' in deployment ${request.namespace}/${request.deployment} has no ${request.probe} probe to adjust`,
      'probe',
    );
  }
  const next: Probe = structuredClone(current);
  const changes: string[] = [];
  for (const [param, key] of TIMINGS) {
    const value = request[param];
    if (value === undefined) continue;
    if (current[key] !== value) changes.push(`${key} ${current[key] ?? '(default)'} -> ${value}`);
    next[key] = value;
  }
  return {
    done: changes.length === 0,
    ops: [{ op: 'add', path: `/spec/template/spec/containers/${index}/${field}`, value: next }],
    preImage: deploymentPreImage(deployment),
    summary: `adjusted ${request.probe} probe of container ${request.container} in deployment ${request.namespace}/${request.deployment}: ${changes.join(', ') || 'no change'}`,
    details: { container: request.container, probe: request.probe, fromProbe: current, toProbe: next },
  };
}
