import { escalate, restartPod } from './common';
import type { Playbook } from './types';

/** Evicted: remove the pod so its controller places a replacement on a node with room; a pod over its own limit needs a human. */
export const evictedPlaybook: Playbook = {
  kind: 'Evicted',
  propose({ incident, sub }) {
    // A pod over its own ephemeral-storage limit is evicted again wherever it runs.
    if (/ephemeral-storage-limit/.test(sub)) {
      return [escalate(incident, `pods exceed their ephemeral-storage limit (${incident.message || sub}); the limit or the app's disk use must change`)];
    }
    return [
      restartPod(incident, `the pod was evicted (${sub}); removing it lets its controller place a replacement on a node with room`),
      escalate(incident, `pods are evicted (${incident.message || sub}); node pressure needs capacity or request changes`),
    ];
  },
  hypotheses({ incident }) {
    return [`the node ran out of a resource and evicted pods: ${incident.message}`.trim()];
  },
};
