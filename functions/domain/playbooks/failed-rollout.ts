import { hpaMinReplicasOf } from '../detectors/scaled-to-zero';
import { deploymentOf, escalate, rollback } from './common';
import type { Playbook } from './types';

/**
 * FailedRollout: a stalled rollout goes back to the last good revision; a
 * Deployment scaled to zero under an HPA goes back to the HPA's minimum (the
 * detector's ScaledToZero fact), one bounded step at a time.
 */
export const failedRolloutPlaybook: Playbook = {
  kind: 'FailedRollout',
  propose({ incident, sub, revisionNote, limits }) {
    if (sub === 'scaled-to-zero') {
      const deployment = deploymentOf(incident);
      const min = hpaMinReplicasOf(incident);
      if (!deployment || min === undefined) {
        return [escalate(incident, `the Deployment was scaled to zero under an HPA, but the HPA's minimum is not known: ${incident.message}`.trim())];
      }
      // The Deployment is at 0 (that is the finding); one step is bounded like the policy's replica step.
      const replicas = Math.min(min, limits.maxReplicaStep);
      return [
        {
          action: { action: 'scale_deployment', namespace: incident.namespace, deployment, replicas },
          rationale:
            `the Deployment was scaled to 0 while its HPA requires at least ${min} (the HPA does not scale a target at zero); ` +
            `scaling to ${replicas}${replicas < min ? ` (the largest step; the HPA's minimum is ${min})` : ', the HPA\'s minimum, from where the HPA takes over'}`,
        },
        escalate(incident, `the Deployment was scaled to zero under an HPA requiring ${min}; confirm it was not deliberate`),
      ];
    }
    return [
      rollback(incident, `the rollout does not progress and ${revisionNote}`),
      escalate(incident, `the rollout does not progress and ${revisionNote}`),
    ];
  },
  hypotheses({ sub, newRevision }) {
    if (sub === 'scaled-to-zero') {
      return ['the Deployment was scaled to zero (by hand or a script) while an HPA manages it; the HPA does not scale a target at zero'];
    }
    return [newRevision ? `the new revision does not become available: ${newRevision}` : 'the new ReplicaSet does not become available'];
  },
};
