import type { z } from 'zod';
import type { RolloutRestartSchema } from '../../domain/actions';
import type { Deployment } from '../../domain/k8s';
import { deploymentPreImage, pointer, type JsonPatchOp, type Plan } from './common';

export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/**
 * rollout_restart, the kubectl way: a new pod-template annotation makes the
 * Deployment controller replace every pod with a rolling update. There is no
 * "already restarted" state, so repeats are caught by the last-action marker.
 */
export function planRolloutRestart(deployment: Deployment, request: z.infer<typeof RolloutRestartSchema>, now: Date): Plan {
  const at = now.toISOString();
  const metadata = deployment.spec?.template?.metadata;
  const ops: JsonPatchOp[] = !metadata
    ? [{ op: 'add', path: '/spec/template/metadata', value: { annotations: { [RESTARTED_AT_ANNOTATION]: at } } }]
    : !metadata.annotations
      ? [{ op: 'add', path: '/spec/template/metadata/annotations', value: { [RESTARTED_AT_ANNOTATION]: at } }]
      : [{ op: 'add', path: `/spec/template/metadata/annotations/${pointer(RESTARTED_AT_ANNOTATION)}`, value: at }];
  return {
    done: false,
    ops,
    preImage: deploymentPreImage(deployment),
    summary: `rolling restart of deployment ${request.namespace}/${request.deployment}`,
    details: { restartedAt: at },
  };
}
