import type { ActionRequest } from '../../domain/actions';
import { KubeNotFound } from '../../domain/errors';
import type { HorizontalPodAutoscaler } from '../../domain/k8s';
import type { Baseline } from '../../domain/verify';
import { FIELD_MANAGER, type Plan } from './common';
import type { ActionContext, ExecuteDeps } from './context';
import { hpaWorkload } from './controller';
import { deploymentBaseline } from './deployment-executor';
import type { Executor } from './pipeline';
import { patchExecutor } from './patch-executor';

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

/** patch_hpa (and its undo): a conditional JSON patch of the HPA; facts and lock are its scale target's. */
export function hpaExecutor(
  deps: ExecuteDeps,
  request: Extract<ActionRequest, { action: 'patch_hpa' }>,
  context: ActionContext,
  plan: (hpa: HorizontalPodAutoscaler) => Plan,
  options: { undo?: boolean } = {},
): Executor<HorizontalPodAutoscaler> {
  return patchExecutor<HorizontalPodAutoscaler>(deps, {
    request,
    context,
    undo: options.undo,
    target: { kind: 'HorizontalPodAutoscaler', namespace: request.namespace, name: request.hpa },
    read: () => deps.cluster.getHpa(request.namespace, request.hpa),
    facts: async (hpa) => (await hpaWorkload(deps.cluster, hpa)).facts,
    plan: async (hpa) => plan(hpa),
    // Undo's baseline is not compared against: the HPA alone is enough there.
    baseline: (hpa) =>
      options.undo ? Promise.resolve({ kind: 'HorizontalPodAutoscaler', restarts: {}, failures: [], capturedAt: deps.clock.now().toISOString() }) : hpaBaseline(deps, hpa),
    patch: (ops, dryRun) => deps.cluster.patchHpa(request.namespace, request.hpa, ops, 'json', { dryRun, fieldManager: FIELD_MANAGER }),
  });
}
