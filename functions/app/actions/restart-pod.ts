import type { z } from 'zod';
import type { ActionResult, RestartPodSchema } from '../../domain/actions';
import { KubeConflict, KubeNotFound, KubeTimeout, KubeUnavailable } from '../../domain/errors';
import type { Deployment, Pod } from '../../domain/k8s';
import { baselineOf, observePod, type Baseline } from '../../domain/verify';
import { podDeletionChangeSet } from '../approval-gate';
import { eventNameFor } from './audit';
import { FIELD_MANAGER, guardAndStamp, lastActionOf, type Plan, type PreImage } from './common';
import type { ActionContext, ExecuteDeps } from './context';
import { podWorkload, type PodWorkload } from './controller';
import { deploymentBaseline } from './deployment-executor';
import type { Executor } from './pipeline';

type Request = z.infer<typeof RestartPodSchema>;

export function podBaseline(pod: Pod, now: Date): Baseline {
  return baselineOf(observePod(pod, pod.metadata?.name ?? '?'), now);
}

/**
 * restart_pod: delete one pod so its controller replaces it (policy: only
 * pods with a controller owner; facts, lock and cooldown on the top
 * controller). The write is a delete by UID; the last-action marker goes on
 * the owning Deployment (the only controller the writers may patch), the
 * Event on the pod. A repeat is a no-op when the marker carries this
 * actionId, the pod's own Event says it was already deleted, or the pod is
 * already terminating.
 */
export function restartPodExecutor(deps: ExecuteDeps, request: Request, context: ActionContext): Executor<Pod> {
  const { cluster } = deps;
  const target = { kind: 'Pod' as const, namespace: request.namespace, name: request.pod };
  const ours = eventNameFor(request.pod, context.actionId);
  const already = (message: string, details: Record<string, unknown> = {}): ActionResult => ({
    action: 'restart_pod',
    target,
    at: deps.clock.now().toISOString(),
    applied: true,
    dryRun: false,
    noop: true,
    message,
    details: { actionId: context.actionId, request, ...details },
  });
  let workload: PodWorkload | undefined;
  const deployment = () => (workload?.top?.kind === 'Deployment' ? (workload.top.object as Deployment | undefined) : undefined);
  const preImageOf = (pod: Pod): PreImage => ({
    kind: 'Pod',
    namespace: request.namespace,
    name: request.pod,
    ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}),
    ...(pod.metadata?.resourceVersion ? { resourceVersion: pod.metadata.resourceVersion } : {}),
  });
  const only = (pod: Pod) => (pod.metadata?.uid ? { uid: pod.metadata.uid } : {});
  let answerLost = false;
  /** After a delete whose answer never came: the pod read was deleted (gone, replaced, or terminating); false when it is there untouched or cannot be read. */
  const podWentAway = async (pod: Pod): Promise<boolean> => {
    try {
      const now = await cluster.getPod(request.namespace, request.pod);
      return now.metadata?.uid !== pod.metadata?.uid || Boolean(now.metadata?.deletionTimestamp);
    } catch (error) {
      return error instanceof KubeNotFound;
    }
  };

  return {
    request,
    context,
    target,
    // A 409 on a delete by UID means another pod has the name now: never re-judged and deleted.
    retryOnConflict: false,
    read: async () => {
      let pod: Pod;
      try {
        pod = await cluster.getPod(request.namespace, request.pod);
      } catch (error) {
        // A retried step whose delete already went through finds no pod: the action's own
        // Event (named from the action id, it outlives the pod) says the deletion was ours.
        if (!(error instanceof KubeNotFound)) throw error;
        const events = await cluster.eventsFor(request.namespace, 'Pod', request.pod);
        if (!events.some((e) => e.metadata?.name === ours)) throw error;
        return { finished: already(`already applied as ${context.actionId}: the pod is gone; nothing written again`) };
      }
      // A retried step may find the replacement of the pod it deleted under the same name (a StatefulSet's):
      // its own Event, on the old uid, says the restart already happened.
      const earlier = (await cluster.eventsFor(request.namespace, 'Pod', request.pod)).find((e) => e.metadata?.name === ours);
      if (earlier && earlier.involvedObject?.uid !== pod.metadata?.uid) {
        return { finished: already(`already applied as ${context.actionId}: pod ${request.namespace}/${request.pod} is a replacement; nothing deleted again`, { replacedBy: pod.metadata?.uid }) };
      }
      workload = await podWorkload(cluster, pod);
      return { object: pod };
    },
    facts: async () => workload!.facts,
    marker: () => lastActionOf(deployment()?.metadata?.annotations),
    plan: async (pod): Promise<Plan> => {
      const controller = workload?.facts.current?.podController?.kind ?? 'controller';
      const summary = `deleted pod ${request.namespace}/${request.pod} so that its ${controller} replaces it`;
      return {
        done: Boolean(pod.metadata?.deletionTimestamp),
        ops: [],
        preImage: preImageOf(pod),
        summary,
        doneMessage: `pod ${request.namespace}/${request.pod} is already terminating; nothing written`,
        details: { workload: { kind: workload!.facts.kind, name: workload!.facts.name } },
      };
    },
    changeSet: async (pod, _plan, policyReason) =>
      podDeletionChangeSet({ cluster: cluster.clusterName, pod, action: request, controller: `${workload!.facts.kind} ${workload!.facts.name}`, policyReason }),
    baseline: async (pod) => {
      const d = deployment();
      return d ? deploymentBaseline(cluster, d, deps.clock.now()) : podBaseline(pod, deps.clock.now());
    },
    write: async (pod, plan, _marker, dryRun) => {
      // The pod that was read and judged, and no other: a retry must never delete its replacement of the same name.
      if (dryRun) {
        await cluster.deletePod(request.namespace, request.pod, { dryRun: true, ...only(pod) });
        return 'written';
      }
      try {
        await cluster.deletePod(request.namespace, request.pod, only(pod));
        return 'written';
      } catch (error) {
        // An answer lost in transit (found by the chaos bench): whether the delete happened is read back, not guessed;
        // if it did, it is recorded like any applied restart (Event, action record), so a retry finds it.
        if ((error instanceof KubeTimeout || error instanceof KubeUnavailable) && (await podWentAway(pod))) {
          answerLost = true;
          return 'written';
        }
        // 409 with a UID precondition: the pod of this name is already a new one, so the restart happened.
        if (!(error instanceof KubeConflict)) throw error;
        return {
          ...already(`pod ${request.namespace}/${request.pod} was already replaced (new uid); nothing deleted`, { replacedBeforeDelete: true }),
          preImage: plan.preImage,
        };
      }
    },
    afterWrite: async (_pod, marker) => {
      const d = deployment();
      const lost = answerLost ? { deleteAnswerLost: true } : {};
      if (!d) return lost;
      try {
        await cluster.patchDeployment(request.namespace, d.metadata?.name ?? '', guardAndStamp(d, marker, { conditional: false }), 'json', { fieldManager: FIELD_MANAGER });
        return { ...lost, marked: true };
      } catch (error) {
        deps.logger.warn('could not mark the deployment', { error: (error as Error).message, conflict: error instanceof KubeConflict });
        return { ...lost, marked: false };
      }
    },
    eventObject: (pod) => ({ ...target, uid: pod.metadata?.uid }),
  };
}
