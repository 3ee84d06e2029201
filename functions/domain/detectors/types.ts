import type { Fact } from '../facts';
import type { FailureKind, RolloutRevision } from '../incident';
import type { ClusterSnapshot, Deployment, KubeEvent, Pod, ReplicaSet } from '../k8s';
import type { ResolvedWorkload } from '../workload';

/** What a pod-level detector found on one pod. */
export interface PodFinding {
  kind: FailureKind;
  /** Lowercase kebab, e.g. `tag-not-found`; part of the fingerprint, so stable across detections. */
  subReason: string;
  /** The Kubernetes reason as shown (e.g. `ImagePullBackOff`, `Error`). */
  reason: string;
  /** One line for humans; may name pods and containers (not part of the fingerprint). */
  message: string;
  /** Containers (app or init) that show the failure, for the evidence. */
  containers: string[];
  /** The same findings typed, for playbooks and selection (the notes are for people). */
  facts?: Fact[];
  notes?: string[];
  unknowns?: string[];
}

/** What a workload-level detector (Deployments, HPAs) found. */
export interface WorkloadFinding extends Omit<PodFinding, 'containers'> {
  target: { kind: 'Deployment' | 'StatefulSet' | 'HorizontalPodAutoscaler'; namespace: string; name: string };
  /** Pods involved (e.g. the new ReplicaSet's pods), with the containers to show for them. */
  pods: { pod: Pod; containers: string[] }[];
}

/** Read-only, indexed view of a sanitized snapshot that every detector shares. */
export interface DetectContext {
  readonly snapshot: ClusterSnapshot;
  /** snapshot.takenAt in epoch ms: the detectors' "now". */
  readonly now: number;
  /** Events whose involvedObject is the given object, oldest first. */
  eventsFor(kind: string, namespace: string, name: string): KubeEvent[];
  workloadOf(pod: Pod): ResolvedWorkload;
  deployment(namespace: string, name: string): Deployment | undefined;
  /** Rollout history of a Deployment (with revision health from the snapshot's pods), cached. */
  historyOf(deployment: Deployment): RolloutRevision[];
  /** Objects of one namespace (owner references never cross namespaces). */
  replicaSetsIn(namespace: string): ReplicaSet[];
  podsIn(namespace: string): Pod[];
}

export interface PodDetector {
  readonly kind: FailureKind;
  readonly scope: 'pod';
  detect(pod: Pod, ctx: DetectContext): PodFinding | undefined;
}

export interface WorkloadDetector {
  readonly kind: FailureKind;
  readonly scope: 'workload';
  detect(ctx: DetectContext): WorkloadFinding[];
}

export type Detector = PodDetector | WorkloadDetector;
