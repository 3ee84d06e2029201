import type { ActionRequest, ActionResult } from '../../domain/actions';
import type { ChangeSet } from '../../domain/approval';
import { KubeConflict, PolicyViolation } from '../../domain/errors';
import type { KubeObject } from '../../domain/k8s';
import { evaluatePolicy, namespaceRefusal, workloadKey, type WorkloadFacts } from '../../domain/policy';
import type { Baseline } from '../../domain/verify';
import { approvalGate, type GateOutcome } from '../approval-gate';
import { bounded, markerFor, recordEvent } from './audit';
import type { LastAction, Plan } from './common';
import type { ActionContext, ExecuteDeps } from './context';

/**
 * The one write pipeline of the catalogue (and of undo): read → already done
 * by this action id? → facts → policy (rate limits on the top controller) →
 * approval gate → plan → observe / baseline / nothing to do → server-side dry
 * run → write carrying the last-action marker → Event → recorded in the lock
 * store. Each action is an Executor saying how to read, judge, plan and write
 * its object; restart_pod's write is a delete.
 */
export interface Executor<T extends KubeObject> {
  request: ActionRequest;
  context: ActionContext;
  /** Restoring a pre-image (skips rate, trial, approval and step rules). */
  undo?: boolean;
  /** What the result names as the target. */
  target: { kind: 'Deployment' | 'HorizontalPodAutoscaler' | 'Pod'; namespace: string; name: string };
  /** The object to act on, or the answer of a retried step that finds its work already done. */
  read(): Promise<{ object: T } | { finished: ActionResult }>;
  /** Policy facts; their kind and name key the lock store (lock, cooldown, hourly cap). */
  facts(object: T): Promise<WorkloadFacts>;
  /** The last-action marker that tells whether this action id already applied (the object's, or its controller's). */
  marker(object: T): LastAction | undefined;
  plan(object: T): Promise<Plan>;
  /** What an operator approves when the policy asks for approval. */
  changeSet(object: T, plan: () => Promise<Plan>, policyReason: string): Promise<ChangeSet>;
  baseline(object: T): Promise<Baseline>;
  /** Writes the plan (called with a dry run first); a result instead ends the action there (the pod was already replaced). */
  write(object: T, plan: Plan, marker: LastAction, dryRun: boolean): Promise<'written' | ActionResult>;
  /** A 409 re-reads and judges again (a conditional patch); without it the KubeConflict is the caller's. */
  retryOnConflict: boolean;
  /** The object the audit Event is recorded on. */
  eventObject(object: T): { kind: string; namespace: string; name: string; uid?: string | undefined };
  /** Best-effort follow-ups once written (restart_pod marks the Deployment); returns details to add. */
  afterWrite?(object: T, marker: LastAction): Promise<Record<string, unknown>>;
}

/** Conflicts on a busy object (controllers write status all the time) get this many re-reads. */
const MAX_ATTEMPTS = 5;

