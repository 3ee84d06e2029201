import type { ActionRequest } from '../../domain/actions';
import type { KubeObject } from '../../domain/k8s';
import type { WorkloadFacts } from '../../domain/policy';
import type { Baseline } from '../../domain/verify';
import { patchChangeSet } from '../approval-gate';
import { guardAndStamp, lastActionOf, type JsonPatchOp, type Plan } from './common';
import type { ActionContext, ExecuteDeps } from './context';
import type { Executor } from './pipeline';

/**
 * An executor whose write is a JSON patch of the object itself, conditional
 * on the version read (a 409 re-reads) and stamping the last-action marker in
 * the same write: every Deployment action, patch_hpa, and their undo.
 */
export function patchExecutor<T extends KubeObject>(
  deps: ExecuteDeps,
  spec: {
    request: ActionRequest;
    context: ActionContext;
    undo: boolean | undefined;
    target: { kind: 'Deployment' | 'HorizontalPodAutoscaler'; namespace: string; name: string };
    read(): Promise<T>;
    facts(object: T): Promise<WorkloadFacts>;
    plan(object: T): Promise<Plan>;
    baseline(object: T): Promise<Baseline>;
    patch(ops: JsonPatchOp[], dryRun: boolean): Promise<unknown>;
  },
): Executor<T> {
  const { request, context, target } = spec;
  return {
    request,
    context,
    ...(spec.undo ? { undo: true } : {}),
    target,
    retryOnConflict: true,
    read: async () => ({ object: await spec.read() }),
    facts: spec.facts,
    marker: (object) => lastActionOf(object.metadata?.annotations),
    plan: spec.plan,
    changeSet: async (object, plan, policyReason) =>
      patchChangeSet({ cluster: deps.cluster.clusterName, target, action: request, object, ops: (await plan()).ops, policyReason }),
    baseline: spec.baseline,
    write: async (object, plan, marker, dryRun) => {
      await spec.patch([...guardAndStamp(object, marker, { conditional: true }), ...plan.ops], dryRun);
      return 'written';
    },
    eventObject: (object) => ({ ...target, uid: object.metadata?.uid }),
  };
}
