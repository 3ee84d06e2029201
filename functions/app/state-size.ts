import type { ActionResult } from '../domain/actions';

/**
 * Step Functions keeps at most 256 KiB in a state's input or output, and a
 * DynamoDB item (the episode) at most 400 KB; a Deployment's pod template can
 * be larger than either (a 300 KB env list is not unusual). The workflow state
 * therefore never carries a pre-image's template inline past this size: it
 * keeps a reference instead, the Deployment revision whose ReplicaSet the
 * cluster keeps with exactly that template, which undo reads back
 * (app/undo.ts reads the ReplicaSets when the template is absent).
 */
export const INLINE_PRE_IMAGE_BYTES = 16 * 1024;

const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');

/** The result as the workflow state and the episode may hold it: a large template replaced by its revision. */
export function boundedForState(result: ActionResult): ActionResult {
  const pre = result.preImage as { template?: unknown; revision?: number } | undefined;
  if (!pre || pre.template === undefined || bytes(pre) <= INLINE_PRE_IMAGE_BYTES) return result;
  const { template, ...rest } = pre;
  return {
    ...result,
    preImage: rest,
    details: {
      ...result.details,
      preImageTemplate: { byReference: 'replicaset-revision', revision: pre.revision ?? null, bytes: bytes(template) },
    },
  };
}
