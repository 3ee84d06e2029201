import { z } from 'zod';
import { K8sNameSchema, K8sNamespaceSchema } from '../incident';
import type { ClusterSnapshot, KubeObject } from '../k8s';

/**
 * The boundary between untrusted cluster JSON and the detectors. Each object
 * is checked on the fields the detectors read and only those are kept
 * (managedFields, volumes and the rest are dropped: a 10 000-pod scan stays
 * small); an object that fails is left out of detection and reported with why, so one
 * malformed object never stops the scan and never yields a wrong incident.
 * Fields the API server legitimately emits as `null` (event times, template
 * creationTimestamp, condition lastProbeTime) are not checked or are nullable.
 */

const str = z.string();
const optStr = z.string().optional();
const nullableTime = z.string().nullable().optional();
const stringMap = z.record(z.string(), z.string());
const count = z.number().int().nonnegative();

const OwnerReference = z.object({
  apiVersion: optStr,
  kind: str,
  name: str,
  uid: optStr,
  controller: z.boolean().optional(),
});

const metadata = (namespaced: boolean) =>
  z.object({
    name: K8sNameSchema,
    namespace: namespaced ? K8sNamespaceSchema : optStr,
    uid: optStr,
    generation: z.number().int().optional(),
    creationTimestamp: optStr,
    deletionTimestamp: optStr,
    labels: stringMap.optional(),
    annotations: stringMap.optional(),
    ownerReferences: z.array(OwnerReference).optional(),
  });

const Condition = z.object({
  type: str,
  status: str,
  reason: optStr,
  message: optStr,
  // Some controllers write condition times as null (e.g. custom readiness gates).
  lastTransitionTime: nullableTime,
  lastUpdateTime: nullableTime,
});
const conditions = z.array(Condition).optional();

const Terminated = z.object({
  reason: optStr,
  message: optStr,
  exitCode: z.number().int().optional(),
  signal: z.number().int().optional(),
  startedAt: nullableTime,
  finishedAt: nullableTime,
});
const ContainerState = z.object({
  waiting: z.object({ reason: optStr, message: optStr }).optional(),
  running: z.object({ startedAt: nullableTime }).optional(),
  terminated: Terminated.optional(),
});
const ContainerStatus = z.object({
  name: str,
  image: optStr,
  ready: z.boolean().optional(),
  started: z.boolean().optional(),
  restartCount: count.optional(),
  state: ContainerState.optional(),
  lastState: ContainerState.optional(),
});

const Probe = z.object({
  httpGet: z.unknown().optional(),
  tcpSocket: z.unknown().optional(),
  exec: z.unknown().optional(),
  grpc: z.unknown().optional(),
  initialDelaySeconds: z.number().optional(),
  periodSeconds: z.number().optional(),
  timeoutSeconds: z.number().optional(),
  failureThreshold: z.number().optional(),
  successThreshold: z.number().optional(),
});
const Container = z.object({
  name: str,
  image: optStr,
  resources: z.object({ requests: stringMap.optional(), limits: stringMap.optional() }).optional(),
  livenessProbe: Probe.optional(),
  readinessProbe: Probe.optional(),
  startupProbe: Probe.optional(),
});
const PodSpec = z.object({
  containers: z.array(Container).optional(),
  initContainers: z.array(Container).optional(),
  nodeName: optStr,
  nodeSelector: stringMap.optional(),
});
const Template = z.object({
  metadata: z.object({ labels: stringMap.optional(), annotations: stringMap.optional() }).optional(),
  spec: PodSpec.optional(),
});
const Selector = z.object({ matchLabels: stringMap.optional() });

export const SnapshotPodSchema = z.object({
  metadata: metadata(true),
  spec: PodSpec.optional(),
  status: z
    .looseObject({
      phase: optStr,
      reason: optStr,
      message: optStr,
      conditions,
      containerStatuses: z.array(ContainerStatus).optional(),
      initContainerStatuses: z.array(ContainerStatus).optional(),
      startTime: optStr,
    })
    .optional(),
});

export const SnapshotDeploymentSchema = z.object({
  metadata: metadata(true),
  spec: z
    .looseObject({
      replicas: count.optional(),
      selector: Selector.optional(),
      template: Template.optional(),
      paused: z.boolean().optional(),
      progressDeadlineSeconds: count.optional(),
    })
    .optional(),
  status: z
    .looseObject({
      observedGeneration: z.number().int().optional(),
      replicas: count.optional(),
      updatedReplicas: count.optional(),
      readyReplicas: count.optional(),
      availableReplicas: count.optional(),
      unavailableReplicas: count.optional(),
      conditions,
    })
    .optional(),
});

export const SnapshotReplicaSetSchema = z.object({
  metadata: metadata(true),
  spec: z.object({ replicas: count.optional(), selector: Selector.optional(), template: Template.optional() }).optional(),
  status: z
    .looseObject({ replicas: count.optional(), readyReplicas: count.optional(), availableReplicas: count.optional() })
    .optional(),
});

export const SnapshotStatefulSetSchema = z.object({
  metadata: metadata(true),
  spec: z.object({ replicas: count.optional(), template: Template.optional() }).optional(),
  status: z.object({ replicas: count.optional(), readyReplicas: count.optional() }).optional(),
});

