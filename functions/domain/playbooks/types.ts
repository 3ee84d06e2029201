import type { ActionRequest } from '../actions';
import type { FailureKind, Incident, RolloutRevision } from '../incident';

/** The reasoner's limits, from the policy, so that its proposals are ones the policy will accept. */
export interface DeterministicReasonerOptions {
  /** Memory ceiling for patch_resources proposals (policy may be stricter). @default 8Gi */
  maxMemory?: string;
  /** Largest step when raising an HPA's maxReplicas. @default 5 */
  maxHpaStep?: number;
  /** HPA maxReplicas ceiling. @default 100 */
  hpaMaxReplicasCeiling?: number;
  /** Largest replica change of one scale_deployment (the policy's maxReplicaStep). @default 5 */
  maxReplicaStep?: number;
  /** Largest factor one patch_probe may change a timing by (the policy's maxProbeFactor). @default 3 */
  maxProbeFactor?: number;
}

export type Limits = Required<DeterministicReasonerOptions>;

/** What every playbook reads from the rollout history (structured evidence, not notes). */
export interface RolloutFacts {
  current?: RolloutRevision;
  previousGood?: RolloutRevision;
  /** A new revision is failing while an earlier one is available to return to. */
  badNewRevision: boolean;
  imageChanged: boolean;
}

/** A catalogue action and why, as a playbook proposes it (validated against the catalogue by the reasoner). */
export interface Proposal {
  action: ActionRequest;
  rationale: string;
}

/** What a playbook reads: the incident with its typed facts, and what analysis and the rollout history add. */
export interface PlaybookInput {
  incident: Incident;
  /** The sub-reason: analysis's refinement when it has one, else the detector's (lower case). */
  sub: string;
  /** The newest revision, the one to return to, and whether the new one is to blame. */
  rollout: RolloutFacts;
  /** `revision N is new and not healthy` / `no earlier good revision is known`, for rationales. */
  revisionNote: string;
  /** `revision N (new) is failing while revision M was good`, when it is. */
  newRevision?: string;
  limits: Limits;
}

/**
 * What an SRE does first for one failure kind, as pure functions of the
 * incident's facts. One file per kind beside its detector's name; the
 * registry (./index.ts) maps every kind to one.
 */
export interface Playbook {
  readonly kind: FailureKind;
  /** Candidate proposals, the first choice first; undefined where a step does not apply to this incident. */
  propose(input: PlaybookInput): (Proposal | undefined)[];
  /** Likely causes, most likely first (may be empty: the summary then says "cause unknown"). */
  hypotheses(input: PlaybookInput): string[];
  /** The cause as a fact, the first clause of a lesson; @default `<signature> on <target>` */
  cause?(input: PlaybookInput): string;
  /** A sharper sub-reason from what analysis added (logs), when the detector's could not say. */
  refineSubReason?(incident: Incident): string | undefined;
  /** Why a failed action failed, as far as this kind tells; @default the reasoner's generic insight */
  whyFailed?(action: ActionRequest, input: PlaybookInput): string | undefined;
}
