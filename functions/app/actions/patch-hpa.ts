import type { z } from 'zod';
import type { PatchHpaSchema } from '../../domain/actions';
import type { HorizontalPodAutoscaler } from '../../domain/k8s';
import type { Plan, PreImage } from './common';

export function hpaPreImage(hpa: HorizontalPodAutoscaler): PreImage {
  const meta = hpa.metadata ?? {};
  return {
    kind: 'HorizontalPodAutoscaler',
    namespace: meta.namespace ?? '',
    name: meta.name ?? '',
    ...(meta.uid ? { uid: meta.uid } : {}),
    ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
    ...(hpa.spec?.maxReplicas !== undefined ? { hpaMaxReplicas: hpa.spec.maxReplicas } : {}),
  };
}

/** patch_hpa: spec.maxReplicas (ceiling is policy; min <= max is the API server's check, caught by the dry run). */
export function planPatchHpa(hpa: HorizontalPodAutoscaler, request: z.infer<typeof PatchHpaSchema>): Plan {
  const from = hpa.spec?.maxReplicas;
  return {
    done: from === request.max_replicas,
    ops: [{ op: 'add', path: '/spec/maxReplicas', value: request.max_replicas }],
    preImage: hpaPreImage(hpa),
    summary: `set maxReplicas of HPA ${request.namespace}/${request.hpa} from ${from ?? '(unset)'} to ${request.max_replicas}`,
    details: { fromMaxReplicas: from, toMaxReplicas: request.max_replicas },
  };
}
