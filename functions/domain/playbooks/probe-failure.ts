import type { ActionRequest } from '../actions';
import { factOf } from '../facts';
import { maxProbeStep } from '../policy-config';
import type { Incident } from '../incident';
import { deploymentOf, escalate, failingContainer, isCatalogueContainer, rollback } from './common';
import type { Limits, Playbook, PlaybookInput, Proposal } from './types';

type ProbeName = 'liveness' | 'readiness' | 'startup';

/** Which probe fails: the sub-reason names it (`readiness-timeout`), else the detector's fact. */
function probeOf({ incident, sub }: PlaybookInput): ProbeName {
  if (/startup/.test(sub)) return 'startup';
  if (/readiness/.test(sub)) return 'readiness';
  if (/liveness/.test(sub)) return 'liveness';
  return factOf(incident, 'Probe')?.probe ?? 'liveness';
}

/** The failing container: the detector's fact, else the evidence's first not-ready or restarted one. */
function containerOf(incident: Incident): string | undefined {
  const fact = factOf(incident, 'Probe');
  if (fact && isCatalogueContainer(fact.container)) return fact.container;
  return (failingContainer(incident, (c) => c.ready === false || (c.restartCount ?? 0) > 0) ?? failingContainer(incident, () => true))?.container;
}

function patchProbe(incident: Incident, probe: ProbeName, limits: Limits, cause?: 'timeout'): Proposal | undefined {
  const deployment = deploymentOf(incident);
  const container = containerOf(incident);
  if (!deployment || !container) return undefined;
  // The probe as configured (the detector's fact); absent fields are the API's defaults.
  const settings = factOf(incident, 'Probe')?.settings;
  const delay = settings?.initialDelaySeconds ?? 0;
  const timeout = settings?.timeoutSeconds ?? 1;
  const threshold = settings?.failureThreshold ?? 3;
  // Each timing moves at most what the policy allows per step, so the write path accepts it.
  const step = (from: number, to: number): number => Math.min(to, Math.floor(maxProbeStep(from, limits.maxProbeFactor)));
  if (cause === 'timeout') {
    // The app answers, only slower than the timeout: a longer start-up allowance changes nothing, and a
    // timeout just above the old one is usually still too short (the endpoint's latency is unknown).
    const next = step(timeout, Math.min(60, Math.max(timeout * 4, timeout + 3)));
    if (next <= timeout) return undefined;
    return {
      action: { action: 'patch_probe', namespace: incident.namespace, deployment, container, probe, timeout_seconds: next },
      rationale: `the ${probe} probe times out after ${timeout}s while the app answers slower; raising the timeout to ${next}s`,
    };
  }
  const action: ActionRequest =
    probe === 'startup'
      ? { action: 'patch_probe', namespace: incident.namespace, deployment, container, probe, failure_threshold: step(threshold, Math.min(30, Math.max(threshold * 2, threshold + 3))) }
      : {
          action: 'patch_probe',
          namespace: incident.namespace,
          deployment,
          container,
          probe,
          initial_delay_seconds: step(delay, Math.min(600, Math.max(delay * 2, delay + 30))),
          timeout_seconds: step(timeout, Math.min(60, Math.max(timeout * 2, timeout + 2))),
        };
  return { action, rationale: `the ${probe} probe looks too aggressive (initialDelay ${delay}s, timeout ${timeout}s); giving the app more time` };
}

/**
 * ProbeFailure: what the kubelet saw decides whether timings can help at all
 * (see probeSubReason): a timeout gets a longer timeout; a 4xx or a refused
 * port never passes whatever the timings (rollback, else a human); otherwise
 * the probe is given more time, after a rollback when readiness broke with a
 * new revision.
 */
export const probeFailurePlaybook: Playbook = {
  kind: 'ProbeFailure',
  propose(input) {
    const { incident, sub, rollout, revisionNote } = input;
    const probe = probeOf(input);
    if (/-http-error$/.test(sub) || sub === 'readiness-refused') {
      const why = /-http-error$/.test(sub)
        ? `the ${probe} probe gets HTTP 4xx (a path the app does not serve); no timing fixes it`
        : `nothing listens on the ${probe} probe's port; no timing fixes it`;
      return [rollback(incident, `${why}, and ${revisionNote}`), escalate(incident, `${why}; correct the probe (${incident.message})`.trim())];
    }
    if (/-timeout$/.test(sub)) {
      return [
        patchProbe(incident, probe, input.limits, 'timeout'),
        rollback(incident, `the ${probe} probe times out and ${revisionNote}`),
        escalate(incident, `the ${probe} probe times out`),
      ];
    }
    const patch = patchProbe(incident, probe, input.limits);
    return rollout.badNewRevision && probe === 'readiness'
      ? [rollback(incident, `readiness fails since ${revisionNote}`), patch, escalate(incident, 'readiness probe fails')]
      : [patch, rollback(incident, `${probe} probe fails and ${revisionNote}`), escalate(incident, `${probe} probe fails`)];
  },
  hypotheses({ sub, newRevision }) {
    const out: string[] = [];
    if (/-http-error$/.test(sub)) out.push(`the ${sub.replace(/-http-error$/, '')} probe asks for a path the app does not serve (HTTP 4xx)`);
    else if (sub === 'readiness-refused') out.push('nothing listens on the readiness probe\'s port');
    else if (/-timeout$/.test(sub)) out.push(`the ${sub.replace(/-timeout$/, '')} probe's timeout is shorter than the app takes to answer`);
    else out.push(`the ${sub} probe is too aggressive for the app's start-up or response time`);
    if (newRevision) out.push(`the app became slower or broken with the new template: ${newRevision}`);
    return out;
  },
};
