import { factsOf } from '../facts';
import type { Incident } from '../incident';
import { deploymentOf, escalate, formatMi, isCatalogueContainer, memoryBytes, rollback } from './common';
import type { Playbook, Proposal } from './types';

/** The killed container and its memory settings: the detector's fact for an app container first. */
function killed(incident: Incident): { container: string; limit?: string; limitBytes?: number; requestBytes?: number } | undefined {
  const facts = factsOf(incident, 'OOMKilled').filter((f) => isCatalogueContainer(f.container));
  const f = facts.find((x) => !x.init) ?? facts[0];
  if (!f) return undefined;
  return {
    container: f.container,
    ...(f.memoryLimit !== undefined ? { limit: f.memoryLimit } : {}),
    ...((f.memoryLimitBytes ?? memoryBytes(f.memoryLimit)) !== undefined ? { limitBytes: f.memoryLimitBytes ?? memoryBytes(f.memoryLimit) } : {}),
    ...((f.memoryRequestBytes ?? memoryBytes(f.memoryRequest)) !== undefined ? { requestBytes: f.memoryRequestBytes ?? memoryBytes(f.memoryRequest) } : {}),
  };
}

/** OOMKilled: double the memory limit up to the policy's ceiling; a rollback when a new revision brought it. */
export const oomKilledPlaybook: Playbook = {
  kind: 'OOMKilled',
  propose({ incident, rollout, revisionNote, limits }) {
    const c = killed(incident);
    const deployment = deploymentOf(incident);
    const limit = c?.limitBytes;
    const ceiling = memoryBytes(limits.maxMemory) ?? 8 * 2 ** 30;
    if (!c || !deployment || limit === undefined) {
      return [
        rollout.badNewRevision ? rollback(incident, `the container is OOMKilled and ${revisionNote}`) : undefined,
        escalate(incident, 'the container is OOMKilled but its memory limit is not known; raise it by hand'),
      ];
    }
    const target = Math.min(limit * 2, ceiling);
    const request = c.requestBytes;
    const resize: Proposal | undefined =
      target > limit
        ? {
            action: {
              action: 'patch_resources',
              namespace: incident.namespace,
              deployment,
              container: c.container,
              limits: { memory: formatMi(target) },
              // A request above the new limit would be rejected by the API server.
              ...(request !== undefined && request > target ? { requests: { memory: formatMi(target) } } : {}),
            },
            rationale: `container ${c.container} is OOMKilled at its ${c.limit} limit; doubling it (bounded by ${limits.maxMemory})`,
          }
        : undefined;
    return [
      resize,
      rollout.badNewRevision ? rollback(incident, `the container is OOMKilled and ${revisionNote}`) : undefined,
      escalate(incident, `container ${c.container} is OOMKilled at ${c.limit}, already at the ${limits.maxMemory} ceiling`),
    ];
  },
  hypotheses({ incident, newRevision }) {
    const c = killed(incident);
    const out = [`container ${c?.container ?? ''} needs more memory than its ${c?.limit ?? 'unknown'} limit`.replace('  ', ' ')];
    if (newRevision) out.push(`memory use grew with the new template: ${newRevision}`);
    return out;
  },
  cause({ incident }) {
    const c = killed(incident);
    return `${c?.container ?? 'the container'} is OOMKilled at ${c?.limit ?? 'its'} memory limit`;
  },
  whyFailed(action) {
    return action.action === 'patch_resources' ? 'the memory need is larger still, or it is a leak' : undefined;
  },
};
