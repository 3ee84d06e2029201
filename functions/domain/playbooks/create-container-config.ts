import { factOf } from '../facts';
import { escalate, rollback } from './common';
import type { Playbook, PlaybookInput } from './types';

/** What is missing, in words: the detector's fact, else the sub-reason. */
function missingWhat({ incident, sub }: PlaybookInput): string {
  const object = factOf(incident, 'MissingConfig')?.object?.kind;
  if (object) return object;
  return sub === 'missing-secret' ? 'Secret' : sub === 'missing-configmap' ? 'ConfigMap' : 'configuration';
}

/** CreateContainerConfigError: a rollback when a new revision introduced the reference, else a human creates the object. */
export const createContainerConfigPlaybook: Playbook = {
  kind: 'CreateContainerConfigError',
  propose(input) {
    const { incident, rollout, revisionNote } = input;
    const what = missingWhat(input);
    return [
      rollout.badNewRevision ? rollback(incident, `a referenced ${what} is missing and ${revisionNote}`) : undefined,
      escalate(incident, `a referenced ${what} is missing and ${revisionNote}: ${incident.message}`.trim()),
    ];
  },
  hypotheses({ incident, newRevision }) {
    const out = [`a ConfigMap, Secret or key the pod references is missing: ${incident.message}`.trim()];
    if (newRevision) out.push(`the reference came with the new template: ${newRevision}`);
    return out;
  },
};
