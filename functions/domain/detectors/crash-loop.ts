import { lastHealthyRevision, revisionOf } from '../workload';
import { terminationSubReason } from './exit';
import type { FactOf } from '../facts';
import type { PodDetector } from './types';
import { clip, containerLabel, secondsSince, statusesOf, type StatusRef } from './common';

/**
 * A running container that keeps dying between back-offs: at least this many
 * restarts, the last one this recent, and not ready. One restart that
 * recovered is not a crash loop.
 */
const FLAPPING_MIN_RESTARTS = 3;
const FLAPPING_RECENT_SECONDS = 300;

function isCrashLooping(ref: StatusRef, now: number): boolean {
  const s = ref.status;
  if (s.state?.waiting?.reason === 'CrashLoopBackOff') return true;
  const last = s.lastState?.terminated;
  if (!s.state?.running || s.ready === true || !last) return false;
  const ago = secondsSince(last.finishedAt, now);
  return (
    (s.restartCount ?? 0) >= FLAPPING_MIN_RESTARTS &&
    last.exitCode !== undefined &&
    last.exitCode !== 0 &&
    ago !== undefined &&
    ago <= FLAPPING_RECENT_SECONDS
  );
}

/** CrashLoopBackOff with the last termination reason and exit code. */
export const crashLoopDetector: PodDetector = {
  kind: 'CrashLoopBackOff',
  scope: 'pod',
  detect(pod, ctx) {
    const looping = statusesOf(pod).filter((ref) => isCrashLooping(ref, ctx.now));
    const first = looping[0];
    if (!first) return undefined;
    const last = first.status.lastState?.terminated;
    const termReason = last?.reason ?? 'unknown';
    const exitCode = last?.exitCode;
    let subReason = terminationSubReason(termReason, exitCode);
    const notes: string[] = [];
    const unknowns: string[] = [];
    let newRevision: FactOf<'CrashLoop'>['newRevision'];
    if (!last) unknowns.push('how the container last terminated (no lastState.terminated)');

    // Began with a new revision: the pod belongs to the Deployment's current
    // revision, that revision is failing and an older one was healthy.
    const workload = ctx.workloadOf(pod);
    if (workload.kind === 'Deployment') {
      const deployment = ctx.deployment(workload.namespace, workload.name);
      const current = deployment ? revisionOf(deployment) : undefined;
      if (deployment && current !== undefined) {
        const history = ctx.historyOf(deployment);
        const mine = history.find((r) => r.replicaSet === workload.replicaSet);
        const previous = lastHealthyRevision(history, current);
        if (mine?.revision === current && mine.healthy === false && previous) {
          subReason = 'new-revision';
          newRevision = { revision: current, previousRevision: previous.revision };
          notes.push(
            `crashes began with revision ${current} (${Object.values(mine.images).join(', ')}); revision ${previous.revision} (${Object.values(previous.images).join(', ')}) was healthy`,
          );
        }
      } else {
        unknowns.push('whether the crashes began with a new revision (Deployment revision unknown)');
      }
    }
    const facts = looping.map((ref): FactOf<'CrashLoop'> => {
      const t = ref.status.lastState?.terminated;
      return {
        kind: 'CrashLoop',
        container: ref.status.name ?? '',
        init: ref.init,
        restartCount: ref.status.restartCount ?? 0,
        ...(t?.exitCode !== undefined ? { exitCode: t.exitCode } : {}),
        ...(t?.reason ? { terminationReason: clip(t.reason, 200) } : {}),
        ...(newRevision ? { newRevision } : {}),
      };
    });
    const exitText = exitCode === undefined ? '' : ` exit code ${exitCode}`;
    return {
      kind: 'CrashLoopBackOff',
      subReason,
      reason: 'CrashLoopBackOff',
      message: clip(
        `${containerLabel(first)} keeps crashing (${first.status.restartCount ?? 0} restarts); last termination: ${termReason}${exitText}${last?.message ? `: ${last.message}` : ''}`,
        2000,
      ),
      containers: looping.map((l) => l.status.name ?? ''),
      facts,
      notes,
      unknowns: [...unknowns, 'why the process exits (the container log is read by analysis, not the detector)'],
    };
  },
};
