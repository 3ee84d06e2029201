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
import { knownFailing, type KnownFailing } from './known-failing';
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
  // Read once per read of the Deployment (a conflict re-reads all of it).
  let history: { replicaSets: ReplicaSet[]; pods: Pod[]; known?: KnownFailing } | undefined;
  const loadHistory = async (d: Deployment) => {
    if (!history) {
      const [replicaSets, pods] = await Promise.all([deps.cluster.listReplicaSets(namespace), deploymentPods(deps.cluster, d)]);
      history = { replicaSets, pods };
    }
    return history;
  };
  return patchExecutor<Deployment>(deps, {
    request,
    context,
    undo: options.undo,
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
        ...(d.metadata?.labels ? { labels: d.metadata.labels } : {}),
        ...(d.metadata?.annotations ? { annotations: d.metadata.annotations } : {}),
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
      if (request.action !== 'rollback_deployment') return plan(d, { replicaSets: [], pods: [], now: deps.clock.now() });
      const loaded = await loadHistory(d);
      // A rollback's undo restores a recorded pre-image: no target to choose, so nothing to exclude.
      if (!options.undo) loaded.known ??= await knownFailing(deps, d, loaded.replicaSets, loaded.pods);
      return plan(d, { ...loaded, now: deps.clock.now() });
    },
    baseline: (d) => deploymentBaseline(deps.cluster, d, deps.clock.now()),
    patch: (ops, dryRun) => deps.cluster.patchDeployment(namespace, name, ops, 'json', { dryRun, fieldManager: FIELD_MANAGER }),
  });
}
