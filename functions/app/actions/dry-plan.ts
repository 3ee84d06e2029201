import type { ActionRequest } from '../../domain/actions';
import { ValidationError } from '../../domain/errors';
import type { Deployment } from '../../domain/k8s';
import type { Clock } from '../../ports/clock';
import type { Cluster } from '../../ports/cluster';
import { ActionNotApplicable, TargetNotFound } from './common';
import { deploymentHistory, plannerFor, type DeploymentAction } from './deployment-executor';
import type { KnownFailingDeps } from './known-failing';

export interface DryPlanDeps extends KnownFailingDeps {
  cluster: Cluster;
  clock: Clock;
}

/** Why the action cannot apply to the workload now, or undefined when it can. */
export type WhyNotApplicable = (request: ActionRequest) => Promise<string | undefined>;

const DEPLOYMENT_ACTIONS: ReadonlySet<string> = new Set(['scale_deployment', 'patch_image', 'patch_resources', 'patch_probe', 'rollout_restart', 'rollback_deployment']);

/**
 * Plans an action without writing: the executor's own planner on what the
 * executor would read (deploymentHistory: for a rollback, the ReplicaSets,
 * pods and what is known failing, once for all candidates). An action that
 * cannot apply (no revision to roll back to, a container or probe the
 * workload lacks) or that would change nothing is no candidate for a trial;
 * the answer says why. Policy (rates, approval, mode) is not judged here: the
 * write path judges it at the write. Actions on other kinds, and a Deployment
 * that could not be read, are left to the write path (undefined).
 */
export function dryPlanner(deps: DryPlanDeps, deployment: Deployment | undefined): WhyNotApplicable {
  const history = deploymentHistory(deps);
  return async (request) => {
    if (!deployment || !DEPLOYMENT_ACTIONS.has(request.action)) return undefined;
    const action = request as DeploymentAction;
    if (action.namespace !== deployment.metadata?.namespace || action.deployment !== deployment.metadata?.name) return undefined;
    try {
      const plan = plannerFor(action)(deployment, await history.plannerInput(action.action, deployment, deps.clock.now()));
      return plan.done ? `it would change nothing: ${plan.summary}` : undefined;
    } catch (error) {
      if (error instanceof ActionNotApplicable || error instanceof TargetNotFound || error instanceof ValidationError) return error.message;
      throw error;
    }
  };
}
