import { z } from 'zod';
import { ReflexionError } from '../../domain/errors';
import type { Container, Deployment, PodTemplateSpec, Probe, ReplicaSet, ResourceRequirements } from '../../domain/k8s';

/** Annotation on every object the system changed: JSON `{action, actionId, at}` of the last change. */
export const LAST_ACTION_ANNOTATION = 'eks-reflexion.io/last-action';
export const EVENT_REASON = 'EksReflexionRemediation';
export { FIELD_MANAGER } from '../../config/names';

/** The object an action names (a pod, a deployment's container, an HPA) does not exist. */
export class TargetNotFound extends ReflexionError {
  override readonly name = 'TargetNotFound' as const;
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The action cannot be planned from what the cluster shows (e.g. no earlier revision to roll back to). */
export class ActionNotApplicable extends ReflexionError {
  override readonly name = 'ActionNotApplicable' as const;
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}


/** The last-action marker on an object, if present and well-formed (cluster data is untrusted). */
export function lastActionOf(annotations: Record<string, string> | undefined): LastAction | undefined {
  const raw = annotations?.[LAST_ACTION_ANNOTATION];
  if (raw === undefined) return undefined;
  try {
    const parsed = LastActionSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'test';
  path: string;
  value?: unknown;
}

/** RFC 6901 escaping of one path segment. */
export const pointer = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Operations that make the patch conditional on the version that was read
 * (a concurrent change gets 409 → KubeConflict, then we re-read) and stamp
 * the last-action annotation in the same write, so marker and change are atomic.
 */
export function guardAndStamp(
  object: { metadata?: { resourceVersion?: string; annotations?: Record<string, string> } },
  marker: LastAction,
  options: { conditional: boolean },
): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  const rv = object.metadata?.resourceVersion;
  if (options.conditional && rv) ops.push({ op: 'replace', path: '/metadata/resourceVersion', value: rv });
  const value = JSON.stringify(marker);
  if (object.metadata?.annotations) {
    ops.push({ op: 'add', path: `/metadata/annotations/${pointer(LAST_ACTION_ANNOTATION)}`, value });
  } else {
    ops.push({ op: 'add', path: '/metadata/annotations', value: { [LAST_ACTION_ANNOTATION]: value } });
  }
  return ops;
}

/** What a container looked like: exactly the fields the catalogue can change. */
export const ContainerImageSchema = z.object({
  name: z.string(),
  image: z.string().optional(),
  resources: z.custom<ResourceRequirements>().optional(),
  livenessProbe: z.custom<Probe>().optional(),
  readinessProbe: z.custom<Probe>().optional(),
  startupProbe: z.custom<Probe>().optional(),
});
export type ContainerImage = z.infer<typeof ContainerImageSchema>;

/**
 * The pre-image recorded before every write: exactly what restores the
 * object. Stored in the workflow state and the episode, so it is validated
 * when read back (undo).
 */
export const PreImageSchema = z.object({
  kind: z.enum(['Deployment', 'HorizontalPodAutoscaler', 'Pod']),
  namespace: z.string(),
  name: z.string(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  /** deployment.kubernetes.io/revision when read. */
  revision: z.number().int().optional(),
  replicas: z.number().int().optional(),
  containers: z.array(ContainerImageSchema).optional(),
  /** The whole pod template (rollback: undo rolls forward to it). */
  template: z.custom<PodTemplateSpec>((v) => typeof v === 'object' && v !== null).optional(),
  hpaMaxReplicas: z.number().int().optional(),
});
export type PreImage = z.infer<typeof PreImageSchema>;

/** The last-action marker; `pre` is the compact pre-image, so a retried step can still undo. */
export const LastActionSchema = z.object({
  action: z.string(),
  actionId: z.string(),
  at: z.string(),
  /** Who asked, when the action came through the action API. */
  by: z.string().optional(),
  pre: PreImageSchema.optional(),
});
export type LastAction = z.infer<typeof LastActionSchema>;

export function containerImage(container: Container): ContainerImage {
  return {
    name: container.name ?? '',
    ...(container.image !== undefined ? { image: container.image } : {}),
    ...(container.resources !== undefined ? { resources: structuredClone(container.resources) } : {}),
    ...(container.livenessProbe !== undefined ? { livenessProbe: structuredClone(container.livenessProbe) } : {}),
    ...(container.readinessProbe !== undefined ? { readinessProbe: structuredClone(container.readinessProbe) } : {}),
    ...(container.startupProbe !== undefined ? { startupProbe: structuredClone(container.startupProbe) } : {}),
  };
}

export function deploymentPreImage(deployment: Deployment, options: { template?: boolean } = {}): PreImage {
  const meta = deployment.metadata ?? {};
  const revision = Number(meta.annotations?.['deployment.kubernetes.io/revision']);
  return {
    kind: 'Deployment',
    namespace: meta.namespace ?? '',
    name: meta.name ?? '',
    ...(meta.uid ? { uid: meta.uid } : {}),
    ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
    ...(Number.isInteger(revision) ? { revision } : {}),
    ...(deployment.spec?.replicas !== undefined ? { replicas: deployment.spec.replicas } : {}),
    containers: (deployment.spec?.template?.spec?.containers ?? []).map(containerImage),
    ...(options.template && deployment.spec?.template ? { template: structuredClone(deployment.spec.template) } : {}),
  };
}

/** Index of a container in the pod template, or TargetNotFound naming the container. */
export function containerIndex(deployment: Deployment, container: string): number {
  const containers = deployment.spec?.template?.spec?.containers ?? [];
  const index = containers.findIndex((c) => c.name === container);
  if (index < 0) {
    const names = containers.map((c) => c.name).join(', ');
    throw new TargetNotFound(
      `container: '${container}' is not in deployment ${deployment.metadata?.namespace}/${deployment.metadata?.name} (has: ${names || 'none'})`,
      'container',
    );
  }
  return index;
}

/** JSON patch ops setting (or removing, when undefined) one field of a container. */
export function setContainerField(index: number, field: string, current: unknown, wanted: unknown): JsonPatchOp[] {
  const path = `/spec/template/spec/containers/${index}/${field}`;
  if (wanted === undefined) return current === undefined ? [] : [{ op: 'remove', path }];
  return [{ op: 'add', path, value: wanted }];
}

/** Order-insensitive deep equality for plain JSON (object key order never matters to the API). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Everything a Deployment action's plan may need besides the object itself. */
export interface PlanContext {
  /** ReplicaSets of the namespace (rollback only). */
  replicaSets?: ReplicaSet[];
  /** Pods of the deployment (rollback: revision health). */
  pods?: import('../../domain/k8s').Pod[];
  now: Date;
}

/** A planned change to one object: JSON patch ops, or nothing when already in the desired state. */
export interface Plan {
  /** Already in the desired state: no write (idempotent retry). */
  done: boolean;
  ops: JsonPatchOp[];
  preImage: PreImage;
  /** What the change does, for the event, the annotation trail and the result. */
  summary: string;
  /** When `done`: the result's message, if not the generic "already in the desired state". */
  doneMessage?: string;
  details?: Record<string, unknown>;
  /** A ReplicaSet this change moves away from because it fails (a rollback, the undo of one): kept in the action record. */
  leftFailing?: { replicaSet: string; revision: number };
}
