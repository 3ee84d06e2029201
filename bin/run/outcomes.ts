import type { AppDeps } from '../../functions/app/deps';
import type { DetectSummary } from '../../functions/app/steps/detect';
import { EpisodeSchema } from '../../functions/domain/model';
import type { Mode } from '../../functions/domain/policy-config';
import type { WorkflowState } from '../../functions/domain/workflow-state';
import type { ExecutionResult } from '../../functions/local/runner';
import { EXIT } from '../framework/exit-codes';
import { fieldChanges } from '../story';

/** One incident's execution, as `run` reports it (JSON and the closing line of its story). */
export interface OutcomeReport {
  execution: string;
  status: ExecutionResult['status'];
  target?: string;
  signature?: string;
  /** resolved | observed | dry-run | escalated | failed | error | interrupted, or the execution's error name. */
  outcome?: string;
  trials?: number;
  actions?: string[];
  /** Each field the last action changed (or would have), before → after. */
  changes?: string[];
}

/** What each mode's incidents are expected to end as: anything else is an escalation for the exit code. */
const EXPECTED: Record<Mode, string> = { enforce: 'resolved', 'dry-run': 'dry-run', observe: 'observed' };

export function outcomeReport(r: ExecutionResult, last: WorkflowState | undefined, interrupted: boolean): OutcomeReport {
  const s = (r.output as WorkflowState | undefined) ?? last;
  return {
    execution: r.name,
    status: r.status,
    ...(s ? { target: `${s.incident.namespace}/${s.incident.target.kind}/${s.incident.target.name}`, signature: s.incident.signature } : {}),
    outcome: interrupted ? 'interrupted' : ((r.output as WorkflowState | undefined)?.outcome ?? r.error?.name),
    ...(s ? { trials: s.tried.length, actions: s.tried.map((t) => `${t.action}:${t.outcome}`) } : {}),
    ...(s?.remediation ? { changes: fieldChanges(s.remediation.details) } : {}),
  };
}

/** The exit code of a pass: interrupted, then unreachable, then escalated, else ok. */
export function passExitCode(mode: Mode, detection: DetectSummary[], outcomes: OutcomeReport[]): number {
  if (outcomes.some((o) => o.outcome === 'interrupted')) return EXIT.interrupted;
  if (detection.some((d) => d.errors.length > 0)) return EXIT.unreachable;
  if (outcomes.some((o) => o.outcome !== EXPECTED[mode])) return EXIT.escalated;
  return EXIT.ok;
}

/**
 * Records the trial in flight when the run was interrupted, as an episode
 * with outcome `interrupted` (not a verdict on the strategy: the bandit is not
 * told), and releases its lock if the execution's own release did not run.
 * Returns what it did, for the user.
 */
export async function settleInterrupted(deps: AppDeps, state: WorkflowState, atState: string | undefined, startedAt: Date): Promise<string[]> {
  const did: string[] = [];
  if (state.lock?.acquired) {
    await deps.memory.locks.release(state.lock.key, state.lock.owner);
    did.push(`lock ${state.lock.key} released`);
  }
  const now = deps.clock.now();
  const episode = EpisodeSchema.parse({
    episodeId: `${state.executionId}#${state.trial}`,
    executionId: state.executionId,
    trial: state.trial,
    incident: state.incident,
    signature: state.incident.signature,
    ...(state.analysis ? { analysis: state.analysis } : {}),
    ...(state.decision ? { decision: state.decision } : {}),
    ...(state.remediation ? { result: state.remediation } : {}),
    ...(state.verification ? { verification: state.verification } : {}),
    outcome: 'interrupted',
    usage: state.usage,
    error: { name: 'Interrupted', message: `stopped by Ctrl-C${atState ? ` during ${atState}` : ''}` },
    startedAt: startedAt.toISOString(),
    endedAt: now.toISOString(),
  });
  const written = await deps.memory.episodes.put(episode);
  did.push(written ? `episode ${episode.episodeId} recorded as interrupted` : `episode ${episode.episodeId} was already recorded`);
  return did;
}
