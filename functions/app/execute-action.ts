import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DigestSchema } from '../domain/approval';
import { ActionRequestSchema, type ActionName, type ActionRequest, type ActionResult } from '../domain/actions';
import { KubeConflict, KubeNotFound, KubeThrottled, KubeTimeout, KubeUnavailable, PolicyViolation, ValidationError } from '../domain/errors';
import type { Deployment, HorizontalPodAutoscaler, KubeObject, Pod, ReplicaSet } from '../domain/k8s';
import { evaluatePolicy, namespaceRefusal, workloadKey, type WorkloadFacts } from '../domain/policy';
import type { PolicyConfig } from '../domain/policy-config';
import { baselineOf, observeDeployment, observePod, type Baseline } from '../domain/verify';
import { imagesSeenFor, rolloutHistory } from '../domain/workload';
import { hpaWorkload, podWorkload } from './actions/controller';
import type { Clock } from '../ports/clock';
import type { Cluster } from '../ports/cluster';
import type { Logger } from '../ports/logger';
import type { LockStore } from '../ports/memory';
import {
  containerImage,
  EVENT_REASON,
  FIELD_MANAGER,
  guardAndStamp,
  lastActionOf,
  PreImageSchema,
  type JsonPatchOp,
  type LastAction,
  type Plan,
  type PreImage,
} from './actions/common';
import { approvalGate, patchChangeSet, type GateOutcome } from './approval-gate';
import { planPatchHpa } from './actions/patch-hpa';
import { planPatchImage } from './actions/patch-image';
import { planPatchProbe } from './actions/patch-probe';
import { planPatchResources } from './actions/patch-resources';
import { planRollbackDeployment } from './actions/rollback-deployment';
import { planRolloutRestart } from './actions/rollout-restart';
import { planScaleDeployment } from './actions/scale-deployment';
import { executeRestartPod } from './actions/restart-pod';
import { escalationResult } from './actions/escalate';

export interface ExecuteDeps {
  cluster: Cluster;
  /** Its `mode` is the mode of this call (the caller tightens it, e.g. for an API dry_run). */
  policy: PolicyConfig;
  clock: Clock;
  logger: Logger;
  locks: LockStore;
}

export interface ActionContext {
  /** Idempotency key, `<executionId>#<trial>` (undo: `...#undo`). The same key never writes twice. */
  actionId: string;
  /** Why, in a sentence: goes into the Kubernetes Event. */
  reason: string;
  trial?: number;
  /** Who asked (action API `requested_by`, or `anonymous`): recorded in the Event, the marker and the result. */
  requestedBy?: string;
  /** The digest an operator approved for this very action id; only the approval gate's caller sets it, after checking the approval store. */
  approvedDigest?: string;
}

const ContextSchema = z.object({
  actionId: z.string().min(1).max(300),
  reason: z.string().max(2000),
  trial: z.number().int().positive().optional(),
  requestedBy: z.string().min(1).max(100).optional(),
  approvedDigest: DigestSchema.optional(),
});

/** Conflicts on a busy object (controllers write status all the time) get this many re-reads. */
const MAX_ATTEMPTS = 5;

/**
 * Executes one catalogue action: policy → server-side dry run → pre-image →
 * conditional write carrying the last-action marker → Event → recorded in the
 * lock store. Throws PolicyViolation (nothing written) when refused; returns
 * `noop: true` without writing when this actionId already applied or the
 * object is already as wanted; writes nothing in observe mode and only the
 * dry run in dry-run mode.
 */
export async function executeAction(deps: ExecuteDeps, request: ActionRequest, context: ActionContext): Promise<ActionResult> {
  const parsed = ActionRequestSchema.safeParse(request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    throw new ValidationError(`${field || 'action'}: ${issue?.message ?? 'invalid action'}`, field);
  }
  const ctx = ContextSchema.safeParse(context);
  if (!ctx.success) {
    const issue = ctx.error.issues[0];
    throw new ValidationError(`context.${issue?.path.join('.')}: ${issue?.message}`, `context.${issue?.path.join('.')}`);
  }
  const action = parsed.data;
  if (action.action !== 'escalate') refuseNamespaceEarly(deps, action.namespace);
  switch (action.action) {
    case 'escalate':
      return escalationResult(action, deps.clock.now());
    case 'restart_pod':
      return executeRestartPod(deps, action, ctx.data);
    case 'patch_hpa':
      return writeObject(deps, {
        request: action,
        context: ctx.data,
        target: { kind: 'HorizontalPodAutoscaler', namespace: action.namespace, name: action.hpa },
        read: () => deps.cluster.getHpa(action.namespace, action.hpa),
        facts: async (hpa) => (await hpaWorkload(deps.cluster, hpa)).facts,
        plan: async (hpa) => planPatchHpa(hpa, action),
        write: (ops, dryRun) => deps.cluster.patchHpa(action.namespace, action.hpa, ops, 'json', { dryRun, fieldManager: FIELD_MANAGER }),
        baseline: (hpa) => hpaBaseline(deps, hpa),
      });
    default:
      return writeObject(deps, deploymentWrite(deps, action, ctx.data, planFor(action)));
  }
}

