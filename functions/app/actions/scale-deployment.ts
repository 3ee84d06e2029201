import type { z } from 'zod';
import type { ScaleDeploymentSchema } from '../../domain/actions';
import type { Deployment } from '../../domain/k8s';
import { deploymentPreImage, type Plan } from './common';

/** scale_deployment: spec.replicas to the requested count (bounds are policy). */
export function planScaleDeployment(deployment: Deployment, request: z.infer<typeof ScaleDeploymentSchema>): Plan {
  // A Deployment without spec.replicas runs one replica (API default).
  const from = deployment.spec?.replicas ?? 1;
  return {
    done: from === request.replicas,
    ops: [{ op: 'add', path: '/spec/replicas', value: request.replicas }],
    preImage: deploymentPreImage(deployment),
    summary: `scaled deployment ${request.namespace}/${request.deployment} from ${from} to ${request.replicas} replicas`,
    details: { fromReplicas: from, toReplicas: request.replicas },
  };
}
