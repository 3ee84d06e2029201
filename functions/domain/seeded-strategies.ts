import type { ActionName } from './actions';
import type { FailureKind } from './incident';
import type { Strategy } from './model';
import { makeStrategy } from './strategy-template';

/**
 * What an SRE would try first for each failure signature, before memory knows
 * better. Several plausible strategies per signature on purpose: memory
 * learns which one works for which sub-signature. Order is the SRE's
 * preference (it breaks ties when nothing is known yet). Templates are
 * relative (see strategy-template), so they fit any workload.
 */

interface Seed {
  action: ActionName;
  template: Record<string, unknown>;
  description: string;
}

const NS = { namespace: '{{namespace}}' };
const rollback = (description: string, requires: 'earlier-revision' | 'new-failing-revision' = 'earlier-revision'): Seed => ({
  action: 'rollback_deployment',
  template: { ...NS, deployment: '{{target.name}}', requires },
  description,
});
const rolloutRestart = (description: string): Seed => ({
  action: 'rollout_restart',
  template: { ...NS, deployment: '{{target.name}}' },
  description,
});
const restartPod = (description: string): Seed => ({ action: 'restart_pod', template: { ...NS, pod: '{{pod}}' }, description });
const escalate = (reason: string): Seed => ({ action: 'escalate', template: { ...NS, reason }, description: reason });
const relaxProbe = (probe: 'liveness' | 'readiness' | 'startup' | '{{probe}}'): Seed => ({
  action: 'patch_probe',
  template: {
    ...NS,
    deployment: '{{target.name}}',
    container: '{{container}}',
    probe,
    initial_delay_factor: 2,
    timeout_factor: 2,
    failure_threshold_factor: 2,
  },
  description: `relax the ${probe === '{{probe}}' ? 'failing' : probe} probe: twice the initial delay, timeout and failure threshold (bounded)`,
});
// A probe that times out needs a longer timeout, not a longer start-up allowance: one timing, a bigger step.
const lengthenTimeout: Seed = {
  action: 'patch_probe',
  template: { ...NS, deployment: '{{target.name}}', container: '{{container}}', probe: '{{probe}}', timeout_factor: 4 },
  description: 'the probe times out: four times its timeout (bounded)',
};
const lowerRequest = (resource: 'memory' | 'cpu'): Seed => ({
  action: 'patch_resources',
  template: { ...NS, deployment: '{{target.name}}', container: '{{container}}', [`${resource}_request_factor`]: 0.5 },
  description: `halve the ${resource} request so the pod fits a node (bounded by a floor)`,
});

interface Rule {
  kind: FailureKind;
  /** Matches the sub-reason (the part after the first ':'), lower-cased; undefined matches any. */
  sub?: RegExp;
  seeds: Seed[];
}

