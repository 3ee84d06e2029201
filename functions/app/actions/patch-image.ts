import type { z } from 'zod';
import type { PatchImageSchema } from '../../domain/actions';
import type { Deployment } from '../../domain/k8s';
import { containerIndex, deploymentPreImage, type Plan } from './common';

/** patch_image: one container's image (policy: only an image from the workload's own history). */
export function planPatchImage(deployment: Deployment, request: z.infer<typeof PatchImageSchema>): Plan {
  const index = containerIndex(deployment, request.container);
  const from = deployment.spec?.template?.spec?.containers?.[index]?.image;
  return {
    done: from === request.image,
    ops: [{ op: 'add', path: `/spec/template/spec/containers/${index}/image`, value: request.image }],
    preImage: deploymentPreImage(deployment),
    summary: `set image of container ${request.container} in deployment ${request.namespace}/${request.deployment} from ${from ?? '(none)'} to ${request.image}`,
    details: { container: request.container, fromImage: from, toImage: request.image },
  };
}
