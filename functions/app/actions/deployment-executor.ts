import type { ActionRequest } from '../../domain/actions';
import type { Deployment, Pod, ReplicaSet } from '../../domain/k8s';
import type { WorkloadFacts } from '../../domain/policy';
import { baselineOf, observeDeployment, type Baseline } from '../../domain/verify';
import { imagesSeenFor, rolloutHistory, selectorOf } from '../../domain/workload';
import type { Cluster } from '../../ports/cluster';
import { containerImage, FIELD_MANAGER, type Plan } from './common';
import type { ActionContext, ExecuteDeps } from './context';
import type { Executor } from './pipeline';
import { patchExecutor } from './patch-executor';
import { planPatchImage } from './patch-image';
import { planPatchProbe } from './patch-probe';
import { planPatchResources } from './patch-resources';
import { knownFailing, type KnownFailing, type KnownFailingDeps } from './known-failing';
import { planRollbackDeployment } from './rollback-deployment';
import { planRolloutRestart } from './rollout-restart';
import { planScaleDeployment } from './scale-deployment';

export type DeploymentAction = Exclude<ActionRequest, { action: 'escalate' | 'restart_pod' | 'patch_hpa' }>;
export type DeploymentPlanner = (d: Deployment, extra: { replicaSets: ReplicaSet[]; pods: Pod[]; known?: KnownFailing; now: Date }) => Plan;

export function plannerFor(action: DeploymentAction): DeploymentPlanner {
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

export async function deploymentPods(cluster: Cluster, deployment: Deployment): Promise<Pod[]> {
  const selector = selectorOf(deployment);
  // Without a selector we cannot tell its pods from others: report none rather than guess.
  return selector ? cluster.listPods(deployment.metadata?.namespace ?? '', selector) : [];
}

export async function deploymentBaseline(cluster: Cluster, deployment: Deployment, now: Date): Promise<Baseline> {
  const pods = await deploymentPods(cluster, deployment);
  return baselineOf(observeDeployment(deployment, pods), now, deployment.spec?.replicas ?? 1);
}

/** What a Deployment's planner gets besides the Deployment. */
export type PlannerInput = Parameters<DeploymentPlanner>[1];

/**
 * A Deployment's history, read once per read of the Deployment (a new object,
 * e.g. after a conflict, is read again): its ReplicaSets and pods, and for a
 * rollback what is known failing. The executor's `facts` and `plan` read
 * through it, and so does SelectStrategy's dry plan (actions/dry-plan.ts).
 */
export function deploymentHistory(deps: KnownFailingDeps & { cluster: Cluster }) {
  let cached: { of: Deployment; value: Promise<{ replicaSets: ReplicaSet[]; pods: Pod[] }> } | undefined;
  let known: { of: Deployment; value: Promise<KnownFailing> } | undefined;
  const load = (d: Deployment) => {
    if (cached?.of !== d) {
      const value = Promise.all([deps.cluster.listReplicaSets(d.metadata?.namespace ?? ''), deploymentPods(deps.cluster, d)]).then(([replicaSets, pods]) => ({ replicaSets, pods }));
      cached = { of: d, value };
    }
    return cached.value;
  };
  return {
    load,
    /** The planner's input: only a rollback reads anything; its undo restores a recorded pre-image, so nothing is excluded. */
    async plannerInput(action: ActionRequest['action'], d: Deployment, now: Date, undo = false): Promise<PlannerInput> {
      if (action !== 'rollback_deployment') return { replicaSets: [], pods: [], now };
      const { replicaSets, pods } = await load(d);
      if (undo) return { replicaSets, pods, now };
      if (known?.of !== d) known = { of: d, value: knownFailing(deps, d, replicaSets, pods) };
      return { replicaSets, pods, known: await known.value, now };
    },
  };
}

/** The executor of every Deployment patch (and of their undo): a conditional JSON patch carrying the marker. */
export function deploymentExecutor(
  deps: ExecuteDeps,
  request: ActionRequest & { deployment: string; namespace: string },
  context: ActionContext,
  plan: DeploymentPlanner,
  options: { undo?: boolean } = {},
): Executor<Deployment> {
  const { namespace, deployment: name } = request;
  // Only rollback and patch_image need the revision history; skip the extra reads otherwise.
  const needsHistory = request.action === 'rollback_deployment' || request.action === 'patch_image';
  const history = deploymentHistory(deps);
  return patchExecutor<Deployment>(deps, {
    request,
    context,
    undo: options.undo,
    target: { kind: 'Deployment', namespace, name },
    read: () => deps.cluster.getDeployment(namespace, name),
    facts: async (d) => {
      const containers: NonNullable<WorkloadFacts['current']>['containers'] = {};
      for (const c of d.spec?.template?.spec?.containers ?? []) if (c.name) containers[c.name] = containerImage(c);
      const facts: WorkloadFacts = {
        kind: 'Deployment',
        name,
        ...(d.metadata?.labels ? { labels: d.metadata.labels } : {}),
        ...(d.metadata?.annotations ? { annotations: d.metadata.annotations } : {}),
        current: { replicas: d.spec?.replicas ?? 1, containers },
      };
      if (needsHistory && !options.undo) {
        const { replicaSets } = await history.load(d);
        const revisions = rolloutHistory(d, replicaSets);
        const historyImages: Record<string, string[]> = {};
        for (const c of Object.keys(containers)) historyImages[c] = imagesSeenFor(revisions, c);
        facts.current = { ...facts.current, historyImages };
      }
      return facts;
    },
    plan: async (d) => plan(d, await history.plannerInput(request.action, d, deps.clock.now(), options.undo)),
    baseline: (d) => deploymentBaseline(deps.cluster, d, deps.clock.now()),
    patch: (ops, dryRun) => deps.cluster.patchDeployment(namespace, name, ops, 'json', { dryRun, fieldManager: FIELD_MANAGER }),
  });
}
