/**
 * Plain Kubernetes object shapes: the subset of fields the domain reads, as
 * they appear in API JSON (timestamps are RFC 3339 strings, never Date).
 * Every field is optional because cluster data is untrusted: code reading it
 * must treat a missing field conservatively. No SDK import here — the cluster
 * adapter converts client objects to this plain JSON.
 */

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface ResourceRequirements {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface Probe {
  httpGet?: { path?: string; port?: number | string };
  tcpSocket?: { port?: number | string };
  exec?: { command?: string[] };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
  successThreshold?: number;
}

export interface EnvVar {
  name?: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: { name?: string; key?: string; optional?: boolean };
    secretKeyRef?: { name?: string; key?: string; optional?: boolean };
  };
}

export interface Container {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name?: string; optional?: boolean }; secretRef?: { name?: string; optional?: boolean } }[];
  resources?: ResourceRequirements;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
}

export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: { key?: string; operator?: string; value?: string; effect?: string }[];
  restartPolicy?: string;
  volumes?: { name?: string; configMap?: { name?: string; optional?: boolean }; secret?: { secretName?: string; optional?: boolean } }[];
}

export interface PodTemplateSpec {
  metadata?: ObjectMeta;
  spec?: PodSpec;
}

export interface ContainerStateWaiting {
  reason?: string;
  message?: string;
}
export interface ContainerStateTerminated {
  reason?: string;
  message?: string;
  exitCode?: number;
  signal?: number;
  startedAt?: string;
  finishedAt?: string;
}
export interface ContainerStateRunning {
  startedAt?: string;
}
export interface ContainerState {
  waiting?: ContainerStateWaiting;
  running?: ContainerStateRunning;
  terminated?: ContainerStateTerminated;
}

export interface ContainerStatus {
  name?: string;
  image?: string;
  imageID?: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

export interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
}

export interface PodStatus {
  phase?: string;
  reason?: string;
  message?: string;
  conditions?: Condition[];
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
  startTime?: string;
  hostIP?: string;
  podIP?: string;
}

export interface Pod extends KubeObject {
  spec?: PodSpec;
  status?: PodStatus;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
}

export interface DeploymentSpec {
  replicas?: number;
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  paused?: boolean;
  progressDeadlineSeconds?: number;
  revisionHistoryLimit?: number;
  strategy?: { type?: string; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: Condition[];
}

export interface Deployment extends KubeObject {
  spec?: DeploymentSpec;
  status?: DeploymentStatus;
}

export interface ReplicaSet extends KubeObject {
  spec?: { replicas?: number; selector?: LabelSelector; template?: PodTemplateSpec };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number; observedGeneration?: number };
}

export interface StatefulSet extends KubeObject {
  spec?: { replicas?: number; selector?: LabelSelector; template?: PodTemplateSpec };
  status?: { replicas?: number; readyReplicas?: number; currentReplicas?: number; updatedReplicas?: number; currentRevision?: string; updateRevision?: string };
}

export interface HorizontalPodAutoscaler extends KubeObject {
  spec?: {
    scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string };
    minReplicas?: number;
    maxReplicas?: number;
    metrics?: unknown[];
  };
  status?: {
    currentReplicas?: number;
    desiredReplicas?: number;
    currentMetrics?: unknown[];
    conditions?: Condition[];
  };
}

export interface KubeEvent extends KubeObject {
  involvedObject?: { kind?: string; name?: string; namespace?: string; uid?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  source?: { component?: string; host?: string };
  reportingComponent?: string;
}

export interface Namespace extends KubeObject {
  status?: { phase?: string };
}

export interface Node extends KubeObject {
  spec?: { taints?: { key?: string; value?: string; effect?: string }[]; unschedulable?: boolean };
  status?: { allocatable?: Record<string, string>; capacity?: Record<string, string>; conditions?: Condition[] };
}

/**
 * A K8sGPT operator `Result` (results.core.k8sgpt.ai/v1alpha1): one analyzer
 * finding about one object. `spec.name` is `namespace/name` for namespaced
 * objects. Untrusted text: bounded before it becomes evidence.
 */
export interface K8sgptResult extends KubeObject {
  spec?: {
    kind?: string;
    name?: string;
    parentObject?: string;
    error?: { text?: string }[];
    details?: string;
    backend?: string;
  };
}

/** Everything one detection pass reads, fetched once, so detectors need no server. */
export interface ClusterSnapshot {
  cluster: string;
  /** RFC 3339 time at which the snapshot was taken (detectors use it as "now"). */
  takenAt: string;
  namespaces: Namespace[];
  nodes: Node[];
  pods: Pod[];
  deployments: Deployment[];
  replicaSets: ReplicaSet[];
  statefulSets: StatefulSet[];
  hpas: HorizontalPodAutoscaler[];
  events: KubeEvent[];
  /** K8sGPT operator Results, when the cluster has the CRD (absent otherwise). */
  k8sgptResults?: K8sgptResult[];
}

/** A reference to one namespaced object. */
export interface ObjectRef {
  kind: 'Pod' | 'Deployment' | 'ReplicaSet' | 'StatefulSet' | 'HorizontalPodAutoscaler' | 'Namespace' | 'Node';
  namespace: string;
  name: string;
}

/** Which snapshot list holds objects of each kind (one place for the CLI, the detectors and the tests). */
export const SNAPSHOT_KEY_OF_KIND = {
  Namespace: 'namespaces',
  Node: 'nodes',
  Pod: 'pods',
  Deployment: 'deployments',
  ReplicaSet: 'replicaSets',
  StatefulSet: 'statefulSets',
  HorizontalPodAutoscaler: 'hpas',
  Event: 'events',
} as const satisfies Record<string, keyof ClusterSnapshot>;
export type SnapshotListKey = (typeof SNAPSHOT_KEY_OF_KIND)[keyof typeof SNAPSHOT_KEY_OF_KIND];

export function emptySnapshot(cluster: string, takenAt: string): ClusterSnapshot {
  return { cluster, takenAt, namespaces: [], nodes: [], pods: [], deployments: [], replicaSets: [], statefulSets: [], hpas: [], events: [] };
}
