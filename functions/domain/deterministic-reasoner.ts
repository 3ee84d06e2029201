import type { PolicyConfig } from './policy-config';
import { isQuantity, quantityToNumber } from './quantity';
import type { Reasoner } from '../ports/reasoner';
import { ActionRequestSchema, type ActionName, type ActionRequest, type ActionResult } from './actions';
import type { Incident, RolloutRevision } from './incident';
import type { Analysis, Lesson, Reflection, Usage, Verification } from './model';
import { hpaMinReplicasOf } from './detectors/scaled-to-zero';
import { sanitise } from './redact';

/**
 * The reasoner used when no model is configured, and the fallback of the
 * Bedrock reasoner. It reads only structured evidence plus a few fixed
 * patterns over log/event text (never follows it), so it is deterministic and
 * costs nothing. Its proposals are the first choice an SRE would make for a
 * failure signature; what actually works is learned by selection and memory.
 */

export const DETERMINISTIC_USAGE: Usage = Object.freeze({ inputTokens: 0, outputTokens: 0, costUsd: 0, model: 'deterministic' });
const usage = (): Usage => ({ ...DETERMINISTIC_USAGE });

export interface DeterministicReasonerOptions {
  /** Memory ceiling for patch_resources proposals (policy may be stricter). @default 8Gi */
  maxMemory?: string;
  /** Largest step when raising an HPA's maxReplicas. @default 5 */
  maxHpaStep?: number;
  /** HPA maxReplicas ceiling. @default 100 */
  hpaMaxReplicasCeiling?: number;
  /** Largest replica change of one scale_deployment (the policy's maxReplicaStep). @default 5 */
  maxReplicaStep?: number;
}

/** The reasoner's limits from the policy, so that its proposals are ones the policy will accept. */
export function reasonerLimits(policy: PolicyConfig): DeterministicReasonerOptions {
  return {
    maxMemory: policy.limits.maxMemory,
    hpaMaxReplicasCeiling: policy.limits.hpaMaxReplicasCeiling,
    maxReplicaStep: policy.limits.maxReplicaStep,
  };
}

type Proposal = { action: ActionRequest; rationale: string };

// ---------------------------------------------------------------- evidence reading

/** Revisions newest first. */
const byRevisionDesc = (history: RolloutRevision[]): RolloutRevision[] =>
  [...history].sort((a, b) => b.revision - a.revision);

/**
 * The newest revision and the revision to go back to: the newest earlier one
 * seen healthy, else the newest earlier one not known to be unhealthy.
 */
export function rolloutFacts(incident: Incident): {
  current?: RolloutRevision;
  previousGood?: RolloutRevision;
  /** A new revision is failing while an earlier one is available to return to. */
  badNewRevision: boolean;
  imageChanged: boolean;
} {
  const sorted = byRevisionDesc(incident.evidence.rolloutHistory);
  const current = sorted[0];
  const earlier = sorted.slice(1);
  const previousGood = earlier.find((r) => r.healthy === true) ?? earlier.find((r) => r.healthy !== false);
  if (!current || !previousGood) return { current, previousGood, badNewRevision: false, imageChanged: false };
  const imageChanged = JSON.stringify(sortedEntries(current.images)) !== JSON.stringify(sortedEntries(previousGood.images));
  // An earlier revision seen healthy is proof; one merely not known to be failing (scaled to zero,
  // e.g. after a Recreate rollout) only counts when the current revision is recent, because a
  // week-old revision that starts failing points at something else (a dependency, the node).
  const recent =
    current.createdAt !== undefined &&
    Date.parse(incident.detectedAt) - Date.parse(current.createdAt) <= NEW_REVISION_WINDOW_MS &&
    Date.parse(incident.detectedAt) - Date.parse(current.createdAt) >= 0;
  const badNewRevision = current.healthy !== true && (previousGood.healthy === true || recent);
  return { current, previousGood, badNewRevision, imageChanged };
}

/** How recent a revision must be to be blamed without proof that the previous one was healthy. */
const NEW_REVISION_WINDOW_MS = 2 * 60 * 60 * 1000;

const sortedEntries = (r: Record<string, string>) => Object.entries(r).sort(([a], [b]) => a.localeCompare(b));

/** The tag of an image reference, if it has one (digests have none). */
export function imageTag(image: string | undefined): string | undefined {
  if (!image || image.includes('@')) return undefined;
  const lastSlash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > lastSlash ? image.slice(colon + 1) : undefined;
}

/** All cluster-derived text of an incident, lower-cased, for fixed pattern checks. */
function incidentText(incident: Incident): string {
  const e = incident.evidence;
  return [
    incident.subReason,
    incident.reason,
    incident.message,
    ...e.containers.flatMap((c) => [c.reason, c.message, c.lastTerminationReason]),
    ...e.events.flatMap((ev) => [ev.reason, ev.message]),
    ...e.notes,
  ]
    .filter((s): s is string => typeof s === 'string')
    .join('\n')
    .toLowerCase();
}

