import { escalate, restartPod, rolloutRestart } from './common';
import type { Playbook } from './types';

/** PodFailed (phase Failed or Unknown): its controller recreates it; a bare pod needs a human. */
export const podFailedPlaybook: Playbook = {
  kind: 'PodFailed',
  propose({ incident }) {
    return [
      restartPod(incident, 'the pod failed or is unknown; its controller recreates it on a healthy node'),
      rolloutRestart(incident, 'pods failed or are unknown; a rollout restart replaces them'),
      escalate(incident, `the pod failed and has no controller to recreate it: ${incident.message}`.trim()),
    ];
  },
  hypotheses({ incident }) {
    return [`the pod failed or its node became unreachable: ${incident.message}`.trim()];
  },
};
