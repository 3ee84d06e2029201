import type { AppDeps } from '../app/deps';
import { localStateMachineDefinition } from '../../lib/local-definition';
import { LocalWorkflow, type LocalWorkflowOptions } from './runner';

// Kept apart from local-deps: synthesizing the definition loads aws-cdk-lib,
// which commands that never run the state machine (invoke) should not pay for.
/**
 * The CDK-synthesized state machine on the local interpreter, wired both ways:
 * its tasks run with `deps`, and `deps.workflow` starts executions on it (detect).
 */
export function localWorkflow(
  deps: AppDeps,
  options: Pick<LocalWorkflowOptions, 'advance' | 'stepOverrides' | 'onVisit'>,
): LocalWorkflow {
  const { definition, roleOfTask } = localStateMachineDefinition({ policy: deps.policy, clusterNames: [...deps.clusterNames] });
  const workflow = new LocalWorkflow({ ...options, definition, roleOfTask, deps });
  deps.workflow = workflow;
  deps.taskTokens = workflow;
  return workflow;
}
