import { factOf, PULL_CAUSES, type FactOf } from '../facts';
import type { Incident } from '../incident';
import { escalate, failingContainer, imageTag, rollback } from './common';
import type { Playbook, PlaybookInput } from './types';

type Cause = FactOf<'ImagePull'>['cause'];

/**
 * Why the pull fails and of which image: the detector's classification of
 * the registry error (its fact), or the sub-reason when analysis refined it
 * or the incident was not built by the detectors.
 */
function pull({ incident, sub }: PlaybookInput): { cause: Cause; image: string | undefined } {
  const fact = factOf(incident, 'ImagePull');
  const fromSub = (PULL_CAUSES as readonly string[]).includes(sub) ? (sub as Cause) : undefined;
  const image = fact?.image || imageOfEvidence(incident);
  return { cause: fromSub ?? fact?.cause ?? 'unknown', image };
}

const imageOfEvidence = (incident: Incident) =>
  (failingContainer(incident, (c) => /image|pull/i.test(c.reason ?? '')) ?? failingContainer(incident, () => true))?.image;

/** ErrImagePull / ImagePullBackOff / InvalidImageName: a rollback when a new revision brought the image, else a human. */
export const imagePullPlaybook: Playbook = {
  kind: 'ImagePullBackOff',
  propose(input) {
    const { incident, rollout, revisionNote } = input;
    const { cause, image } = pull(input);
    if (cause === 'auth') {
      return [escalate(incident, `image pull is refused by the registry (credentials/permissions): ${incident.message}`.trim())];
    }
    const why =
      cause === 'tag-not-found'
        ? `image tag ${imageTag(image) ?? '(unknown)'} does not exist in the registry`
        : cause === 'invalid-name'
          ? `image reference ${image ?? ''} is invalid`
          : `image ${image ?? ''} cannot be pulled`;
    return [
      rollout.badNewRevision ? rollback(incident, `${why} and ${revisionNote}`) : undefined,
      escalate(incident, `${why}; ${revisionNote}, so there is nothing safe to return to`),
    ];
  },
  hypotheses(input) {
    const { cause, image } = pull(input);
    switch (cause) {
      case 'auth':
        return ['the registry refuses the node\'s credentials (imagePullSecrets or node IAM role)'];
      case 'tag-not-found':
        return [
          input.rollout.badNewRevision && input.rollout.imageChanged
            ? `the new revision's image tag ${imageTag(image) ?? ''} does not exist`.replace('  ', ' ')
            : `image tag ${imageTag(image) ?? '(unknown)'} does not exist in the registry`,
        ];
      case 'registry-unreachable':
        return ['the registry is unreachable from the node'];
      default:
        return [`image ${image ?? ''} cannot be pulled`.trim()];
    }
  },
  cause(input) {
    const { cause, image } = pull(input);
    if (cause === 'auth') return 'the registry refuses the image pull credentials';
    if (cause === 'tag-not-found') return `tag ${imageTag(image) ?? '(unknown)'} does not exist in the registry`;
    return `image ${image ?? ''} cannot be pulled`;
  },
};
