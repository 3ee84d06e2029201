import type { ActionRequest, ActionResult } from '../../domain/actions';
import type { Episode, Outcome, Reflection } from '../../domain/model';
import { featuresFor } from '../../domain/features';
import { creditTarget } from '../../domain/selection-context';
import type { WorkflowState } from '../../domain/workflow-state';
import { undoAction } from '../undo';
import type { AppDeps } from '../deps';
import { policyForWrite } from '../policy-source';
import { boundedForState } from '../state-size';
import { addUsage, checkState, clusterFor, parseState } from './state';

/**
 * Reflect: judges the trial, undoes it when it left the workload worse,
 * writes a verbal reflection with lessons, stores the episode exactly once,
 * counts the outcome for the strategy, and routes: resolved, another trial
 * (never the same failed strategy), escalate, or done (observe / dry-run).
 */
export async function reflectStep(deps: AppDeps, input: unknown): Promise<unknown> {
  const state = parseState(input, 'Reflect');
  const now = deps.clock.now();
  const episodeId = `${state.executionId}#${state.trial}`;
  const outcome = judge(state);

  let undo: ActionResult | undefined;
  let undoFailed = false;
  if (outcome === 'failed' && state.verification?.worse && state.remediation?.applied && state.remediation.preImage !== undefined) {
    const cluster = await clusterFor(deps, state.incident.cluster);
    try {
      undo = boundedForState(await undoAction(
        { cluster, policy: await policyForWrite(deps, state.mode), clock: deps.clock, logger: deps.logger, locks: deps.memory.locks },
        state.remediation,
        { actionId: `${episodeId}#undo`, reason: `trial ${state.trial} left the workload worse than before; restoring the pre-image` },
      ));
      deps.logger.warn('undid a trial that made things worse', { action: state.remediation.action });
    } catch (error) {
      // Refused, gone, conflicting: the workload stays worse. That is the episode's story and an operator's job,
      // never a reason to lose the episode or the strategy's failure (a throw here would skip both).
      undo = undoFailure(state.remediation, error, `${episodeId}#undo`, now);
      undoFailed = true;
      deps.logger.error('undo failed; escalating', { action: state.remediation.action, error: (error as Error).name });
    }
  }

  const timeToRecoverSeconds =
    outcome === 'resolved' ? Math.max(0, (now.getTime() - Date.parse(state.incident.detectedAt)) / 1000) : undefined;
  const action: ActionRequest = state.decision?.action ?? {
    action: 'escalate',
    namespace: state.incident.namespace,
    reason: state.error ? `${state.error.Error}: ${state.error.Cause ?? ''}`.slice(0, 2000) : 'no decision was made',
  };
  const reflected: Reflection = await deps.reasoner.reflect({
    incident: state.incident,
    trial: state.trial,
    action,
    ...(state.remediation ? { result: state.remediation } : {}),
    ...(state.verification ? { verification: state.verification } : {}),
    ...(undo ? { undo } : {}),
    outcome,
    ...(timeToRecoverSeconds !== undefined ? { timeToRecoverSeconds } : {}),
  });
  // Lessons name the strategy they are about, so a failure rules out that strategy, not its whole action.
  const strategyId = state.decision?.strategyId;
  const reflection: Reflection = strategyId
    ? { ...reflected, lessons: reflected.lessons.map((l) => (l.strategyId || l.action !== action.action ? l : { ...l, strategyId })) }
    : reflected;

  const episode: Episode = {
    episodeId,
    executionId: state.executionId,
    trial: state.trial,
    incident: state.incident,
    signature: state.incident.signature,
    ...(state.analysis ? { analysis: state.analysis } : {}),
    ...(state.decision ? { decision: state.decision } : {}),
    ...(state.remediation ? { result: state.remediation } : {}),
    ...(state.verification ? { verification: state.verification } : {}),
    ...(undo ? { undo } : {}),
    outcome,
    ...(timeToRecoverSeconds !== undefined ? { timeToRecoverSeconds } : {}),
    reflection,
    usage: addUsage(state.usage, reflection.usage),
    ...(state.error ? { error: { name: state.error.Error, message: (state.error.Cause ?? '').slice(0, 2000) } } : {}),
    startedAt: state.startedAt,
    endedAt: now.toISOString(),
  };
  const written = await putEpisode(deps, episode);

  // Only real trials teach the bandit: a refusal, a dry run or an error says nothing about the strategy, except an
  // action that did not apply here (no rollback target left that is not known failing): the strategy's miss.
  // With earlier trials' changes still in place the outcome is the combination's (domain/selection-context).
  const decision = state.decision;
  const missed = outcome === 'error' && notApplicable(state);
  if (decision?.strategy && decision.action.action !== 'escalate' && (outcome === 'resolved' || outcome === 'failed' || missed)) {
    await deps.memory.strategies.recordOutcome({
      strategy: creditTarget(decision.strategy, decision.inPlace),
      features: featuresFor(decision.strategy.action, decision.features),
      halfLifeDays: deps.policy.selection.halfLifeDays,
      success: outcome === 'resolved',
      ...(timeToRecoverSeconds !== undefined ? { timeToRecoverSeconds } : {}),
      at: now.toISOString(),
      outcomeId: episodeId,
    });
  }

  const next = undoFailed ? 'escalate' : route(state, outcome);
  const tried = state.decision
    ? [...state.tried, { strategyId: state.decision.strategyId, action: state.decision.action.action, outcome, inPlace: leftInPlace(state, undo) }].slice(-10)
    : state.tried;
  deps.logger.info('reflected', { outcome, next, trial: state.trial, episodeWritten: written });

  return checkState(
    {
      ...state,
      ...(undo ? { undo } : {}),
      reflections: [...state.reflections, reflection].slice(-10),
      tried,
      next,
      outcome: next === 'retry' ? undefined : finalOutcome(outcome, next),
      trial: next === 'retry' ? state.trial + 1 : state.trial,
      usage: addUsage(state.usage, reflection.usage),
      error: undefined,
    },
    'Reflect',
  );
}

