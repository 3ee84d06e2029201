import { z } from 'zod';
import { FactSchema, MAX_FACTS } from './facts';

/** Failure kinds, one pure detector each (functions/domain/detectors). */
export const FAILURE_KINDS = [
  'ImagePullBackOff',
  'CrashLoopBackOff',
  'OOMKilled',
  'CreateContainerConfigError',
  'Unschedulable',
  'FailedRollout',
  'ProbeFailure',
  'Evicted',
  'HpaAtMax',
  'PodFailed',
] as const;
export const FailureKindSchema = z.enum(FAILURE_KINDS);
export type FailureKind = z.infer<typeof FailureKindSchema>;

const k8sName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a Kubernetes object name (lowercase RFC 1123)');
const k8sNamespace = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a Kubernetes namespace name (RFC 1123 label)');
export const K8sNameSchema = k8sName;
export const K8sNamespaceSchema = k8sNamespace;

export const TargetSchema = z.object({
  kind: z.enum(['Pod', 'Deployment', 'StatefulSet', 'HorizontalPodAutoscaler']),
  namespace: k8sNamespace,
  name: k8sName,
});
export type Target = z.infer<typeof TargetSchema>;

const boundedText = (max: number) => z.string().max(max);

export const EvidenceEventSchema = z.object({
  object: boundedText(300),
  type: boundedText(20).optional(),
  reason: boundedText(200).optional(),
  message: boundedText(1000).optional(),
  count: z.number().int().nonnegative().optional(),
  lastTimestamp: z.string().optional(),
});

export const EvidenceContainerSchema = z.object({
  pod: k8sName,
  container: boundedText(253),
  init: z.boolean().default(false),
  image: boundedText(512).optional(),
  ready: z.boolean().optional(),
  restartCount: z.number().int().nonnegative().optional(),
  state: boundedText(40).optional(),
  reason: boundedText(200).optional(),
  message: boundedText(1000).optional(),
  lastTerminationReason: boundedText(200).optional(),
  lastExitCode: z.number().int().optional(),
  requests: z.record(z.string(), z.string()).optional(),
  limits: z.record(z.string(), z.string()).optional(),
});

export const RolloutRevisionSchema = z.object({
  revision: z.number().int().nonnegative(),
  replicaSet: k8sName,
  images: z.record(z.string(), z.string()),
  createdAt: z.string().optional(),
  /** Replicas the ReplicaSet wants and has available right now. */
  replicas: z.number().int().nonnegative().optional(),
  availableReplicas: z.number().int().nonnegative().optional(),
  /** Whether pods of this revision were ever seen healthy (best knowledge). */
  healthy: z.boolean().optional(),
});
export type RolloutRevision = z.infer<typeof RolloutRevisionSchema>;

export const EvidenceLogSchema = z.object({
  pod: k8sName,
  container: boundedText(253),
  previous: z.boolean(),
  /** Bounded tail; untrusted text. */
  text: boundedText(8192),
});

export const EvidenceSchema = z.object({
  containers: z.array(EvidenceContainerSchema).max(50).default([]),
  events: z.array(EvidenceEventSchema).max(50).default([]),
  logs: z.array(EvidenceLogSchema).max(10).default([]),
  rolloutHistory: z.array(RolloutRevisionSchema).max(30).default([]),
  /** Scheduler message, node fit notes, HPA metrics: short free text facts. */
  notes: z.array(boundedText(1000)).max(20).default([]),
});
export type Evidence = z.infer<typeof EvidenceSchema>;

export const IncidentSourceSchema = z.enum(['schedule', 'alert', 'direct']);

export const IncidentSchema = z.object({
  /** Stable: same failure on the same workload → same fingerprint (dedup). */
  fingerprint: z.string().regex(/^[a-f0-9]{16,64}$/, 'must be a hex digest'),
  /** kind + sub-reason, e.g. `ImagePullBackOff:tag-not-found` (similarity). */
  signature: z.string().min(1).max(200),
  cluster: z.string().min(1).max(100),
  namespace: k8sNamespace,
  target: TargetSchema,
  kind: FailureKindSchema,
  subReason: z.string().min(1).max(100),
  reason: boundedText(200),
  message: boundedText(2000),
  /** Pods of the workload showing the failure. */
  pods: z.array(k8sName).max(100).default([]),
  evidence: EvidenceSchema,
  /**
   * What the detector established, typed (functions/domain/facts.ts): what
   * playbooks read instead of the notes. Absent on incidents not built by the
   * detectors (an alert's, a hand-written one): then nothing is known beyond
   * the evidence.
   */
  facts: z.array(FactSchema).max(MAX_FACTS).optional(),
  /** What the detector could not establish (said honestly). */
  unknowns: z.array(boundedText(300)).max(20).default([]),
  source: IncidentSourceSchema,
  /** With `source: 'alert'`: which alert asked for this detection (system, its id, a link back). */
  alert: z
    .object({ system: z.string().min(1).max(40), id: z.string().min(1).max(300), link: z.string().max(2000).optional() })
    .optional(),
  detectedAt: z.iso.datetime(),
});
export type Incident = z.infer<typeof IncidentSchema>;
export type IncidentInput = z.input<typeof IncidentSchema>;