export const SnapshotHpaSchema = z.object({
  metadata: metadata(true),
  spec: z.object({
    scaleTargetRef: z.object({ apiVersion: optStr, kind: str, name: str }),
    minReplicas: count.optional(),
    maxReplicas: count,
    metrics: z.array(z.unknown()).optional(),
  }),
  status: z
    .looseObject({
      currentReplicas: count.optional(),
      desiredReplicas: count.optional(),
      currentMetrics: z.array(z.unknown()).nullable().optional(),
      conditions,
    })
    .optional(),
});

export const SnapshotEventSchema = z.object({
  metadata: z.object({ name: optStr, namespace: optStr, creationTimestamp: optStr }).optional(),
  involvedObject: z.object({ kind: str, name: str, namespace: optStr, uid: optStr, fieldPath: optStr }),
  reason: optStr,
  message: optStr,
  type: optStr,
  count: count.optional(),
  firstTimestamp: nullableTime,
  lastTimestamp: nullableTime,
  eventTime: nullableTime,
  series: z.object({ count: count.optional(), lastObservedTime: nullableTime }).nullable().optional(),
});

export const SnapshotNamespaceSchema = z.object({ metadata: metadata(false) });
export const SnapshotNodeSchema = z.object({
  metadata: metadata(false),
  spec: z
    .object({
      taints: z.array(z.object({ key: str, value: optStr, effect: str })).optional(),
      unschedulable: z.boolean().optional(),
    })
    .optional(),
  status: z.object({ allocatable: stringMap.optional(), conditions }).optional(),
});

export interface Skipped {
  object: string;
  why: string;
}

const LISTS = [
  ['namespaces', 'Namespace', SnapshotNamespaceSchema],
  ['nodes', 'Node', SnapshotNodeSchema],
  ['pods', 'Pod', SnapshotPodSchema],
  ['deployments', 'Deployment', SnapshotDeploymentSchema],
  ['replicaSets', 'ReplicaSet', SnapshotReplicaSetSchema],
  ['statefulSets', 'StatefulSet', SnapshotStatefulSetSchema],
  ['hpas', 'HorizontalPodAutoscaler', SnapshotHpaSchema],
  ['events', 'Event', SnapshotEventSchema],
] as const;

/** `Kind namespace/name`, or the list position when the object has no usable name. */
export function describeObject(kind: string, obj: unknown, index: number): string {
  const meta = obj !== null && typeof obj === 'object' ? (obj as { metadata?: unknown }).metadata : undefined;
  const m = meta !== null && typeof meta === 'object' ? (meta as { name?: unknown; namespace?: unknown }) : {};
  const name = typeof m.name === 'string' ? m.name.slice(0, 253) : undefined;
  const ns = typeof m.namespace === 'string' ? m.namespace.slice(0, 63) : undefined;
  if (!name) return `${kind} #${index}`;
  return ns ? `${kind} ${ns}/${name}` : `${kind} ${name}`;
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid object';
  const path = issue.path.length > 0 ? issue.path.join('.') : '(object)';
  return `${path}: ${issue.message}`.slice(0, 300);
}

/**
 * Checks a snapshot object by object. Returns a snapshot holding only the
 * objects that passed, and what was left out with why. Never throws.
 */
export function sanitizeSnapshot(input: unknown): { snapshot: ClusterSnapshot | undefined; skipped: Skipped[] } {
  const skipped: Skipped[] = [];
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { snapshot: undefined, skipped: [{ object: 'snapshot', why: 'snapshot is not an object' }] };
  }
  const raw = input as Record<string, unknown>;
  const cluster = typeof raw.cluster === 'string' && raw.cluster.length > 0 ? raw.cluster.slice(0, 100) : undefined;
  const takenAtMs = typeof raw.takenAt === 'string' ? Date.parse(raw.takenAt) : Number.NaN;
  if (!cluster) skipped.push({ object: 'snapshot', why: 'cluster: must be a non-empty string' });
  if (Number.isNaN(takenAtMs)) skipped.push({ object: 'snapshot', why: 'takenAt: must be an RFC 3339 time' });
  if (!cluster || Number.isNaN(takenAtMs)) return { snapshot: undefined, skipped };

  const snapshot: ClusterSnapshot = {
    cluster,
    takenAt: new Date(takenAtMs).toISOString(),
    namespaces: [],
    nodes: [],
    pods: [],
    deployments: [],
    replicaSets: [],
    statefulSets: [],
    hpas: [],
    events: [],
  };
  for (const [key, kind, schema] of LISTS) {
    const list = raw[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      skipped.push({ object: `snapshot.${key}`, why: `${key}: must be an array` });
      continue;
    }
    const out = snapshot[key] as KubeObject[];
    list.forEach((obj, index) => {
      const parsed = schema.safeParse(obj);
      if (parsed.success) out.push(parsed.data as KubeObject);
      else skipped.push({ object: describeObject(kind, obj, index), why: firstIssue(parsed.error) });
    });
  }
  return { snapshot, skipped };
}