/** The trial's action did not apply to this workload (it wrote nothing; ActionNotApplicable). */
const notApplicable = (state: WorkflowState): boolean => state.error?.Error === 'ActionNotApplicable';

/** Actions whose change stays after they ran (a restart leaves nothing behind; an escalation does nothing). */
const LASTING = new Set(['rollback_deployment', 'scale_deployment', 'patch_resources', 'patch_image', 'patch_probe', 'patch_hpa']);

/** Whether this trial's change is still in place for the next trial: applied for real, lasting, not undone. */
function leftInPlace(state: WorkflowState, undo: ActionResult | undefined): boolean {
  const r = state.remediation;
  return Boolean(r?.applied && !r.dryRun && !r.noop && LASTING.has(r.action) && !undo?.applied);
}

/** What this trial's outcome was, from the structured facts alone. */
export function judge(state: WorkflowState): Outcome {
  if (state.error) return 'error';
  if (!state.decision || state.decision.action.action === 'escalate') return 'escalated';
  const r = state.remediation;
  if (!r) return 'error';
  if (!r.applied) {
    if (r.details['refused'] !== undefined) return 'escalated';
    if (state.mode === 'observe') return 'observed';
    if (state.mode === 'dry-run' || r.dryRun) return 'dry-run';
    return 'escalated';
  }
  const status = state.verification?.status;
  if (status === 'healthy') return 'resolved';
  return 'failed';
}

function route(state: WorkflowState, outcome: Outcome): 'resolved' | 'retry' | 'escalate' | 'done' {
  switch (outcome) {
    case 'resolved':
      return 'resolved';
    case 'observed':
    case 'dry-run':
      return 'done';
    case 'failed':
      return state.trial < state.maxTrials ? 'retry' : 'escalate';
    case 'error':
      // An action that does not apply here (a rollback with no revision left that is not known failing) wrote
      // nothing: the strategy missed, the incident is not over; the next trial chooses another (tried excludes it).
      return notApplicable(state) && state.trial < state.maxTrials ? 'retry' : 'escalate';
    default:
      return 'escalate';
  }
}

function finalOutcome(outcome: Outcome, next: 'resolved' | 'retry' | 'escalate' | 'done'): Outcome {
  if (next === 'escalate') return 'escalated';
  return outcome;
}

/** The undo that did not happen, as a result: what was tried, why it failed, nothing applied. */
function undoFailure(done: ActionResult, error: unknown, actionId: string, now: Date): ActionResult {
  const e = error as { name?: string; message?: string; rule?: string };
  const name = e.name ?? 'Error';
  return {
    action: done.action,
    target: done.target,
    applied: false,
    dryRun: false,
    noop: false,
    message: `undo failed (${name}): ${String(e.message ?? error)}`.slice(0, 2000),
    details: { actionId, undoOf: done.details['actionId'], undoFailed: name, ...(e.rule ? { refused: e.rule } : {}) },
    at: now.toISOString(),
  };
}

/**
 * Writes the episode once (a retried Reflect finds its own episode and
 * writes nothing). An episode of the same id from ANOTHER execution (a name
 * reused: another start time) is not this one: this one is kept under an id
 * of its own instead of being silently dropped.
 */
async function putEpisode(deps: AppDeps, episode: Episode): Promise<boolean> {
  if (await deps.memory.episodes.put(episode)) return true;
  const existing = await deps.memory.episodes.get(episode.episodeId);
  if (!existing || existing.startedAt === episode.startedAt) return false;
  const own = `${episode.episodeId}@${Date.parse(episode.startedAt).toString(36)}`;
  deps.logger.warn('episode id taken by another execution of the same name; kept under its own id', { episodeId: episode.episodeId, own });
  return deps.memory.episodes.put({ ...episode, episodeId: own });
}