export async function runExecutor<T extends KubeObject>(deps: ExecuteDeps, ex: Executor<T>): Promise<ActionResult> {
  const { cluster, clock, logger, locks } = deps;
  const { target, context } = ex;
  const reportAs = ex.request.action;
  const now = clock.now();
  const base = { action: reportAs, target, at: now.toISOString() } as const;
  const namespace = await cluster.getNamespace(target.namespace);

  for (let attempt = 1; ; attempt++) {
    const read = await ex.read();
    if ('finished' in read) return read.finished;
    const { object } = read;
    const facts = await ex.facts(object);
    // Lock, cooldown and hourly cap live on the workload the facts are about (a pod's top controller, an HPA's target).
    const key = workloadKey(cluster.clusterName, target.namespace, facts.kind, facts.name);
    const previous = ex.marker(object);
    if (previous?.actionId === context.actionId) {
      // Recorded again (idempotent per actionId): the first attempt may have written the object and then died
      // before recording, and the cooldown and hourly cap must still see the action.
      await locks.recordAction(key, context.actionId, now, context.requestedBy);
      return {
        ...base,
        applied: true,
        dryRun: false,
        noop: true,
        ...(previous.pre !== undefined ? { preImage: previous.pre } : {}),
        message: `already applied as ${context.actionId} at ${previous.at}; nothing written again`,
        details: { actionId: context.actionId, request: ex.request, alreadyAppliedAt: previous.at },
      };
    }

    const recentActions = await locks.actionsSince(key, new Date(now.getTime() - 3_600_000));
    const policyInput = {
      config: deps.policy,
      action: ex.request,
      clusterName: cluster.clusterName,
      namespace: {
        name: target.namespace,
        ...(namespace.metadata?.labels ? { labels: namespace.metadata.labels } : {}),
        ...(namespace.metadata?.annotations ? { annotations: namespace.metadata.annotations } : {}),
      },
      workload: facts,
      recentActions,
      actionId: context.actionId,
      ...(context.trial !== undefined ? { trial: context.trial } : {}),
      ...(ex.undo ? { undo: true } : {}),
      now,
    };
    let decision = evaluatePolicy(policyInput);
    let approval: GateOutcome['approval'];
    if (!decision.allowed && decision.rule === 'approval-required') {
      const refusal = decision;
      const planned = await ex.plan(object);
      const approvedDecision = evaluatePolicy({ ...policyInput, approved: true });
      // Nothing to change means nothing to approve.
      const changeSet = planned.done ? undefined : await ex.changeSet(object, async () => planned, refusal.message);
      ({ decision, approval } = changeSet
        ? approvalGate({ refusal, approvedDecision, actionId: context.actionId, approvedDigest: context.approvedDigest, changeSet: () => changeSet })
        : { decision: approvedDecision, approval: { waived: 'already in the desired state; nothing to approve' } });
    }
    if (!decision.allowed && decision.rule !== 'observe-mode') {
      logger.warn('policy refused action', { action: reportAs, rule: decision.rule, target });
      throw new PolicyViolation(decision.message, decision.rule);
    }

    const plan = await ex.plan(object);
    const details: Record<string, unknown> = {
      actionId: context.actionId,
      ...(context.requestedBy ? { requestedBy: context.requestedBy } : {}),
      request: ex.request,
      ...plan.details,
    };
    if (approval) details.approval = approval;
    if (!decision.allowed) {
      return { ...base, applied: false, dryRun: false, noop: plan.done, preImage: plan.preImage, message: bounded(`observe mode: would apply: ${plan.summary}; nothing written`), details };
    }
    details.baseline = await ex.baseline(object);
    if (plan.done) {
      return {
        ...base,
        applied: !decision.dryRunOnly,
        dryRun: decision.dryRunOnly,
        noop: true,
        preImage: plan.preImage,
        message: bounded(plan.doneMessage ?? `already in the desired state (${plan.summary}); nothing written`),
        details,
      };
    }

    const marker = markerFor(reportAs, context.actionId, now, plan.preImage, ex.undo, context.requestedBy);
    try {
      const dry = await ex.write(object, plan, marker, true);
      if (dry !== 'written') return dry;
      if (decision.dryRunOnly) {
        return { ...base, applied: false, dryRun: true, noop: false, preImage: plan.preImage, message: bounded(`dry run passed: would apply: ${plan.summary}`), details };
      }
      const written = await ex.write(object, plan, marker, false);
      if (written !== 'written') return { ...written, details: { ...details, ...written.details } };
    } catch (error) {
      if (error instanceof KubeConflict && ex.retryOnConflict && attempt < MAX_ATTEMPTS) {
        logger.info('conflict, re-reading', { target, attempt });
        continue;
      }
      throw error;
    }
    // After the write nothing may fail the action: it happened. Follow-ups and the Event are best effort.
    if (ex.afterWrite) Object.assign(details, await ex.afterWrite(object, marker));
    details.attempts = attempt;
    details.eventRecorded = await recordEvent(deps, ex.eventObject(object), context, plan.summary);
    await locks.recordAction(key, context.actionId, now, context.requestedBy, {
      action: ex.undo ? `undo:${reportAs}` : reportAs,
      ...(plan.leftFailing ? { leftFailing: plan.leftFailing } : {}),
    });
    logger.info('action applied', { action: reportAs, target, actionId: context.actionId });
    return { ...base, applied: true, dryRun: false, noop: false, preImage: plan.preImage, message: bounded(`${plan.summary}; why: ${context.reason}`), details };
  }
}

/** A protected or not-opted-in namespace is refused before anything in it is read. */
export function refuseNamespaceEarly(deps: ExecuteDeps, namespace: string): void {
  const refusal = namespaceRefusal(deps.policy, namespace);
  if (refusal) {
    deps.logger.warn('policy refused action', { rule: refusal.rule, namespace });
    throw new PolicyViolation(refusal.message, refusal.rule);
  }
}
