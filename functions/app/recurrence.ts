import type { Incident } from '../domain/incident';
import { featuresFor } from '../domain/features';
import { creditTarget } from '../domain/selection-context';
import type { AppDeps } from './deps';

/**
 * Recurrence counts as failure. A remedy that only masks a fault (a bigger
 * limit on a leak, a rollback while a dependency is down) passes the trial's
 * verification, so the system would record it `resolved` and learn to repeat
 * it. What gives it away is what gives it away to an SRE: the same failure on
 * the same workload comes back soon after. When detection sees an incident's
 * fingerprint again within `selection.recurrenceWindowMinutes` of a trial
 * that ended `resolved`, that trial's success is taken back and counted as a
 * failure of the same strategy record, in the same feature buckets (the
 * statistic selection reads), and the episode records `recurredAt`.
 *
 * Order makes it safe to repeat: the strategy is revised first (once per
 * episode, by marker), the episode marked after; a crash between the two is
 * finished by the next detection, which still finds the episode unmarked.
 */
export async function noteRecurrence(deps: Pick<AppDeps, 'memory' | 'policy' | 'clock' | 'logger'>, incident: Pick<Incident, 'fingerprint'>): Promise<string[]> {
  const minutes = deps.policy.selection.recurrenceWindowMinutes;
  if (!(minutes > 0)) return [];
  const now = deps.clock.now();
  const since = new Date(now.getTime() - minutes * 60_000).toISOString();
  const earlier = await deps.memory.episodes.resolvedSince({ fingerprint: incident.fingerprint, since });
  const marked: string[] = [];
  for (const episode of earlier) {
    // Only an episode that had ended before this detection: the running trial's own failure is not a recurrence.
    if (Date.parse(episode.endedAt) >= now.getTime()) continue;
    const decision = episode.decision;
    if (decision?.strategy && decision.action.action !== 'escalate') {
      await deps.memory.strategies.reviseOutcome({
        strategy: creditTarget(decision.strategy, decision.inPlace),
        features: featuresFor(decision.strategy.action, decision.features),
        halfLifeDays: deps.policy.selection.halfLifeDays,
        countedAt: episode.endedAt,
        at: now.toISOString(),
        outcomeId: episode.episodeId,
      });
    }
    if (await deps.memory.episodes.markRecurred(episode.episodeId, now.toISOString())) {
      marked.push(episode.episodeId);
      deps.logger.warn('resolved incident recurred; its strategy is counted as failed in this context', {
        episodeId: episode.episodeId,
        action: decision?.action.action,
        minutesAfter: Math.round((now.getTime() - Date.parse(episode.endedAt)) / 60_000),
      });
    }
  }
  return marked;
}

/**
 * noteRecurrence for a way in (the scheduled detector, the alert webhook)
 * just before it starts the incident's execution: a memory failure is
 * logged and never stops the incident from being handled.
 */
export async function noteRecurrenceBeforeStart(deps: Pick<AppDeps, 'memory' | 'policy' | 'clock' | 'logger'>, incident: Pick<Incident, 'fingerprint'>): Promise<string[]> {
  try {
    return await noteRecurrence(deps, incident);
  } catch (error) {
    const e = error as Error;
    deps.logger.error('recurrence check failed', { fingerprint: incident.fingerprint, error: e.name, message: e.message });
    return [];
  }
}
