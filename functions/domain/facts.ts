import { z } from 'zod';

/**
 * Typed facts a detector establishes, carried on the incident beside the
 * human notes (functions/domain/detectors/). Playbooks, strategy templates,
 * verification and selection read these; nobody parses the notes back. Every
 * field is bounded so an incident stays small in the workflow state (Step
 * Functions' 256 KiB per state) and in memory.
 *
 * Adding a fact: a schema here (one `kind` literal), emitted by its detector,
 * read by its playbook (functions/domain/playbooks/).
 */

const name = z.string().max(253);
const count = z.number().int().nonnegative().max(1_000_000);
const seconds = z.number().int().nonnegative().max(1_000_000);
/** A Kubernetes quantity as written in the spec (`256Mi`), and its value (bytes / cores). */
const quantity = z.string().max(64);
const amount = z.number().nonnegative().max(1e18);

export const PULL_CAUSES = ['auth', 'tag-not-found', 'registry-unreachable', 'invalid-name', 'unknown'] as const;

export const ImagePullFactSchema = z.object({
  kind: z.literal('ImagePull'),
  container: name,
  init: z.boolean(),
  image: z.string().max(512),
  /** What the runtime's pull error says (the detector's classification). */
  cause: z.enum(PULL_CAUSES),
});

export const CrashLoopFactSchema = z.object({
  kind: z.literal('CrashLoop'),
  container: name,
  init: z.boolean(),
  restartCount: count,
  exitCode: z.number().int().min(-1_000_000).max(1_000_000).optional(),
  terminationReason: z.string().max(200).optional(),
  /** The crashes began with this revision while `previousRevision` was healthy. */
  newRevision: z.object({ revision: count, previousRevision: count }).optional(),
});

export const OomKilledFactSchema = z.object({
  kind: z.literal('OOMKilled'),
  container: name,
  init: z.boolean(),
  restartCount: count,
  memoryLimit: quantity.optional(),
  memoryLimitBytes: amount.optional(),
  memoryRequest: quantity.optional(),
  memoryRequestBytes: amount.optional(),
});

export const MissingConfigFactSchema = z.object({
  kind: z.literal('MissingConfig'),
  container: name,
  /** What the kubelet says is missing; `unknown` when its message names nothing. */
  missing: z.enum(['configmap', 'secret', 'key', 'unknown']),
  object: z.object({ kind: z.enum(['ConfigMap', 'Secret']), name }).optional(),
  key: z.string().max(253).optional(),
});

export const UnschedulableFactSchema = z.object({
  kind: z.literal('Unschedulable'),
  /** The constraint that keeps the most nodes out (the detector's sub-reason). */
  constraint: z.string().max(100),
  /** What the pod asks for (cores, bytes). */
  requests: z.object({ cpu: amount, memoryBytes: amount }),
  /** The largest schedulable node's allocatable capacity, when nodes are known. */
  largestNode: z.object({ cpu: amount, memoryBytes: amount }).optional(),
  schedulableNodes: count,
  /** Whether the pod would fit an empty node (false: larger than any node). */
  fitsEmptyNode: z.boolean().optional(),
  autoscalerTriggered: z.boolean(),
  pendingSeconds: seconds.optional(),
});

export const FailedRolloutFactSchema = z.object({
  kind: z.literal('FailedRollout'),
  revision: count.optional(),
  progressDeadlineExceeded: z.boolean(),
  deadlineSeconds: seconds,
  desired: count,
  updated: count,
  available: count,
  unavailable: count,
});

export const ScaledToZeroFactSchema = z.object({
  kind: z.literal('ScaledToZero'),
  hpa: name,
  minReplicas: count,
  maxReplicas: count.optional(),
  /** The HPA controller reports ScalingActive=False/ScalingDisabled. */
  scalingDisabled: z.boolean(),
});

export const PROBE_FAILURES = ['timeout', 'refused', 'http-error', 'server-error', 'unknown'] as const;
export type ProbeFailure = (typeof PROBE_FAILURES)[number];

export const ProbeSettingsSchema = z.object({
  initialDelaySeconds: seconds.optional(),
  timeoutSeconds: seconds.optional(),
  periodSeconds: seconds.optional(),
  failureThreshold: count.optional(),
  successThreshold: count.optional(),
  handler: z.enum(['httpGet', 'tcpSocket', 'exec', 'grpc']).optional(),
});

export const ProbeFactSchema = z.object({
  kind: z.literal('Probe'),
  probe: z.enum(['liveness', 'readiness', 'startup']),
  container: name,
  /** What the kubelet's Unhealthy message says (see probeSubReason). */
  failure: z.enum(PROBE_FAILURES),
  /** The probe as configured; absent when the container spec has none. */
  settings: ProbeSettingsSchema.optional(),
  restartCount: count,
});

export const HpaMetricSchema = z.object({
  name: z.string().max(253),
  current: amount,
  target: amount,
  unit: z.enum(['%', '']),
});

export const HpaAtMaxFactSchema = z.object({
  kind: z.literal('HpaAtMax'),
  hpa: name,
  currentReplicas: count,
  maxReplicas: count,
  minReplicas: count.optional(),
  desiredReplicas: count.optional(),
  /** Metrics above their target, in the HPA's order, at most 5. */
  metricsAboveTarget: z.array(HpaMetricSchema).max(5),
  /** How long the HPA has been limited at its maximum, when the condition says. */
  atMaxSeconds: seconds.optional(),
});

export const EvictedFactSchema = z.object({
  kind: z.literal('Evicted'),
  cause: z.string().max(100),
  node: name.optional(),
});

export const PodFailedFactSchema = z.object({
  kind: z.literal('PodFailed'),
  phase: z.enum(['Failed', 'Unknown']),
  reason: z.string().max(200).optional(),
  container: name.optional(),
  exitCode: z.number().int().min(-1_000_000).max(1_000_000).optional(),
});

export const FactSchema = z.discriminatedUnion('kind', [
  ImagePullFactSchema,
  CrashLoopFactSchema,
  OomKilledFactSchema,
  MissingConfigFactSchema,
  UnschedulableFactSchema,
  FailedRolloutFactSchema,
  ScaledToZeroFactSchema,
  ProbeFactSchema,
  HpaAtMaxFactSchema,
  EvictedFactSchema,
  PodFailedFactSchema,
]);
export type Fact = z.infer<typeof FactSchema>;
export type FactKind = Fact['kind'];
export type FactOf<K extends FactKind> = Extract<Fact, { kind: K }>;

/** Facts an incident may carry: the chosen finding's, one per failing container at most. */
export const MAX_FACTS = 10;

/** The incident's facts of one kind, in the detector's order. */
export function factsOf<K extends FactKind>(incident: { facts?: readonly Fact[] }, kind: K): FactOf<K>[] {
  return (incident.facts ?? []).filter((f): f is FactOf<K> => f.kind === kind);
}

/** The first fact of one kind, preferring an app container over an init container when facts name one. */
export function factOf<K extends FactKind>(incident: { facts?: readonly Fact[] }, kind: K): FactOf<K> | undefined {
  const all = factsOf(incident, kind);
  return all.find((f) => !('init' in f) || f.init === false) ?? all[0];
}