const logText = (incident: Incident): string => incident.evidence.logs.map((l) => l.text).join('\n');

const ENV_PATTERNS: RegExp[] = [
  /(?:env(?:ironment)?\s+var(?:iable)?)\s+["'`]?([A-Za-z_][A-Za-z0-9_]*)["'`]?\s+(?:is\s+)?(?:not\s+set|missing|required|undefined|empty)/i,
  /missing\s+(?:required\s+)?env(?:ironment)?\s+var(?:iable)?s?[:\s]+["'`]?([A-Za-z_][A-Za-z0-9_]*)/i,
  /\b([A-Z][A-Z0-9_]{2,})\s+(?:env(?:ironment)?\s+var(?:iable)?\s+)?(?:is\s+)?(?:not\s+set|must\s+be\s+set|is\s+required)/,
  /KeyError:\s*['"]([A-Z_][A-Z0-9_]*)['"]/,
];

/** A missing environment variable named in the logs (or events), if any. */
export function missingEnvVar(incident: Incident): string | undefined {
  const text = `${logText(incident)}\n${incident.evidence.events.map((e) => e.message ?? '').join('\n')}`;
  for (const pattern of ENV_PATTERNS) {
    const m = pattern.exec(text);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

/** Sub-reason refined from logs when the detector could only say "exit-N". */
export function refineSubReason(incident: Incident): string | undefined {
  if (incident.kind !== 'CrashLoopBackOff') return undefined;
  const logs = logText(incident);
  let refined: string | undefined;
  if (missingEnvVar(incident)) refined = 'missing-env';
  else if (/ECONNREFUSED|connection refused|could not connect|no route to host/i.test(logs)) refined = 'dependency-unreachable';
  else if (/ENOENT|no such file or directory|FileNotFoundError/i.test(logs)) refined = 'missing-file';
  else if (/permission denied|EACCES|operation not permitted/i.test(logs)) refined = 'permission-denied';
  return refined && refined !== incident.subReason ? refined : undefined;
}

/** Deployment the incident is about, when the target is one. */
const deploymentOf = (incident: Incident): string | undefined =>
  incident.target.kind === 'Deployment' ? incident.target.name : undefined;

const CONTAINER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The failing (non-init first) container matching `pred`, with a catalogue-valid name. */
function failingContainer(incident: Incident, pred: (c: Incident['evidence']['containers'][number]) => boolean) {
  const all = incident.evidence.containers.filter((c) => CONTAINER_NAME.test(c.container) && c.container.length <= 63);
  return all.find((c) => !c.init && pred(c)) ?? all.find(pred);
}

/** Bytes of a Kubernetes memory quantity (domain/quantity parses it), or undefined when it is not one. */
function memoryBytes(quantity: string | undefined): number | undefined {
  return quantity !== undefined && isQuantity(quantity.trim()) ? quantityToNumber(quantity.trim()) : undefined;
}

/** Bytes as whole Mi, rounded down so a value computed up to a ceiling never exceeds it (e.g. a decimal 8G). */
const formatMi = (bytes: number): string => `${Math.floor(bytes / 2 ** 20)}Mi`;

/** First integer after `name` (e.g. `maxReplicas=10`, `initialDelaySeconds: 5`) in the text. */
function numberAfter(text: string, name: string): number | undefined {
  const m = new RegExp(`\\b${name}["']?\\s*[=:]?\\s*(\\d{1,6})\\b`, 'i').exec(text);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

// ---------------------------------------------------------------- proposals

function rollback(incident: Incident, why: string): Proposal | undefined {
  const deployment = deploymentOf(incident);
  const { previousGood } = rolloutFacts(incident);
  if (!deployment || !previousGood || previousGood.revision < 1) return undefined;
  return {
    // to_revision is left to its default (the newest earlier good revision, chosen again at execution
    // time): the same proposal then becomes the same strategy across incidents, so its statistics add up.
    action: { action: 'rollback_deployment', namespace: incident.namespace, deployment },
    rationale: `${why}; revision ${previousGood.revision} is the last known good one`,
  };
}

function escalate(incident: Incident, reason: string): Proposal {
  // The reason quotes cluster messages and ends up in events, notifications and memory: redact it.
  const clean = sanitise(reason, 2000);
  return { action: { action: 'escalate', namespace: incident.namespace, reason: clean }, rationale: clean };
}

function rolloutRestart(incident: Incident, why: string): Proposal | undefined {
  const deployment = deploymentOf(incident);
  return deployment
    ? { action: { action: 'rollout_restart', namespace: incident.namespace, deployment }, rationale: why }
    : undefined;
}

function restartPod(incident: Incident, why: string): Proposal | undefined {
  // A bare Pod (target kind Pod) has no controller to recreate it.
  if (incident.target.kind === 'Pod') return undefined;
  const pod = incident.pods[0];
  return pod ? { action: { action: 'restart_pod', namespace: incident.namespace, pod }, rationale: why } : undefined;
}

/** Candidate proposals for the incident, the SRE's first choice first. */
function rankedProposals(incident: Incident, analysis: Analysis | undefined, opts: Required<DeterministicReasonerOptions>): (Proposal | undefined)[] {
  const sub = (analysis?.subReason ?? incident.subReason).toLowerCase();
  const text = `${sub}\n${incidentText(incident)}`;
  const facts = rolloutFacts(incident);
  const revisionNote = facts.badNewRevision
    ? `revision ${facts.current?.revision} is new and not healthy`
    : 'no earlier good revision is known';

  switch (incident.kind) {
    case 'ImagePullBackOff': {
      if (/auth|unauthori[sz]ed|denied|forbidden|401|403|no basic auth|credentials/.test(text)) {
        return [escalate(incident, `image pull is refused by the registry (credentials/permissions): ${incident.message}`.trim())];
      }
      const image = (failingContainer(incident, (c) => /image|pull/i.test(c.reason ?? '')) ?? failingContainer(incident, () => true))?.image;
      const tag = imageTag(image);
      const cause = /not.?found|manifest unknown|tag/.test(text)
        ? `image tag ${tag ?? '(unknown)'} does not exist in the registry`
        : /invalid/.test(text)
          ? `image reference ${image ?? ''} is invalid`
          : `image ${image ?? ''} cannot be pulled`;
      return [
        facts.badNewRevision ? rollback(incident, `${cause} and ${revisionNote}`) : undefined,
        escalate(incident, `${cause}; ${revisionNote}, so there is nothing safe to return to`),
      ];
    }
    case 'CrashLoopBackOff': {
      const envVar = missingEnvVar(incident);
      const cause = envVar
        ? `the container exits because environment variable ${envVar} is missing`
        : `the container keeps exiting (${sub})`;
      if (facts.badNewRevision) {
        return [
          rollback(incident, `${cause} since ${revisionNote}; the crash follows the template`),
          rolloutRestart(incident, `${cause}; restarting in case the crash is transient`),
          escalate(incident, `${cause}; neither rollback nor restart is possible or known to work`),
        ];
      }
      if (envVar || sub === 'missing-file' || sub === 'permission-denied') {
        return [escalate(incident, `${cause}; ${revisionNote}, and configuration cannot be changed from the catalogue`)];
      }
      return [
        rolloutRestart(incident, `${cause}; no template change, so restarting in case the cause is transient`),
        restartPod(incident, `${cause}; recreating the failing pod in case the cause is transient`),
        escalate(incident, `${cause}; ${revisionNote}`),
      ];
    }
    case 'OOMKilled': {
      const container = failingContainer(incident, (c) => /oom/i.test(`${c.lastTerminationReason ?? ''} ${c.reason ?? ''}`)) ??
        failingContainer(incident, () => true);
      const deployment = deploymentOf(incident);
      const limit = memoryBytes(container?.limits?.memory);
      const ceiling = memoryBytes(opts.maxMemory) ?? 8 * 2 ** 30;
      if (!container || !deployment || limit === undefined) {
        return [
          facts.badNewRevision ? rollback(incident, `the container is OOMKilled and ${revisionNote}`) : undefined,
          escalate(incident, 'the container is OOMKilled but its memory limit is not known; raise it by hand'),
        ];
      }
      const target = Math.min(limit * 2, ceiling);
      const request = memoryBytes(container.requests?.memory);
      const resize: Proposal | undefined =
        target > limit
          ? {
              action: {
                action: 'patch_resources',
                namespace: incident.namespace,
                deployment,
                container: container.container,
                limits: { memory: formatMi(target) },
                // A request above the new limit would be rejected by the API server.
                ...(request !== undefined && request > target ? { requests: { memory: formatMi(target) } } : {}),
              },
              rationale: `container ${container.container} is OOMKilled at its ${container.limits?.memory} limit; doubling it (bounded by ${opts.maxMemory})`,
            }
          : undefined;
      return [
        resize,
        facts.badNewRevision ? rollback(incident, `the container is OOMKilled and ${revisionNote}`) : undefined,
        escalate(incident, `container ${container.container} is OOMKilled at ${container.limits?.memory}, already at the ${opts.maxMemory} ceiling`),
      ];
    }
    case 'CreateContainerConfigError': {
      const what = /secret/.test(text) ? 'Secret' : /configmap/.test(text) ? 'ConfigMap' : 'configuration';
      return [
        facts.badNewRevision ? rollback(incident, `a referenced ${what} is missing and ${revisionNote}`) : undefined,
        escalate(incident, `a referenced ${what} is missing and ${revisionNote}: ${incident.message}`.trim()),
      ];
    }
    case 'Unschedulable': {
      const why = /node.?selector|affinity|didn't match/.test(text)
        ? 'no node matches the pod\'s node selector/affinity'
        : /taint|toleration/.test(text)
          ? 'no node tolerates the pod\'s taints'
          : /insufficient/.test(text)
            ? 'the cluster lacks capacity for the pod\'s requests'
            : 'the scheduler cannot place the pod';
      // Placement that broke with a new revision (a nodeSelector, an affinity) is undone by returning to the last good one.
      return [facts.badNewRevision ? rollback(incident, `${why} since ${revisionNote}`) : undefined, escalate(incident, `${why}: ${incident.message}`.trim())];
    }
    case 'FailedRollout':
      if (sub === 'scaled-to-zero') {
        const deployment = deploymentOf(incident);
        const min = hpaMinReplicasOf(incident);
        if (!deployment || min === undefined) {
          return [escalate(incident, `the Deployment was scaled to zero under an HPA, but the HPA's minimum is not known: ${incident.message}`.trim())];
        }
        // The Deployment is at 0 (that is the finding); one step is bounded like the policy's replica step.
        const replicas = Math.min(min, opts.maxReplicaStep);
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
    case 'ProbeFailure': {
      const probe: 'liveness' | 'readiness' | 'startup' = /startup/.test(sub)
        ? 'startup'
        : /readiness/.test(sub)
          ? 'readiness'
          : /liveness/.test(sub)
            ? 'liveness'
            : /readiness/.test(text)
              ? 'readiness'
              : 'liveness';
      // The sub-reason says what the kubelet saw (see probeSubReason): it decides whether timings can help at all.
      if (/-http-error$/.test(sub) || sub === 'readiness-refused') {
        const why = /-http-error$/.test(sub)
          ? `the ${probe} probe gets HTTP 4xx (a path the app does not serve); no timing fixes it`
          : `nothing listens on the ${probe} probe's port; no timing fixes it`;
        return [rollback(incident, `${why}, and ${revisionNote}`), escalate(incident, `${why}; correct the probe (${incident.message})`.trim())];
      }
      if (/-timeout$/.test(sub)) {
        return [
          patchProbe(incident, probe, 'timeout'),
          rollback(incident, `the ${probe} probe times out and ${revisionNote}`),
          escalate(incident, `the ${probe} probe times out`),
        ];
      }
      const patch = patchProbe(incident, probe);
      return facts.badNewRevision && probe === 'readiness'
        ? [rollback(incident, `readiness fails since ${revisionNote}`), patch, escalate(incident, 'readiness probe fails')]
        : [patch, rollback(incident, `${probe} probe fails and ${revisionNote}`), escalate(incident, `${probe} probe fails`)];
    }
    case 'HpaAtMax': {
      const hpa = incident.target.kind === 'HorizontalPodAutoscaler' ? incident.target.name : undefined;
      const current = numberAfter(text, 'maxReplicas') ?? numberAfter(text, 'max_replicas');
      if (!hpa || current === undefined) {
        return [escalate(incident, 'the HPA is at its maximum under load but its current maxReplicas is not known')];
      }
      const sized = hpaReplicasNeeded(incident);
      // With the metric known, size maxReplicas as an SRE would: what the load needs now plus headroom.
      // Without it, a bounded step (the bandit's seeded factors learn which magnitude suffices).
      const wanted = sized ? Math.max(current + 1, sized.needed + 1, Math.ceil(sized.needed * 1.1)) : current + Math.min(opts.maxHpaStep, Math.max(1, Math.ceil(current / 2)));
      const next = Math.min(wanted, opts.hpaMaxReplicasCeiling);
      if (next <= current) return [escalate(incident, `the HPA is at ${current} replicas, the ceiling; capacity needs a human`)];
      const capped = next < wanted ? ` (capped by the ceiling ${opts.hpaMaxReplicasCeiling}; the load wants ${wanted})` : '';
      return [
        {
          action: { action: 'patch_hpa', namespace: incident.namespace, hpa, max_replicas: next },
          rationale: sized
            ? `the HPA is pinned at maxReplicas ${current} with ${sized.metric} at ${sized.current} against a target of ${sized.target}: ` +
              `${sized.replicas} × ${sized.current} / ${sized.target} ≈ ${sized.needed} replicas needed; maxReplicas ${next} leaves headroom${capped}`
            : `the HPA is pinned at maxReplicas ${current} while its metric is above target; raising it by ${next - current}${capped}`,
        },
      ];
    }
    case 'Evicted':
      // A pod over its own ephemeral-storage limit is evicted again wherever it runs.
      if (/ephemeral-storage-limit/.test(sub)) {
        return [escalate(incident, `pods exceed their ephemeral-storage limit (${incident.message || sub}); the limit or the app's disk use must change`)];
      }
      return [
        restartPod(incident, `the pod was evicted (${sub}); removing it lets its controller place a replacement on a node with room`),
        escalate(incident, `pods are evicted (${incident.message || sub}); node pressure needs capacity or request changes`),
      ];
    case 'PodFailed':
      return [
        restartPod(incident, 'the pod failed or is unknown; its controller recreates it on a healthy node'),
        rolloutRestart(incident, 'pods failed or are unknown; a rollout restart replaces them'),
        escalate(incident, `the pod failed and has no controller to recreate it: ${incident.message}`.trim()),
      ];
  }
}

/**
 * Replicas the load needs, from the HPA detector's notes (`cpu: current 180% > target 70%`,
 * `currentReplicas 4 = maxReplicas 4`): the HPA's own rule, ceil(replicas × current / target), for the
 * metric furthest above its target. Undefined when the notes do not carry both.
 */
export function hpaReplicasNeeded(incident: Incident):
  | { metric: string; current: number; target: number; replicas: number; needed: number }
  | undefined {
  const notes = incident.evidence.notes;
  const replicas = notes.map((n) => /\bcurrentReplicas\s+(\d{1,6})\b/.exec(n)?.[1]).find((v) => v !== undefined);
  if (replicas === undefined || Number(replicas) < 1) return undefined;
  let best: { metric: string; current: number; target: number; replicas: number; needed: number } | undefined;
  for (const note of notes) {
    const m = /^([\w./-]{1,253}): current ([0-9]+(?:\.[0-9]+)?)%? > target ([0-9]+(?:\.[0-9]+)?)%?$/.exec(note.trim());
    if (!m?.[1] || !m[2] || !m[3]) continue;
    const current = Number(m[2]);
    const target = Number(m[3]);
    if (!(target > 0) || !(current > target)) continue;
    const needed = Math.ceil((Number(replicas) * current) / target);
    if (!best || needed > best.needed) best = { metric: m[1], current, target, replicas: Number(replicas), needed };
  }
  return best;
}

function patchProbe(incident: Incident, probe: 'liveness' | 'readiness' | 'startup', cause?: 'timeout'): Proposal | undefined {
  const deployment = deploymentOf(incident);
  const container = failingContainer(incident, (c) => c.ready === false || (c.restartCount ?? 0) > 0) ?? failingContainer(incident, () => true);
  if (!deployment || !container) return undefined;
  const notes = incident.evidence.notes.join('\n');
  const delay = numberAfter(notes, 'initialDelaySeconds') ?? 0;
  const timeout = numberAfter(notes, 'timeoutSeconds') ?? 1;
  const threshold = numberAfter(notes, 'failureThreshold') ?? 3;
  if (cause === 'timeout') {
    // The app answers, only slower than the timeout: a longer start-up allowance changes nothing, and a
    // timeout just above the old one is usually still too short (the endpoint's latency is unknown).
    const next = Math.min(60, Math.max(timeout * 4, timeout + 3));
    if (next <= timeout) return undefined;
    return {
      action: { action: 'patch_probe', namespace: incident.namespace, deployment, container: container.container, probe, timeout_seconds: next },
      rationale: `the ${probe} probe times out after ${timeout}s while the app answers slower; raising the timeout to ${next}s`,
    };
  }
  const action: ActionRequest =
    probe === 'startup'
      ? {
          action: 'patch_probe',
          namespace: incident.namespace,
          deployment,
          container: container.container,
          probe,
          failure_threshold: Math.min(30, Math.max(threshold * 2, threshold + 3)),
        }
      : {
          action: 'patch_probe',
          namespace: incident.namespace,
          deployment,
          container: container.container,
          probe,
          initial_delay_seconds: Math.min(600, Math.max(delay * 2, delay + 30)),
          timeout_seconds: Math.min(60, Math.max(timeout * 2, timeout + 2)),
        };
  return {
    action,
    rationale: `the ${probe} probe looks too aggressive (initialDelay ${delay}s, timeout ${timeout}s); giving the app more time`,
  };
}

/** Actions a lesson says failed for this signature (Reflexion: do not repeat them). */
export function ruledOutActions(signatures: string[], lessons: Lesson[]): Set<ActionName> {
  const out = new Set<ActionName>();
  for (const lesson of lessons) {
    if (lesson.outcome === 'failure' && lesson.action && signatures.includes(lesson.signature)) out.add(lesson.action);
  }
  return out;
}

// ---------------------------------------------------------------- analysis

function analyse(incident: Incident, lessons: Lesson[]): Analysis {
  const facts = rolloutFacts(incident);
  const refined = refineSubReason(incident);
  const sub = refined ?? incident.subReason;
  const text = incidentText(incident);
  const hypotheses: string[] = [];
  const where = `${incident.target.kind} ${incident.namespace}/${incident.target.name}`;
  const podCount = incident.pods.length;

  const newRev = facts.badNewRevision
    ? `revision ${facts.current?.revision} (new) is failing while revision ${facts.previousGood?.revision} was good`
    : undefined;
  switch (incident.kind) {
    case 'ImagePullBackOff': {
      const image = failingContainer(incident, () => true)?.image;
      if (/auth|unauthori[sz]ed|denied|forbidden|401|403|credentials/.test(text))
        hypotheses.push('the registry refuses the node\'s credentials (imagePullSecrets or node IAM role)');
      if (/not.?found|manifest unknown|tag/.test(text))
        hypotheses.push(
          facts.badNewRevision && facts.imageChanged
            ? `the new revision's image tag ${imageTag(image) ?? ''} does not exist`.replace('  ', ' ')
            : `image tag ${imageTag(image) ?? '(unknown)'} does not exist in the registry`,
        );
      if (/timeout|unreachable|no such host|i\/o|dial tcp/.test(text)) hypotheses.push('the registry is unreachable from the node');
      if (hypotheses.length === 0) hypotheses.push(`image ${image ?? ''} cannot be pulled`.trim());
      break;
    }
    case 'CrashLoopBackOff': {
      const c = failingContainer(incident, (x) => x.lastExitCode !== undefined);
      const envVar = missingEnvVar(incident);
      if (envVar) hypotheses.push(`environment variable ${envVar} is missing`);
      if (sub === 'dependency-unreachable') hypotheses.push('a dependency the app connects to at start-up is unreachable');
      if (sub === 'missing-file') hypotheses.push('a file the app needs at start-up is missing');
      if (sub === 'permission-denied') hypotheses.push('the app lacks a permission it needs at start-up');
      if (newRev) hypotheses.push(`the crash came with a new template: ${newRev}`);
      hypotheses.push(`the container exits with code ${c?.lastExitCode ?? '(unknown)'}${c?.lastTerminationReason ? ` (${c.lastTerminationReason})` : ''}`);
      break;
    }
    case 'OOMKilled': {
      const c = failingContainer(incident, (x) => /oom/i.test(x.lastTerminationReason ?? ''));
      hypotheses.push(`container ${c?.container ?? ''} needs more memory than its ${c?.limits?.memory ?? 'unknown'} limit`.replace('  ', ' '));
      if (newRev) hypotheses.push(`memory use grew with the new template: ${newRev}`);
      break;
    }
    case 'CreateContainerConfigError':
      hypotheses.push(`a ConfigMap, Secret or key the pod references is missing: ${incident.message}`.trim());
      if (newRev) hypotheses.push(`the reference came with the new template: ${newRev}`);
      break;
    case 'Unschedulable':
      hypotheses.push(`the scheduler cannot place the pod: ${incident.message}`.trim());
      break;
    case 'FailedRollout':
      if (sub === 'scaled-to-zero') {
        hypotheses.push('the Deployment was scaled to zero (by hand or a script) while an HPA manages it; the HPA does not scale a target at zero');
        break;
      }
      hypotheses.push(newRev ? `the new revision does not become available: ${newRev}` : 'the new ReplicaSet does not become available');
      break;
    case 'ProbeFailure':
      if (/-http-error$/.test(sub)) hypotheses.push(`the ${sub.replace(/-http-error$/, '')} probe asks for a path the app does not serve (HTTP 4xx)`);
      else if (sub === 'readiness-refused') hypotheses.push('nothing listens on the readiness probe\'s port');
      else if (/-timeout$/.test(sub)) hypotheses.push(`the ${sub.replace(/-timeout$/, '')} probe's timeout is shorter than the app takes to answer`);
      else hypotheses.push(`the ${sub} probe is too aggressive for the app's start-up or response time`);
      if (newRev) hypotheses.push(`the app became slower or broken with the new template: ${newRev}`);
      break;
    case 'HpaAtMax':
      hypotheses.push('load exceeds what maxReplicas allows');
      break;
    case 'Evicted':
      hypotheses.push(`the node ran out of a resource and evicted pods: ${incident.message}`.trim());
      break;
    case 'PodFailed':
      hypotheses.push(`the pod failed or its node became unreachable: ${incident.message}`.trim());
      break;
  }

  const remembered = lessons.find((l) => l.signature === incident.signature && l.outcome === 'success');
  if (remembered) hypotheses.push(`an earlier incident with this signature: ${remembered.text}`);

  const summary =
    `${where}: ${incident.kind} (${sub}) on ${podCount} pod${podCount === 1 ? '' : 's'}. ` +
    `${capitalise(hypotheses[0] ?? 'cause unknown')}.` +
    (incident.unknowns.length > 0 ? ` Unknown: ${incident.unknowns.slice(0, 3).join('; ')}.` : '');
  return {
    summary: sanitise(summary, 4000),
    hypotheses: hypotheses.slice(0, 10).map((h) => sanitise(h, 500)),
    ...(refined ? { subReason: refined } : {}),
    usage: usage(),
  };
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

// ---------------------------------------------------------------- reflection

/** "rolling back to revision 3" — what was done, in words. */
export function describeAction(action: ActionRequest, result?: ActionResult): string {
  switch (action.action) {
    case 'rollback_deployment': {
      const rev = action.to_revision ?? numericDetail(result, ['toRevision', 'to_revision', 'revision']);
      return `rolling back ${action.deployment}${rev !== undefined ? ` to revision ${rev}` : ''}`;
    }
    case 'rollout_restart':
      return `a rollout restart of ${action.deployment}`;
    case 'restart_pod':
      return `restarting pod ${action.pod}`;
    case 'scale_deployment':
      return `scaling ${action.deployment} to ${action.replicas} replicas`;
    case 'patch_resources': {
      const parts = [
        action.limits?.memory && `memory limit ${action.limits.memory}`,
        action.limits?.cpu && `cpu limit ${action.limits.cpu}`,
        action.requests?.memory && `memory request ${action.requests.memory}`,
        action.requests?.cpu && `cpu request ${action.requests.cpu}`,
      ].filter(Boolean);
      return `raising ${action.container}'s ${parts.join(', ')}`;
    }
    case 'patch_image':
      return `setting ${action.container}'s image to ${action.image}`;
    case 'patch_probe': {
      const parts = [
        action.initial_delay_seconds !== undefined && `initialDelay ${action.initial_delay_seconds}s`,
        action.timeout_seconds !== undefined && `timeout ${action.timeout_seconds}s`,
        action.period_seconds !== undefined && `period ${action.period_seconds}s`,
        action.failure_threshold !== undefined && `failureThreshold ${action.failure_threshold}`,
      ].filter(Boolean);
      return `relaxing the ${action.probe} probe (${parts.join(', ')})`;
    }
    case 'patch_hpa':
      return `raising ${action.hpa}'s maxReplicas to ${action.max_replicas}`;
    case 'escalate':
      return 'escalating to an operator';
  }
}

function numericDetail(result: ActionResult | undefined, keys: string[]): number | undefined {
  for (const key of keys) {
    const v = result?.details[key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

/** The cause as a fact, for the first clause of a lesson. */
function causeFact(incident: Incident): string {
  const text = incidentText(incident);
  const facts = rolloutFacts(incident);
  switch (incident.kind) {
    case 'ImagePullBackOff': {
      const image = failingContainer(incident, () => true)?.image;
      if (/auth|unauthori[sz]ed|denied|forbidden|401|403|credentials/.test(text)) return 'the registry refuses the image pull credentials';
      if (/not.?found|manifest unknown|tag/.test(text)) return `tag ${imageTag(image) ?? '(unknown)'} does not exist in the registry`;
      return `image ${image ?? ''} cannot be pulled`;
    }
    case 'CrashLoopBackOff': {
      const envVar = missingEnvVar(incident);
      if (envVar) return `the container crashes because ${envVar} is not set`;
      return `the container crash-loops (${incident.subReason})${facts.badNewRevision ? ' after a new revision' : ''}`;
    }
    case 'OOMKilled': {
      const c = failingContainer(incident, (x) => /oom/i.test(x.lastTerminationReason ?? ''));
      return `${c?.container ?? 'the container'} is OOMKilled at ${c?.limits?.memory ?? 'its'} memory limit`;
    }
    default:
      return `${incident.signature} on ${incident.target.kind} ${incident.target.name}`;
  }
}

/** Why a failed action failed, as far as structure tells. */
function failureInsight(incident: Incident, action: ActionRequest): string | undefined {
  const facts = rolloutFacts(incident);
  if ((action.action === 'rollout_restart' || action.action === 'restart_pod') && facts.badNewRevision) {
    return 'the failure follows the template, not the pod';
  }
  if (action.action === 'rollout_restart' || action.action === 'restart_pod') return 'the cause is persistent, not transient';
  if (action.action === 'patch_resources' && incident.kind === 'OOMKilled') return 'the memory need is larger still, or it is a leak';
  if (action.action === 'rollback_deployment') return 'the previous revision is not healthy either';
  return undefined;
}

function reflect(input: Parameters<Reasoner['reflect']>[0]): Reflection {
  const { incident, trial, action, result, verification, undo, outcome, timeToRecoverSeconds } = input;
  const signature = incident.signature;
  const did = describeAction(action, result);
  const cause = causeFact(incident);
  const lessons: Lesson[] = [];
  const sentences: string[] = [];
  const time = timeToRecoverSeconds !== undefined ? ` in ${Math.round(timeToRecoverSeconds)} s` : '';
  const seen = firstEvidence(verification);

  if (outcome === 'resolved') {
    const lesson = `${cause}; ${did} restored readiness${time}`;
    sentences.push(`Trial ${trial}: ${lesson}.`);
    lessons.push({ text: lesson, signature, action: action.action, outcome: 'success' });
  } else if (outcome === 'failed' || outcome === 'error') {
    const insight = failureInsight(incident, action);
    const lesson = `${action.action} did not fix ${signature}${rolloutFacts(incident).badNewRevision ? ' after a new revision' : ''}${insight ? `; ${insight}` : ''}`;
    sentences.push(`Trial ${trial}: ${did} did not fix ${cause}${seen ? ` (${seen})` : ''}.`);
    lessons.push({ text: lesson, signature, action: action.action, outcome: 'failure' });
    if (undo?.applied) {
      sentences.push(`The change was undone because the workload got worse.`);
      lessons.push({ text: `${did} made ${signature} worse and was undone`, signature, action: action.action, outcome: 'failure' });
    }
    sentences.push(`Next time try a different action for ${signature}.`);
  } else if (outcome === 'escalated') {
    const lesson = `${cause}; escalated to an operator: ${action.action === 'escalate' ? action.reason : did}`;
    sentences.push(`Trial ${trial}: ${lesson}.`);
    lessons.push({ text: lesson, signature, action: action.action });
  } else {
    // observe / dry-run: nothing was changed, so nothing is known about whether it works.
    const lesson = `${cause}; ${did} was proposed but not applied (${outcome})`;
    sentences.push(`Trial ${trial}: ${lesson}.`);
    lessons.push({ text: lesson, signature, action: action.action });
  }
  // Lessons quote cluster text and are stored and reused: redact them like prompt data.
  return {
    trial,
    text: sanitise(sentences.slice(0, 3).join(' '), 2000),
    lessons: lessons.slice(0, 3).map((l) => ({ ...l, text: sanitise(l.text, 500) })),
    usage: usage(),
  };
}

function firstEvidence(verification: Verification | undefined): string | undefined {
  return verification?.evidence[0]?.slice(0, 200);
}

// ---------------------------------------------------------------- the reasoner

export class DeterministicReasoner implements Reasoner {
  readonly name = 'deterministic';
  private readonly opts: Required<DeterministicReasonerOptions>;

  constructor(options: DeterministicReasonerOptions = {}) {
    this.opts = {
      maxMemory: options.maxMemory ?? '8Gi',
      maxHpaStep: options.maxHpaStep ?? 5,
      hpaMaxReplicasCeiling: options.hpaMaxReplicasCeiling ?? 100,
      maxReplicaStep: options.maxReplicaStep ?? 5,
    };
  }

  async analyse(input: Parameters<Reasoner['analyse']>[0]): Promise<Analysis> {
    return analyse(input.incident, input.lessons);
  }

  async propose(input: Parameters<Reasoner['propose']>[0]): ReturnType<Reasoner['propose']> {
    const { incident, analysis, lessons, previousReflections } = input;
    const signatures = [incident.signature];
    if (analysis.subReason) signatures.push(`${incident.kind}:${analysis.subReason}`);
    const allLessons = [...lessons, ...previousReflections.flatMap((r) => r.lessons)];
    const ruledOut = ruledOutActions(signatures, allLessons);
    const worked = new Set(
      allLessons.filter((l) => l.outcome === 'success' && l.action && signatures.includes(l.signature)).map((l) => l.action),
    );
    // Reflexion: among the plausible proposals, one that a lesson says worked for this signature comes first.
    const ranked = rankedProposals(incident, analysis, this.opts);
    const ordered = [...ranked.filter((p) => p && worked.has(p.action.action)), ...ranked.filter((p) => !p || !worked.has(p.action.action))];
    for (const proposal of ordered) {
      if (!proposal || ruledOut.has(proposal.action.action)) continue;
      // The catalogue schema is the contract; a proposal that does not fit it is skipped, never returned.
      const parsed = ActionRequestSchema.safeParse(proposal.action);
      if (!parsed.success) continue;
      const skipped = [...ruledOut].join(', ');
      const learned = worked.has(parsed.data.action) ? ' (a lesson says it worked before for this signature)' : '';
      return {
        action: parsed.data,
        rationale: `${proposal.rationale}${learned}${skipped ? ` (not ${skipped}: failed before for this signature)` : ''}`.slice(0, 2000),
        usage: usage(),
      };
    }
    return undefined;
  }

  async reflect(input: Parameters<Reasoner['reflect']>[0]): Promise<Reflection> {
    return reflect(input);
  }
}
