import type { PolicyConfig } from './policy-config';
import type { Reasoner } from '../ports/reasoner';
import { ActionRequestSchema, type ActionName, type ActionRequest, type ActionResult } from './actions';
import type { Incident } from './incident';
import type { Analysis, Lesson, Reflection, Usage, Verification } from './model';
import { rolloutFacts } from './playbooks/common';
import { playbookFor, type DeterministicReasonerOptions, type Limits, type PlaybookInput, type Proposal } from './playbooks/index';
import { sanitise } from './redact';

/**
 * The reasoner used when no model is configured, and the fallback of the
 * Bedrock reasoner: a thin composer over the playbooks
 * (functions/domain/playbooks/, one per failure kind), which read the
 * detectors' typed facts and structured evidence, plus a few fixed patterns
 * over log text (never followed). Deterministic and free. Its proposals are
 * the first choice an SRE would make for a failure signature; what actually
 * works is learned by selection and memory. This file adds what every kind
 * shares: Reflexion's ordering by lessons, the catalogue check, the summary,
 * and reflections.
 */

export type { DeterministicReasonerOptions } from './playbooks/index';

export const DETERMINISTIC_USAGE: Usage = Object.freeze({ inputTokens: 0, outputTokens: 0, costUsd: 0, model: 'deterministic' });
const usage = (): Usage => ({ ...DETERMINISTIC_USAGE });

/** The reasoner's limits from the policy, so that its proposals are ones the policy will accept. */
export function reasonerLimits(policy: PolicyConfig): DeterministicReasonerOptions {
  return {
    maxMemory: policy.limits.maxMemory,
    hpaMaxReplicasCeiling: policy.limits.hpaMaxReplicasCeiling,
    maxReplicaStep: policy.limits.maxReplicaStep,
    maxProbeFactor: policy.limits.maxProbeFactor,
  };
}

/** What every playbook reads, for one incident and sub-reason. */
function playbookInput(incident: Incident, sub: string, limits: Limits): PlaybookInput {
  const rollout = rolloutFacts(incident);
  return {
    incident,
    sub,
    rollout,
    revisionNote: rollout.badNewRevision ? `revision ${rollout.current?.revision} is new and not healthy` : 'no earlier good revision is known',
    ...(rollout.badNewRevision
      ? { newRevision: `revision ${rollout.current?.revision} (new) is failing while revision ${rollout.previousGood?.revision} was good` }
      : {}),
    limits,
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

function analyse(incident: Incident, lessons: Lesson[], limits: Limits): Analysis {
  const playbook = playbookFor(incident.kind);
  const refined = playbook.refineSubReason?.(incident);
  const sub = refined ?? incident.subReason;
  const hypotheses = playbook.hypotheses(playbookInput(incident, sub, limits));
  const where = `${incident.target.kind} ${incident.namespace}/${incident.target.name}`;
  const podCount = incident.pods.length;

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

/** The cause as a fact, for the first clause of a lesson: the playbook's words, else the signature. */
function causeFact(incident: Incident, limits: Limits): string {
  const playbook = playbookFor(incident.kind);
  return playbook.cause?.(playbookInput(incident, incident.subReason, limits)) ?? `${incident.signature} on ${incident.target.kind} ${incident.target.name}`;
}

/** Why a failed action failed, as far as structure tells. */
function failureInsight(incident: Incident, action: ActionRequest, limits: Limits): string | undefined {
  const input = playbookInput(incident, incident.subReason, limits);
  if ((action.action === 'rollout_restart' || action.action === 'restart_pod') && input.rollout.badNewRevision) {
    return 'the failure follows the template, not the pod';
  }
  if (action.action === 'rollout_restart' || action.action === 'restart_pod') return 'the cause is persistent, not transient';
  const specific = playbookFor(incident.kind).whyFailed?.(action, input);
  if (specific) return specific;
  if (action.action === 'rollback_deployment') return 'the previous revision is not healthy either';
  return undefined;
}

function reflect(input: Parameters<Reasoner['reflect']>[0], limits: Limits): Reflection {
  const { incident, trial, action, result, verification, undo, outcome, timeToRecoverSeconds } = input;
  const signature = incident.signature;
  const did = describeAction(action, result);
  const cause = causeFact(incident, limits);
  const lessons: Lesson[] = [];
  const sentences: string[] = [];
  const time = timeToRecoverSeconds !== undefined ? ` in ${Math.round(timeToRecoverSeconds)} s` : '';
  const seen = firstEvidence(verification);

  if (outcome === 'resolved') {
    const lesson = `${cause}; ${did} restored readiness${time}`;
    sentences.push(`Trial ${trial}: ${lesson}.`);
    lessons.push({ text: lesson, signature, action: action.action, outcome: 'success' });
  } else if (outcome === 'failed' || outcome === 'error') {
    const insight = failureInsight(incident, action, limits);
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
  private readonly opts: Limits;

  constructor(options: DeterministicReasonerOptions = {}) {
    this.opts = {
      maxMemory: options.maxMemory ?? '8Gi',
      maxHpaStep: options.maxHpaStep ?? 5,
      hpaMaxReplicasCeiling: options.hpaMaxReplicasCeiling ?? 100,
      maxReplicaStep: options.maxReplicaStep ?? 5,
      maxProbeFactor: options.maxProbeFactor ?? 3,
    };
  }

  async analyse(input: Parameters<Reasoner['analyse']>[0]): Promise<Analysis> {
    return analyse(input.incident, input.lessons, this.opts);
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
    const sub = (analysis.subReason ?? incident.subReason).toLowerCase();
    const ranked: (Proposal | undefined)[] = playbookFor(incident.kind).propose(playbookInput(incident, sub, this.opts));
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
    return reflect(input, this.opts);
  }
}
