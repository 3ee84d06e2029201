import { ActionRequestSchema, ActionResultSchema, type ActionRequest, type ActionResult } from '../domain/actions';
import { ValidationError } from '../domain/errors';
import type { Deployment, HorizontalPodAutoscaler, ReplicaSet } from '../domain/k8s';
import { currentReplicaSetOf, replicaSetsOf, revisionOf } from '../domain/workload';
import {
  ActionNotApplicable,
  containerIndex,
  deploymentPreImage,
  jsonEqual,
  PreImageSchema,
  setContainerField,
  type Plan,
  type PreImage,
} from './actions/common';
import { hpaPreImage } from './actions/patch-hpa';
import { PROBE_FIELD } from './actions/patch-probe';
import { templateForDeployment } from './actions/rollback-deployment';
import type { ActionContext, ExecuteDeps } from './actions/context';
import { deploymentExecutor } from './actions/deployment-executor';
import { hpaExecutor } from './actions/hpa-executor';
import { refuseNamespaceEarly, runExecutor } from './actions/pipeline';

/**
 * Restores the recorded pre-image of an applied action, through the same
 * path as any write (scope policy, dry run, conditional write, marker, Event,
 * recorded). Undo of a rollback rolls forward to the template it replaced.
 * Restarts need no undo. Idempotent: a repeat with the same actionId, or an
 * object already back to its pre-image, writes nothing.
 */
export async function undoAction(deps: ExecuteDeps, result: ActionResult, context: ActionContext): Promise<ActionResult> {
  const parsed = ActionResultSchema.safeParse(result);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(`result.${issue?.path.join('.')}: ${issue?.message}`, `result.${issue?.path.join('.')}`);
  }
  const done = parsed.data;
  const now = deps.clock.now();
  const nothing = (why: string): ActionResult => ({
    action: done.action,
    target: done.target,
    applied: false,
    dryRun: false,
    noop: true,
    message: why,
    details: { actionId: context.actionId, undoOf: done.details['actionId'] },
    at: now.toISOString(),
  });
  if (done.action === 'escalate' || done.action === 'restart_pod' || done.action === 'rollout_restart') {
    return nothing(`${done.action} needs no undo: it changed no desired state worth restoring`);
  }
  if (!done.applied || (done.noop && done.preImage === undefined)) return nothing('nothing was applied, so there is nothing to undo');
  const pre = PreImageSchema.safeParse(done.preImage);
  if (!pre.success) throw new ValidationError(`result.preImage: ${pre.error.issues[0]?.message ?? 'missing'}; cannot undo`, 'result.preImage');
  const request = ActionRequestSchema.safeParse(done.details['request']);
  if (!request.success) throw new ValidationError('result.details.request: the original request is missing; cannot undo', 'result.details.request');
  const original = request.data;
  if (original.action !== 'escalate') refuseNamespaceEarly(deps, original.namespace);

  if (original.action === 'patch_hpa') {
    return runExecutor(deps, hpaExecutor(deps, original, context, (hpa) => restoreHpa(hpa, pre.data), { undo: true }));
  }
  if (!('deployment' in original)) throw new ValidationError(`result.action: ${original.action} cannot be undone`, 'result.action');
  let replicaSets: ReplicaSet[] | undefined;
  const executor = deploymentExecutor(deps, original, context, (d) => restoreDeployment(d, original, pre.data, replicaSets ?? []), { undo: true });
  const read = executor.read;
  return runExecutor(deps, {
    ...executor,
    read: async () => {
      const answer = await read();
      // A rollback's undo needs the ReplicaSets: the revision it leaves is recorded as failing, and a
      // pre-image that lost its template (compact marker) is found by its revision.
      if (original.action === 'rollback_deployment') replicaSets = await deps.cluster.listReplicaSets(original.namespace);
      return answer;
    },
  });
}

function restoreHpa(hpa: HorizontalPodAutoscaler, pre: PreImage): Plan {
  if (pre.hpaMaxReplicas === undefined) throw new ValidationError('result.preImage.hpaMaxReplicas: missing; cannot undo', 'result.preImage.hpaMaxReplicas');
  return {
    done: hpa.spec?.maxReplicas === pre.hpaMaxReplicas,
    ops: [{ op: 'add', path: '/spec/maxReplicas', value: pre.hpaMaxReplicas }],
    preImage: hpaPreImage(hpa),
    summary: `undo: restored maxReplicas of HPA ${pre.namespace}/${pre.name} to ${pre.hpaMaxReplicas}`,
  };
}

function restoreDeployment(d: Deployment, original: ActionRequest, pre: PreImage, replicaSets: ReplicaSet[]): Plan {
  const where = `deployment ${pre.namespace}/${pre.name}`;
  switch (original.action) {
    case 'scale_deployment': {
      const wanted = pre.replicas ?? 1;
      return {
        done: (d.spec?.replicas ?? 1) === wanted,
        ops: [{ op: 'add', path: '/spec/replicas', value: wanted }],
        preImage: deploymentPreImage(d),
        summary: `undo: restored ${where} to ${wanted} replicas`,
      };
    }
    case 'patch_image':
    case 'patch_resources':
    case 'patch_probe': {
      const field = original.action === 'patch_image' ? 'image' : original.action === 'patch_resources' ? 'resources' : PROBE_FIELD[original.probe];
      const index = containerIndex(d, original.container);
      const before = pre.containers?.find((c) => c.name === original.container);
      if (!before) throw new ValidationError(`result.preImage.containers: no entry for container '${original.container}'; cannot undo`, 'result.preImage.containers');
      const current = d.spec?.template?.spec?.containers?.[index]?.[field];
      const wanted = before[field];
      return {
        done: jsonEqual(current, wanted),
        ops: setContainerField(index, field, current, wanted),
        preImage: deploymentPreImage(d),
        summary: `undo: restored ${field} of container ${original.container} in ${where}`,
      };
    }
    case 'rollback_deployment': {
      let template = pre.template;
      if (!template) {
        const rs = replicaSetsOf(d, replicaSets).find((r) => revisionOf(r) === pre.revision);
        if (!rs) throw new ActionNotApplicable(`${where}: revision ${pre.revision ?? '?'} to roll forward to no longer exists`, 'result.preImage.revision');
        template = templateForDeployment(rs);
      }
      // The rollback's target is what its undo leaves: its verification failed (or an operator undid it).
      const left = currentReplicaSetOf(d, replicaSets);
      const leftRevision = left ? revisionOf(left) : undefined;
      const leftName = left?.metadata?.name;
      return {
        done: jsonEqual(d.spec?.template, template),
        ops: [{ op: 'replace', path: '/spec/template', value: template }],
        preImage: deploymentPreImage(d, { template: true }),
        ...(leftName && leftRevision !== undefined ? { leftFailing: { replicaSet: leftName, revision: leftRevision } } : {}),
        summary: `undo: rolled ${where} forward to the template of revision ${pre.revision ?? '?'} that the rollback replaced`,
      };
    }
    default:
      throw new ValidationError(`result.action: ${original.action} cannot be undone`, 'result.action');
  }
}
