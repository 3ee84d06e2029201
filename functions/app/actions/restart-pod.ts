import type { z } from 'zod';
import type { ActionResult, RestartPodSchema } from '../../domain/actions';
import { KubeConflict, KubeNotFound, KubeTimeout, KubeUnavailable, PolicyViolation } from '../../domain/errors';
import { evaluatePolicy, workloadKey } from '../../domain/policy';
import { bounded, deploymentBaseline, eventNameFor, markerFor, podBaseline, recordEvent, type ActionContext, type ExecuteDeps } from '../execute-action';
import { approvalGate, podDeletionChangeSet } from '../approval-gate';
import { podWorkload } from './controller';
import type { Deployment } from '../../domain/k8s';
import { FIELD_MANAGER, guardAndStamp, lastActionOf, type PreImage } from './common';

type Request = z.infer<typeof RestartPodSchema>;

/**
 * restart_pod: delete one pod so its controller replaces it (policy: only
 * pods with a controller owner). The last-action marker goes on the owning
 * Deployment, the Event on the pod. A repeat is a no-op when the marker
 * carries this actionId or the pod is already terminating.
 */
export async function executeRestartPod(deps: ExecuteDeps, request: Request, context: ActionContext): Promise<ActionResult> {
  const { cluster, clock, logger, locks } = deps;
  const now = clock.now();
  const target = { kind: 'Pod', namespace: request.namespace, name: request.pod };
  const base = { action: 'restart_pod', target, at: now.toISOString() } as const;
  let pod;
  try {
    pod = await cluster.getPod(request.namespace, request.pod);
  } catch (error) {
    // A retried step whose delete already went through finds no pod: the action's own
    // Event (named from the action id, it outlives the pod) says the deletion was ours.
    if (!(error instanceof KubeNotFound)) throw error;
    const ours = eventNameFor(request.pod, context.actionId);
    const events = await cluster.eventsFor(request.namespace, 'Pod', request.pod);
    if (!events.some((e) => e.metadata?.name === ours)) throw error;
    const details = { actionId: context.actionId, request };
    return { ...base, applied: true, dryRun: false, noop: true, message: `already applied as ${context.actionId}: the pod is gone; nothing written again`, details };
  }
  // A retried step may find the replacement of the pod it deleted under the same name (a StatefulSet's):
  // its own Event, on the old uid, says the restart already happened.
  const ours = eventNameFor(request.pod, context.actionId);
  const earlier = (await cluster.eventsFor(request.namespace, 'Pod', request.pod)).find((e) => e.metadata?.name === ours);
  if (earlier && earlier.involvedObject?.uid !== pod.metadata?.uid) {
    const details = { actionId: context.actionId, request, replacedBy: pod.metadata?.uid };
    return { ...base, applied: true, dryRun: false, noop: true, message: `already applied as ${context.actionId}: pod ${request.namespace}/${request.pod} is a replacement; nothing deleted again`, details };
  }
  const { facts, lock, top } = await podWorkload(cluster, pod);
  // Only a Deployment carries the marker (the writers may patch Deployments, no other controller).
  const deployment = top?.kind === 'Deployment' ? (top.object as Deployment | undefined) : undefined;
  const key = workloadKey(cluster.clusterName, request.namespace, lock.kind, lock.name);
  const preImage: PreImage = {
    kind: 'Pod',
    namespace: request.namespace,
    name: request.pod,
    ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}),
    ...(pod.metadata?.resourceVersion ? { resourceVersion: pod.metadata.resourceVersion } : {}),
  };
  const details: Record<string, unknown> = {
    actionId: context.actionId,
    ...(context.requestedBy ? { requestedBy: context.requestedBy } : {}),
    request,
    workload: { kind: facts.kind, name: facts.name },
  };

  const previous = lastActionOf(deployment?.metadata?.annotations);
  if (previous?.actionId === context.actionId) {
    return { ...base, applied: true, dryRun: false, noop: true, preImage, message: `already applied as ${context.actionId} at ${previous.at}; nothing written again`, details };
  }

  const namespace = await cluster.getNamespace(request.namespace);
  const policyInput = {
    config: deps.policy,
    action: request,
    clusterName: cluster.clusterName,
    namespace: { name: request.namespace, ...(namespace.metadata?.labels ? { labels: namespace.metadata.labels } : {}), ...(namespace.metadata?.annotations ? { annotations: namespace.metadata.annotations } : {}) },
    workload: facts,
    recentActions: await locks.actionsSince(key, new Date(now.getTime() - 3_600_000)),
    actionId: context.actionId,
    ...(context.trial !== undefined ? { trial: context.trial } : {}),
    now,
  };
  let decision = evaluatePolicy(policyInput);
  if (!decision.allowed && decision.rule === 'approval-required') {
    const refusal = decision;
    const gate = approvalGate({
      refusal,
      approvedDecision: evaluatePolicy({ ...policyInput, approved: true }),
      actionId: context.actionId,
      approvedDigest: context.approvedDigest,
      changeSet: () =>
        podDeletionChangeSet({ cluster: cluster.clusterName, pod, action: request, controller: `${facts.kind} ${facts.name}`, policyReason: refusal.message }),
    });
    decision = gate.decision;
    if (gate.approval) details.approval = gate.approval;
  }
  if (!decision.allowed && decision.rule !== 'observe-mode') {
    logger.warn('policy refused action', { action: 'restart_pod', rule: decision.rule, target });
    throw new PolicyViolation(decision.message, decision.rule);
  }
  const summary = `deleted pod ${request.namespace}/${request.pod} so that its ${facts.current?.podController?.kind ?? 'controller'} replaces it`;
  if (!decision.allowed) {
    return { ...base, applied: false, dryRun: false, noop: false, preImage, message: `observe mode: would apply: ${summary}; nothing written`, details };
  }
  details.baseline = deployment ? await deploymentBaseline(cluster, deployment, now) : podBaseline(pod, now);
  if (pod.metadata?.deletionTimestamp) {
    return { ...base, applied: !decision.dryRunOnly, dryRun: decision.dryRunOnly, noop: true, preImage, message: `pod ${request.namespace}/${request.pod} is already terminating; nothing written`, details };
  }

  // The pod that was read and judged, and no other: a retry must never delete its replacement of the same name.
  const only = pod.metadata?.uid ? { uid: pod.metadata.uid } : {};
  await cluster.deletePod(request.namespace, request.pod, { dryRun: true, ...only });
  if (decision.dryRunOnly) {
    return { ...base, applied: false, dryRun: true, noop: false, preImage, message: `dry run passed: would apply: ${summary}`, details };
  }
  try {
    await cluster.deletePod(request.namespace, request.pod, only);
  } catch (error) {
    // An answer lost in transit (found by the chaos bench): whether the delete happened is read back, not guessed;
    // if it did, it is recorded below like any applied restart (Event, action record), so a retry finds it.
    if ((error instanceof KubeTimeout || error instanceof KubeUnavailable) && (await podWentAway(cluster, request, pod.metadata?.uid))) {
      details.deleteAnswerLost = true;
    } else {
      // 409 with a UID precondition: the pod of this name is already a new one, so the restart happened.
      if (!(error instanceof KubeConflict)) throw error;
      details.replacedBeforeDelete = true;
      return { ...base, applied: true, dryRun: false, noop: true, preImage, message: `pod ${request.namespace}/${request.pod} was already replaced (new uid); nothing deleted`, details };
    }
  }

  // After the delete nothing may fail the action: it happened. Marker and event are best effort, logged.
  if (deployment) {
    const marker = markerFor('restart_pod', context.actionId, now, preImage, false, context.requestedBy);
    try {
      await cluster.patchDeployment(request.namespace, facts.name, guardAndStamp(deployment, marker, { conditional: false }), 'json', { fieldManager: FIELD_MANAGER });
      details.marked = true;
    } catch (error) {
      details.marked = false;
      logger.warn('could not mark the deployment', { error: (error as Error).message, conflict: error instanceof KubeConflict });
    }
  }
  details.eventRecorded = await recordEvent(deps, { kind: 'Pod', namespace: request.namespace, name: request.pod, uid: pod.metadata?.uid }, context, summary);
  await locks.recordAction(key, context.actionId, now);
  logger.info('action applied', { action: 'restart_pod', target, actionId: context.actionId });
  return { ...base, applied: true, dryRun: false, noop: false, preImage, message: bounded(`${summary}; why: ${context.reason}`), details };
}

/** After a delete whose answer never came: the pod read was deleted (gone, replaced, or terminating); false when it is there untouched or cannot be read. */
async function podWentAway(cluster: ExecuteDeps['cluster'], request: Request, uid: string | undefined): Promise<boolean> {
  try {
    const now = await cluster.getPod(request.namespace, request.pod);
    return now.metadata?.uid !== uid || Boolean(now.metadata?.deletionTimestamp);
  } catch (error) {
    return error instanceof KubeNotFound;
  }
}
