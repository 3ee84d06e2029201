import type { Pod } from '../k8s';
import { currentReplicaSetOf, isPodReady, podsOfReplicaSet, revisionOf } from '../workload';
import type { WorkloadDetector, WorkloadFinding } from './types';
import { clip, conditionOf, secondsSince, statusesOf } from './common';

/** Kubernetes' default when spec.progressDeadlineSeconds is unset. */
const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

/**
 * A Deployment whose rollout failed: the controller reported
 * ProgressDeadlineExceeded, or the current revision's ReplicaSet is still not
 * available after the progress deadline (e.g. the condition was not updated
 * because the controller was down). A rollout in progress within its
 * deadline, or a paused one, is not failed.
 */
export const failedRolloutDetector: WorkloadDetector = {
  kind: 'FailedRollout',
  scope: 'workload',
  detect(ctx) {
    const findings: WorkloadFinding[] = [];
    for (const d of ctx.snapshot.deployments) {
      const ns = d.metadata?.namespace ?? '';
      const name = d.metadata?.name ?? '';
      if (d.spec?.paused) continue;
      const progressing = conditionOf(d.status?.conditions, 'Progressing');
      const deadline = d.spec?.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS;
      const desired = d.spec?.replicas ?? 1;
      const rs = currentReplicaSetOf(d, ctx.replicaSetsIn(ns));
      const rsName = rs?.metadata?.name;
      const rsAge = secondsSince(rs?.metadata?.creationTimestamp, ctx.now);
      const rsAvailable = rs?.status?.availableReplicas ?? 0;
      const rsDesired = rs?.spec?.replicas ?? 0;
      const exceeded = progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded';
      // Once the controller reported NewReplicaSetAvailable the rollout is
      // complete; pods failing later are a runtime failure, not a rollout's.
      const complete = progressing?.reason === 'NewReplicaSetAvailable';
      const stalled =
        !exceeded &&
        !complete &&
        desired > 0 &&
        rs !== undefined &&
        (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
        rsAge !== undefined &&
        rsAge > deadline &&
        rsAvailable < Math.min(rsDesired || desired, desired) &&
        ((d.status?.updatedReplicas ?? 0) < desired || (d.status?.unavailableReplicas ?? 0) > 0);
      if (!exceeded && !stalled) continue;

      const pods: Pod[] = rs ? podsOfReplicaSet(rs, ctx.podsIn(ns)) : [];
      const unknowns: string[] = [];
      if (!rs) unknowns.push('which ReplicaSet is the new revision (not found in the snapshot)');
      if (pods.length === 0) unknowns.push('why the new pods are not available (none of them is in the snapshot)');
      const revision = revisionOf(d);
      const why = exceeded
        ? (progressing?.message ?? 'ProgressDeadlineExceeded')
        : `ReplicaSet ${rsName} of revision ${revision ?? '?'} has ${rsAvailable}/${rsDesired} available replicas after ${Math.round(rsAge ?? 0)}s (deadline ${deadline}s)`;
      findings.push({
        kind: 'FailedRollout',
        subReason: exceeded ? 'progress-deadline-exceeded' : 'new-replicaset-unavailable',
        reason: exceeded ? 'ProgressDeadlineExceeded' : 'ReplicaSetUnavailable',
        message: clip(`rollout of revision ${revision ?? '?'} failed: ${why}`, 2000),
        target: { kind: 'Deployment', namespace: ns, name },
        pods: pods.map((pod) => ({
          pod,
          containers: isPodReady(pod)
            ? []
            : statusesOf(pod)
                .filter((ref) => ref.status.ready !== true)
                .map((ref) => ref.status.name ?? ''),
        })),
        facts: [
          {
            kind: 'FailedRollout',
            ...(revision !== undefined ? { revision } : {}),
            progressDeadlineExceeded: exceeded,
            deadlineSeconds: deadline,
            desired,
            updated: d.status?.updatedReplicas ?? 0,
            available: d.status?.availableReplicas ?? 0,
            unavailable: d.status?.unavailableReplicas ?? 0,
          },
        ],
        notes: [
          `desired ${desired}, updated ${d.status?.updatedReplicas ?? 0}, available ${d.status?.availableReplicas ?? 0}, unavailable ${d.status?.unavailableReplicas ?? 0}`,
        ],
        unknowns,
      });
    }
    return findings;
  },
};
