import { ActionRequestSchema, type ActionRequest, type ActionResult } from '../domain/actions';
import { KubeNotFound, ValidationError } from '../domain/errors';
import type { Cluster } from '../ports/cluster';
import { escalationResult } from './actions/escalate';
import { ContextSchema, type ActionContext, type ExecuteDeps } from './actions/context';
import { hpaWorkload, podWorkload } from './actions/controller';
import { deploymentExecutor, plannerFor } from './actions/deployment-executor';
import { hpaExecutor } from './actions/hpa-executor';
import { planPatchHpa } from './actions/patch-hpa';
import { refuseNamespaceEarly, runExecutor } from './actions/pipeline';
import { restartPodExecutor } from './actions/restart-pod';

export type { ActionContext, ExecuteDeps } from './actions/context';
export { eventNameFor } from './actions/audit';
export { PreImageSchema } from './actions/common';
export { deploymentPods } from './actions/deployment-executor';
export { refuseNamespaceEarly } from './actions/pipeline';

/**
 * Executes one catalogue action through the one write pipeline
 * (actions/pipeline.ts) with the action's executor: policy → server-side dry
 * run → pre-image → conditional write (restart_pod: a delete by UID) carrying
 * the last-action marker → Event → recorded in the lock store. Throws
 * PolicyViolation (nothing written) when refused; returns `noop: true`
 * without writing when this actionId already applied or the object is already
 * as wanted; writes nothing in observe mode and only the dry run in dry-run
 * mode.
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
  if (action.action === 'escalate') return escalationResult(action, deps.clock.now());
  refuseNamespaceEarly(deps, action.namespace);
  switch (action.action) {
    case 'restart_pod':
      return runExecutor(deps, restartPodExecutor(deps, action, ctx.data));
    case 'patch_hpa':
      return runExecutor(deps, hpaExecutor(deps, action, ctx.data, (hpa) => planPatchHpa(hpa, action)));
    default:
      return runExecutor(deps, deploymentExecutor(deps, action, ctx.data, plannerFor(action)));
  }
}

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

/**
 * The same workload for an incident's target (AcquireLock): a pod's top
 * controller, an HPA's scale target, anything else itself (no read: the
 * cluster is opened only for a Pod or an HPA). A pod or HPA already gone
 * keys on itself: there is nothing else left to key on.
 */
export async function lockTargetOfIncident(
  cluster: () => Promise<Cluster>,
  target: { kind: string; namespace: string; name: string },
): Promise<{ kind: string; name: string }> {
  const self = { kind: target.kind, name: target.name };
  try {
    if (target.kind === 'Pod') {
      const c = await cluster();
      return (await podWorkload(c, await c.getPod(target.namespace, target.name))).lock;
    }
    if (target.kind === 'HorizontalPodAutoscaler') {
      const c = await cluster();
      return (await hpaWorkload(c, await c.getHpa(target.namespace, target.name))).lock;
    }
  } catch (error) {
    if (error instanceof KubeNotFound) return self;
    throw error;
  }
  return self;
}
