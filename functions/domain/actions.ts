import { z } from 'zod';
import { K8sNameSchema, K8sNamespaceSchema } from './incident';

/**
 * The closed action catalogue (docs/actions.md). The reasoner picks one of these,
 * the policy validates it, the cluster actor executes it. Field names are
 * snake_case because the same shapes are the direct action API's payloads.
 * Numeric bounds here are structural; per-deployment ceilings are policy.
 */

const quantity = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'must be a Kubernetes quantity like 500m, 256Mi or 1Gi');
const containerName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a container name (RFC 1123 label)');
// Image references: registry/path:tag or @sha256:digest. No whitespace, no shell metacharacters.
const imageRef = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9._\-/:@]*$/, 'must be an image reference like registry/app:1.2.3');

const base = { namespace: K8sNamespaceSchema };

export const RestartPodSchema = z.object({ action: z.literal('restart_pod'), ...base, pod: K8sNameSchema }).strict();
export const RolloutRestartSchema = z
  .object({ action: z.literal('rollout_restart'), ...base, deployment: K8sNameSchema })
  .strict();
export const RollbackDeploymentSchema = z
  .object({
    action: z.literal('rollback_deployment'),
    ...base,
    deployment: K8sNameSchema,
    /** Default: the newest earlier revision whose pods were healthy. */
    to_revision: z.number().int().positive().optional(),
  })
  .strict();
export const ScaleDeploymentSchema = z
  .object({
    action: z.literal('scale_deployment'),
    ...base,
    deployment: K8sNameSchema,
    replicas: z.number().int().min(0).max(1000),
  })
  .strict();
const resourcePair = z
  .object({ cpu: quantity.optional(), memory: quantity.optional() })
  .strict()
  .refine((r) => r.cpu !== undefined || r.memory !== undefined, 'must set cpu or memory');
export const PatchResourcesSchema = z
  .object({
    action: z.literal('patch_resources'),
    ...base,
    deployment: K8sNameSchema,
    container: containerName,
    requests: resourcePair.optional(),
    limits: resourcePair.optional(),
  })
  .strict()
  .refine((p) => p.requests !== undefined || p.limits !== undefined, {
    message: 'must set requests or limits',
    path: ['limits'],
  });
export const PatchImageSchema = z
  .object({
    action: z.literal('patch_image'),
    ...base,
    deployment: K8sNameSchema,
    container: containerName,
    image: imageRef,
  })
  .strict();
const seconds = (max: number) => z.number().int().min(0).max(max);
export const PatchProbeSchema = z
  .object({
    action: z.literal('patch_probe'),
    ...base,
    deployment: K8sNameSchema,
    container: containerName,
    probe: z.enum(['liveness', 'readiness', 'startup']),
    initial_delay_seconds: seconds(3600).optional(),
    period_seconds: z.number().int().min(1).max(300).optional(),
    timeout_seconds: z.number().int().min(1).max(120).optional(),
    failure_threshold: z.number().int().min(1).max(30).optional(),
  })
  .strict();
export const PatchHpaSchema = z
  .object({
    action: z.literal('patch_hpa'),
    ...base,
    hpa: K8sNameSchema,
    max_replicas: z.number().int().min(1).max(1000),
  })
  .strict();
export const EscalateSchema = z
  .object({
    action: z.literal('escalate'),
    namespace: K8sNamespaceSchema.optional(),
    reason: z.string().min(1).max(2000),
    /** A change the system would have made (e.g. for a GitOps-managed workload). */
    proposed: z.unknown().optional(),
  })
  .strict();

export const ActionRequestSchema = z.discriminatedUnion('action', [
  RestartPodSchema,
  RolloutRestartSchema,
  RollbackDeploymentSchema,
  ScaleDeploymentSchema,
  PatchResourcesSchema,
  PatchImageSchema,
  PatchProbeSchema,
  PatchHpaSchema,
  EscalateSchema,
]);
export type ActionRequest = z.infer<typeof ActionRequestSchema>;
export type ActionName = ActionRequest['action'];
export const ACTION_NAMES = [
  'restart_pod',
  'rollout_restart',
  'rollback_deployment',
  'scale_deployment',
  'patch_resources',
  'patch_image',
  'patch_probe',
  'patch_hpa',
  'escalate',
] as const satisfies readonly ActionName[];

/** The state machine's Remediate branch for each action (the story's verb). */
export const ACTION_BRANCH: Record<ActionName, 'Restart' | 'Rollback' | 'Scale' | 'Patch' | 'Escalate'> = {
  restart_pod: 'Restart',
  rollout_restart: 'Restart',
  rollback_deployment: 'Rollback',
  scale_deployment: 'Scale',
  patch_hpa: 'Scale',
  patch_resources: 'Patch',
  patch_image: 'Patch',
  patch_probe: 'Patch',
  escalate: 'Escalate',
};

/** Outcome of executing one action. */
export const ActionResultSchema = z.object({
  action: z.enum(ACTION_NAMES),
  /** The object written (or that would have been). */
  target: z.object({ kind: z.string(), namespace: z.string(), name: z.string() }),
  /** True when the change reached the cluster (false in observe/dry-run, or when refused). */
  applied: z.boolean(),
  dryRun: z.boolean(),
  /** True when the object already was in the desired state (idempotent retry). */
  noop: z.boolean(),
  /** The object's relevant part before the change, enough to restore it exactly. */
  preImage: z.unknown().optional(),
  /** Human-readable what and why. */
  message: z.string().max(2000),
  details: z.record(z.string(), z.unknown()).default({}),
  at: z.iso.datetime(),
});
export type ActionResult = z.infer<typeof ActionResultSchema>;
