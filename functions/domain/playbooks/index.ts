import type { FailureKind } from '../incident';
import { createContainerConfigPlaybook } from './create-container-config';
import { crashLoopPlaybook } from './crash-loop';
import { evictedPlaybook } from './evicted';
import { failedRolloutPlaybook } from './failed-rollout';
import { hpaAtMaxPlaybook } from './hpa-at-max';
import { imagePullPlaybook } from './image-pull';
import { oomKilledPlaybook } from './oom-killed';
import { podFailedPlaybook } from './pod-failed';
import { probeFailurePlaybook } from './probe-failure';
import type { Playbook } from './types';
import { unschedulablePlaybook } from './unschedulable';

export type { DeterministicReasonerOptions, Limits, Playbook, PlaybookInput, Proposal } from './types';

/**
 * The registry: one playbook per failure kind, like the detectors
 * (functions/domain/detectors/index.ts). A Record, so a kind added to
 * FAILURE_KINDS without a playbook does not compile. Adding a kind: its
 * detector emits a fact (functions/domain/facts.ts), one file here reads it,
 * one entry below, seeded strategies in functions/domain/seeded-strategies.ts.
 */
export const PLAYBOOKS: Readonly<Record<FailureKind, Playbook>> = {
  ImagePullBackOff: imagePullPlaybook,
  CrashLoopBackOff: crashLoopPlaybook,
  OOMKilled: oomKilledPlaybook,
  CreateContainerConfigError: createContainerConfigPlaybook,
  Unschedulable: unschedulablePlaybook,
  FailedRollout: failedRolloutPlaybook,
  ProbeFailure: probeFailurePlaybook,
  Evicted: evictedPlaybook,
  HpaAtMax: hpaAtMaxPlaybook,
  PodFailed: podFailedPlaybook,
};

export const playbookFor = (kind: FailureKind): Playbook => PLAYBOOKS[kind];
