import type { ActionRequest } from '../../domain/actions';
import { ValidationError } from '../../domain/errors';
import type { Deployment, Pod, ReplicaSet } from '../../domain/k8s';
import type { Clock } from '../../ports/clock';
import type { Cluster } from '../../ports/cluster';
import { ActionNotApplicable, TargetNotFound } from './common';
import { deploymentPods, plannerFor, type DeploymentAction } from './deployment-executor';
import { knownFailing, type KnownFailing, type KnownFailingDeps } from './known-failing';

export interface DryPlanDeps extends KnownFailingDeps {
  cluster: Cluster;
  clock: Clock;
}

/** Why the action cannot apply to the workload now, or undefined when it can. */
export type WhyNotApplicable = (request: ActionRequest) => Promise<string | undefined>;

const DEPLOYMENT_ACTIONS: ReadonlySet<string> = new Set(['scale_deployment', 'patch_image', 'patch_resources', 'patch_probe', 'rollout_restart', 'rollback_deployment']);

/**
 * Plans an action without writing: the executor's own planner on the objects
 * it would read (the Deployment as given; a rollback also reads its
 * ReplicaSets, pods and what is known failing, once per Deployment). An action
 * that cannot apply (no revision to roll back to, a container or probe the
 * workload lacks) or that would change nothing is no candidate for a trial;
 * the answer says why. Policy (rates, approval, mode) is not judged here: the
 * write path judges it at the write. Actions on other kinds, and a Deployment
 * that could not be read, are left to the write path (undefined).
 */
export function dryPlanner(deps: DryPlanDeps, deployment: Deployment | undefined): WhyNotApplicable {
  let history: Promise<{ replicaSets: ReplicaSet[]; pods: Pod[]; known: KnownFailing }> | undefined;
  const loadHistory = (d: Deployment) =>
    (history ??= (async () => {
      const [replicaSets, pods] = await Promise.all([deps.cluster.listReplicaSets(d.metadata?.namespace ?? ''), deploymentPods(deps.cluster, d)]);
      return { replicaSets, pods, known: await knownFailing(deps, d, replicaSets, pods) };
    })());
  return async (request) => {
    if (!deployment || !DEPLOYMENT_ACTIONS.has(request.action)) return undefined;
    const action = request as DeploymentAction;
    if (action.namespace !== deployment.metadata?.namespace || action.deployment !== deployment.metadata?.name) return undefined;
    const extra = action.action === 'rollback_deployment' ? await loadHistory(deployment) : { replicaSets: [], pods: [] };
    try {
      const plan = plannerFor(action)(deployment, { ...extra, now: deps.clock.now() });
      return plan.done ? `it would change nothing: ${plan.summary}` : undefined;
    } catch (error) {
      if (error instanceof ActionNotApplicable || error instanceof TargetNotFound || error instanceof ValidationError) return error.message;
      throw error;
    }
  };
}