type DeploymentAction = Exclude<ActionRequest, { action: 'escalate' | 'restart_pod' | 'patch_hpa' }>;

function planFor(action: DeploymentAction): (d: Deployment, extra: { replicaSets: ReplicaSet[]; pods: Pod[]; now: Date }) => Plan {
  switch (action.action) {
    case 'scale_deployment':
      return (d) => planScaleDeployment(d, action);
    case 'patch_image':
      return (d) => planPatchImage(d, action);
    case 'patch_resources':
      return (d) => planPatchResources(d, action);
    case 'patch_probe':
      return (d) => planPatchProbe(d, action);
    case 'rollout_restart':
      return (d, extra) => planRolloutRestart(d, action, extra.now);
    case 'rollback_deployment':
      return (d, extra) => planRollbackDeployment(d, action, extra);
  }
}

const meta = (o: KubeObject) => ({
  ...(o.metadata?.labels ? { labels: o.metadata.labels } : {}),
  ...(o.metadata?.annotations ? { annotations: o.metadata.annotations } : {}),
});

/** `matchLabels` as a label selector string (the only selector form the catalogue's workloads need). */
export function selectorOf(deployment: Deployment): string | undefined {
  const labels = deployment.spec?.selector?.matchLabels;
  if (!labels || Object.keys(labels).length === 0) return undefined;
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export async function deploymentPods(cluster: Cluster, deployment: Deployment): Promise<Pod[]> {
  const selector = selectorOf(deployment);
  // Without a selector we cannot tell its pods from others: report none rather than guess.
  return selector ? cluster.listPods(deployment.metadata?.namespace ?? '', selector) : [];
}

export async function deploymentBaseline(cluster: Cluster, deployment: Deployment, now: Date): Promise<Baseline> {
  const pods = await deploymentPods(cluster, deployment);
  return baselineOf(observeDeployment(deployment, pods), now, deployment.spec?.replicas ?? 1);
}

async function hpaBaseline(deps: ExecuteDeps, hpa: HorizontalPodAutoscaler): Promise<Baseline> {
  const ref = hpa.spec?.scaleTargetRef;
  const now = deps.clock.now();
  if (ref?.kind === 'Deployment' && ref.name) {
    try {
      const d = await deps.cluster.getDeployment(hpa.metadata?.namespace ?? '', ref.name);
      return { ...(await deploymentBaseline(deps.cluster, d, now)), kind: 'HorizontalPodAutoscaler' };
    } catch (error) {
      if (!(error instanceof KubeNotFound)) throw error;
    }
  }
  return { kind: 'HorizontalPodAutoscaler', restarts: {}, failures: [], capturedAt: now.toISOString() };
}

export function podBaseline(pod: Pod, now: Date): Baseline {
  return baselineOf(observePod(pod, pod.metadata?.name ?? '?'), now);
}

export function deploymentWrite(
  deps: ExecuteDeps,
  request: ActionRequest & { deployment: string; namespace: string },
  context: ActionContext,
  plan: (d: Deployment, extra: { replicaSets: ReplicaSet[]; pods: Pod[]; now: Date }) => Plan,
  options: { undo?: boolean } = {},
): WriteSpec<Deployment> {
  const { namespace, deployment: name } = request;
  // Only rollback and patch_image need the revision history; skip the extra reads otherwise.
  const needsHistory = request.action === 'rollback_deployment' || request.action === 'patch_image';
  let history: { replicaSets: ReplicaSet[]; pods: Pod[] } | undefined;
  const loadHistory = async (d: Deployment) => {
    if (!history) {
      const [replicaSets, pods] = await Promise.all([deps.cluster.listReplicaSets(namespace), deploymentPods(deps.cluster, d)]);
      history = { replicaSets, pods };
    }
    return history;
  };
  return {
    request,
    context,
    ...(options.undo ? { undo: true } : {}),
    target: { kind: 'Deployment', namespace, name },
    read: async () => {
      history = undefined;
      return deps.cluster.getDeployment(namespace, name);
    },
    facts: async (d) => {
      const containers: NonNullable<WorkloadFacts['current']>['containers'] = {};
      for (const c of d.spec?.template?.spec?.containers ?? []) if (c.name) containers[c.name] = containerImage(c);
      const facts: WorkloadFacts = {
        kind: 'Deployment',
        name,
        ...meta(d),
        current: { replicas: d.spec?.replicas ?? 1, containers },
      };
      if (needsHistory && !options.undo) {
        const { replicaSets } = await loadHistory(d);
        const revisions = rolloutHistory(d, replicaSets);
        const historyImages: Record<string, string[]> = {};
        for (const c of Object.keys(containers)) historyImages[c] = imagesSeenFor(revisions, c);
        facts.current = { ...facts.current, historyImages };
      }
      return facts;
    },
    plan: async (d) => {
      const extra = request.action === 'rollback_deployment' ? await loadHistory(d) : { replicaSets: [], pods: [] };
      return plan(d, { ...extra, now: deps.clock.now() });
    },
    write: (ops, dryRun) => deps.cluster.patchDeployment(namespace, name, ops, 'json', { dryRun, fieldManager: FIELD_MANAGER }),
    baseline: (d) => deploymentBaseline(deps.cluster, d, deps.clock.now()),
  };
}

export interface WriteSpec<T extends KubeObject> {
  request: ActionRequest;
  context: ActionContext;
  /** Restoring a pre-image (skips rate, trial, approval and step rules). */
  undo?: boolean;
  target: { kind: 'Deployment' | 'HorizontalPodAutoscaler'; namespace: string; name: string };
  read(): Promise<T>;
  facts(object: T): Promise<WorkloadFacts>;
  plan(object: T): Promise<Plan>;
  write(ops: JsonPatchOp[], dryRun: boolean): Promise<unknown>;
  baseline(object: T): Promise<Baseline>;
}

/** The common path of every patching action (and of undo). */
export async function writeObject<T extends KubeObject>(deps: ExecuteDeps, spec: WriteSpec<T>): Promise<ActionResult> {
  const { cluster, clock, logger, locks } = deps;
  const { target, context } = spec;
  const reportAs = spec.request.action;
  const now = clock.now();
  const base = {
    action: reportAs,
    target,
    at: now.toISOString(),
  } as const;
  const namespace = await cluster.getNamespace(target.namespace);

  for (let attempt = 1; ; attempt++) {
    const object = await spec.read();
    const facts = await spec.facts(object);
    // Lock, cooldown and hourly cap live on the workload the facts are about (an HPA's scale target).
    const key = workloadKey(cluster.clusterName, target.namespace, facts.kind, facts.name);
    const previous = lastActionOf(object.metadata?.annotations);
    if (previous?.actionId === context.actionId) {
      // Recorded again (idempotent per actionId): the first attempt may have written the object and then died
      // before recording, and the cooldown and hourly cap must still see the action.
      await locks.recordAction(key, context.actionId, now);
      return {
        ...base,
        applied: true,
        dryRun: false,
        noop: true,
        ...(previous.pre !== undefined ? { preImage: previous.pre } : {}),
        message: `already applied as ${context.actionId} at ${previous.at}; nothing written again`,
        details: { actionId: context.actionId, request: spec.request, alreadyAppliedAt: previous.at },
      };
    }

    const recentActions = await locks.actionsSince(key, new Date(now.getTime() - 3_600_000));
    const policyInput = {
      config: deps.policy,
      action: spec.request,
      clusterName: cluster.clusterName,
      namespace: { name: target.namespace, ...meta(namespace) },
      workload: facts,
      recentActions,
      actionId: context.actionId,
      ...(context.trial !== undefined ? { trial: context.trial } : {}),
      ...(spec.undo ? { undo: true } : {}),
      now,
    };
    let decision = evaluatePolicy(policyInput);
    let approval: GateOutcome['approval'];
    if (!decision.allowed && decision.rule === 'approval-required') {
      const refusal = decision;
      const planned = await spec.plan(object);
      const approvedDecision = evaluatePolicy({ ...policyInput, approved: true });
      // Nothing to change means nothing to approve.
      ({ decision, approval } = planned.done
        ? { decision: approvedDecision, approval: { waived: 'already in the desired state; nothing to approve' } }
        : approvalGate({
            refusal,
            approvedDecision,
            actionId: context.actionId,
            approvedDigest: context.approvedDigest,
            changeSet: () =>
              patchChangeSet({ cluster: cluster.clusterName, target, action: spec.request, object, ops: planned.ops, policyReason: refusal.message }),
          }));
    }
    if (!decision.allowed && decision.rule !== 'observe-mode') {
      logger.warn('policy refused action', { action: reportAs, rule: decision.rule, target });
      throw new PolicyViolation(decision.message, decision.rule);
    }

    const plan = await spec.plan(object);
    const details: Record<string, unknown> = {
      actionId: context.actionId,
      ...(context.requestedBy ? { requestedBy: context.requestedBy } : {}),
      request: spec.request,
      ...plan.details,
    };
    if (approval) details.approval = approval;
    if (!decision.allowed) {
      return { ...base, applied: false, dryRun: false, noop: plan.done, preImage: plan.preImage, message: bounded(`observe mode: would apply: ${plan.summary}; nothing written`), details };
    }
    const baseline = await spec.baseline(object);
    details.baseline = baseline;
    if (plan.done) {
      return {
        ...base,
        applied: !decision.dryRunOnly,
        dryRun: decision.dryRunOnly,
        noop: true,
        preImage: plan.preImage,
        message: bounded(`already in the desired state (${plan.summary}); nothing written`),
        details,
      };
    }

    const marker = markerFor(reportAs, context.actionId, now, plan.preImage, spec.undo, context.requestedBy);
    const ops = [...guardAndStamp(object, marker, { conditional: true }), ...plan.ops];
    try {
      await spec.write(ops, true);
      if (decision.dryRunOnly) {
        return { ...base, applied: false, dryRun: true, noop: false, preImage: plan.preImage, message: bounded(`dry run passed: would apply: ${plan.summary}`), details };
      }
      await spec.write(ops, false);
    } catch (error) {
      if (error instanceof KubeConflict && attempt < MAX_ATTEMPTS) {
        logger.info('conflict, re-reading', { target, attempt });
        continue;
      }
      throw error;
    }
    details.attempts = attempt;
    details.eventRecorded = await recordEvent(deps, { kind: target.kind, namespace: target.namespace, name: target.name, uid: object.metadata?.uid }, context, plan.summary);
    await locks.recordAction(key, context.actionId, now);
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

export const bounded = (text: string, max = 2000): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The marker carries a compact pre-image (never the whole template) so a retried step can still undo. */
export function markerFor(action: ActionName, actionId: string, at: Date, pre: PreImage | undefined, undo?: boolean, by?: string): LastAction {
  const compact = pre ? { ...pre } : undefined;
  if (compact) delete compact.template;
  return { action: undo ? `undo:${action}` : action, actionId, at: at.toISOString(), ...(by ? { by } : {}), ...(compact ? { pre: compact } : {}) };
}

/** The audit Event's name: derived from the action id, so a retry finds (and cannot duplicate) it. */
export function eventNameFor(objectName: string, actionId: string): string {
  return `${objectName.slice(0, 200)}.${createHash('sha256').update(actionId).digest('hex').slice(0, 16)}`;
}

/** A core/v1 Event on the object; failure to record it never undoes or fails the action. */
export async function recordEvent(
  deps: ExecuteDeps,
  object: { kind: string; namespace: string; name: string; uid?: string | undefined },
  context: ActionContext,
  summary: string,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.cluster.createEvent({
        metadata: { name: eventNameFor(object.name, context.actionId), namespace: object.namespace },
        involvedObject: { kind: object.kind, name: object.name, namespace: object.namespace, ...(object.uid ? { uid: object.uid } : {}) },
        reason: EVENT_REASON,
        type: 'Normal',
        message: bounded(`${summary}. Why: ${context.reason} (action ${context.actionId}${context.requestedBy ? `, requested by ${context.requestedBy}` : ''})`, 1000),
      });
      return true;
    } catch (error) {
      // A retried step (or a create whose answer was lost) finds its event already there (409): it is recorded.
      if (error instanceof KubeConflict) return true;
      // The name is the action's own, so creating again is safe: a transient failure must not lose the audit record.
      if (attempt < EVENT_ATTEMPTS && (error instanceof KubeThrottled || error instanceof KubeUnavailable || error instanceof KubeTimeout)) continue;
      deps.logger.warn('could not record the Kubernetes event', { error: (error as Error).message, object });
      return false;
    }
  }
}

/** Attempts at the audit Event (found by the chaos bench: one 500 or timeout on its create lost it). */
const EVENT_ATTEMPTS = 3;

/** The workload the lock is taken on: the top controller, where the cooldown and the hourly cap are recorded too. */
export async function lockTargetOf(cluster: Cluster, request: ActionRequest): Promise<{ kind: string; name: string } | undefined> {
  switch (request.action) {
    case 'escalate':
      return undefined;
    case 'restart_pod':
      return (await podWorkload(cluster, await cluster.getPod(request.namespace, request.pod))).lock;
    case 'patch_hpa':
      return (await hpaWorkload(cluster, await cluster.getHpa(request.namespace, request.hpa))).lock;
    default:
      return { kind: 'Deployment', name: request.deployment };
  }
}

export { PreImageSchema };