// First matching rule wins, so specific sub-reasons come before the kind's catch-all.
const RULES: Rule[] = [
  {
    kind: 'ImagePullBackOff',
    sub: /auth|unauthori[sz]ed|denied|forbidden|credential|401|403/,
    seeds: [escalate('{{signature}}: the registry refuses the pull credentials; fix the imagePullSecret or node role')],
  },
  {
    kind: 'ImagePullBackOff',
    seeds: [
      rollback('roll back to the revision whose image could be pulled'),
      escalate('{{signature}}: the image cannot be pulled and there is no revision to return to'),
    ],
  },
  {
    kind: 'CrashLoopBackOff',
    seeds: [
      rollback('roll back: the crash may have come with the new template'),
      rolloutRestart('restart all pods: the crash may be transient (dependency, warm-up)'),
    ],
  },
  {
    kind: 'OOMKilled',
    seeds: [
      {
        action: 'patch_resources',
        template: { ...NS, deployment: '{{target.name}}', container: '{{container}}', memory_limit_factor: 2, memory_request_factor: 2 },
        description: 'double the memory limit and request of the OOMKilled container (bounded by the ceiling)',
      },
      rollback('roll back: memory use grew with the new revision', 'new-failing-revision'),
    ],
  },
  // Refined probe sub-reasons (see probeSubReason) before the per-probe catch-alls. An HTTP 4xx (wrong
  // path) never passes whatever the timings, nor does a refused connection on a readiness probe of a
  // container that has been running past the grace (wrong port): only the template's history helps.
  {
    kind: 'ProbeFailure',
    sub: /-http-error$/,
    seeds: [
      rollback('roll back: the probe asks for a path the app does not serve (HTTP 4xx) since the new revision'),
      escalate('{{signature}}: the probe gets HTTP 4xx (wrong path or port) and no timing fixes it; correct the probe'),
    ],
  },
  {
    kind: 'ProbeFailure',
    sub: /^readiness-refused$/,
    seeds: [
      rollback('roll back: nothing listens on the readiness probe\'s port since the new revision'),
      escalate('{{signature}}: nothing listens on the probe\'s port; correct the probe or the container port'),
    ],
  },
  { kind: 'ProbeFailure', sub: /-timeout$/, seeds: [lengthenTimeout, rollback('roll back: the probe times out since the new revision')] },
  { kind: 'ProbeFailure', sub: /liveness/, seeds: [relaxProbe('liveness'), rollback('roll back: the app became slow or broken with the new revision')] },
  { kind: 'ProbeFailure', sub: /readiness/, seeds: [rollback('roll back: the app stopped becoming ready with the new revision'), relaxProbe('readiness')] },
  { kind: 'ProbeFailure', sub: /startup/, seeds: [relaxProbe('startup'), rollback('roll back: the app starts slower since the new revision')] },
  { kind: 'ProbeFailure', seeds: [relaxProbe('{{probe}}'), rollback('roll back: the probe fails since the new revision')] },
  {
    kind: 'Unschedulable',
    sub: /insufficient[-_ ]?memory/,
    seeds: [lowerRequest('memory'), escalate('{{signature}}: no node has the memory this pod requests; add capacity or lower the request')],
  },
  {
    kind: 'Unschedulable',
    sub: /insufficient[-_ ]?cpu/,
    seeds: [lowerRequest('cpu'), escalate('{{signature}}: no node has the CPU this pod requests; add capacity or lower the request')],
  },
  {
    kind: 'Unschedulable',
    seeds: [
      rollback('roll back: the pods became unschedulable with the new revision (node selector, affinity or tolerations changed)', 'new-failing-revision'),
      escalate(
        '{{signature}}: the scheduler cannot place the pod (node selector, affinity, taints or capacity); the action catalogue cannot change placement',
      ),
    ],
  },
  {
    kind: 'CreateContainerConfigError',
    seeds: [
      rollback('roll back: the new revision references a ConfigMap/Secret or key that does not exist', 'new-failing-revision'),
      escalate('{{signature}}: a referenced ConfigMap/Secret or key is missing; create it'),
    ],
  },
  {
    kind: 'HpaAtMax',
    seeds: [
      // Two magnitudes on purpose: half again is often too little for a real spike; memory learns which suffices.
      {
        action: 'patch_hpa',
        template: { ...NS, hpa: '{{hpa}}', max_replicas_factor: 1.5 },
        description: 'raise the HPA maxReplicas by half (bounded by the ceiling)',
      },
      {
        action: 'patch_hpa',
        template: { ...NS, hpa: '{{hpa}}', max_replicas_factor: 2 },
        description: 'double the HPA maxReplicas (bounded by the ceiling)',
      },
      escalate('{{signature}}: the autoscaler is at its maximum under load; review capacity'),
    ],
  },
  {
    kind: 'FailedRollout',
    sub: /^scaled-to-zero$/,
    seeds: [
      {
        action: 'scale_deployment',
        template: { ...NS, deployment: '{{target.name}}', replicas_to_hpa_min: true },
        description: 'scale the Deployment back to its HPA\'s minReplicas (at most maxReplicaStep at a time); the HPA takes over from there',
      },
      escalate('{{signature}}: the Deployment was scaled to zero under an HPA; confirm it was not deliberate and scale it back'),
    ],
  },
  { kind: 'FailedRollout', seeds: [rollback('roll back the rollout that does not become available')] },
  { kind: 'PodFailed', seeds: [restartPod('recreate the failed pod through its controller'), rolloutRestart('restart all pods of the workload')] },
  { kind: 'Evicted', seeds: [restartPod('remove the evicted pod so its controller replaces it'), rolloutRestart('restart all pods of the workload')] },
];

/** The seeded strategies for a failure signature (source 'seeded', zero statistics, stable ids). */
export function seededStrategies(signature: string, kind: FailureKind): Strategy[] {
  const colon = signature.indexOf(':');
  const sub = (colon >= 0 ? signature.slice(colon + 1) : '').toLowerCase();
  const rule = RULES.find((r) => r.kind === kind && (r.sub === undefined || r.sub.test(sub)));
  return (rule?.seeds ?? []).map((seed) =>
    makeStrategy({ signature, action: seed.action, template: seed.template, description: seed.description, source: 'seeded' }),
  );
}
