import { factOf } from '../facts';
import { escalate, rollback } from './common';
import type { Playbook, PlaybookInput } from './types';

/** The scheduling constraint in words: the detector's fact (the constraint that keeps most nodes out), else the sub-reason. */
function why({ incident, sub }: PlaybookInput): string {
  const constraint = factOf(incident, 'Unschedulable')?.constraint ?? sub;
  if (constraint === 'node-selector') return 'no node matches the pod\'s node selector/affinity';
  if (constraint === 'taints') return 'no node tolerates the pod\'s taints';
  if (constraint.startsWith('insufficient-')) return 'the cluster lacks capacity for the pod\'s requests';
  return 'the scheduler cannot place the pod';
}

/** Unschedulable: placement that broke with a new revision is undone by a rollback; capacity and nodes need a human. */
export const unschedulablePlaybook: Playbook = {
  kind: 'Unschedulable',
  propose(input) {
    const { incident, rollout, revisionNote } = input;
    const reason = why(input);
    // Placement that broke with a new revision (a nodeSelector, an affinity) is undone by returning to the last good one.
    return [
      rollout.badNewRevision ? rollback(incident, `${reason} since ${revisionNote}`) : undefined,
      escalate(incident, `${reason}: ${incident.message}`.trim()),
    ];
  },
  hypotheses({ incident }) {
    return [`the scheduler cannot place the pod: ${incident.message}`.trim()];
  },
};
