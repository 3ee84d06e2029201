import { PolicyViolation, ValidationError } from '../../domain/errors';
import { executeAction } from '../execute-action';
import type { AppDeps } from '../deps';
import { policyForWrite } from '../policy-source';
import { boundedForState } from '../state-size';
import { checkState, clusterFor, parseState } from './state';

/**
 * Restart | Rollback | Scale | Patch: executes the decided action through the
 * policy-checked executor. A policy refusal is an outcome, not a crash: it is
 * recorded with its rule so Reflect can escalate with the proposed change.
 */
export async function remediateStep(deps: AppDeps, input: unknown): Promise<unknown> {
  const state = parseState(input, 'Remediate');
  const decision = state.decision;
  if (!decision) throw new ValidationError('Remediate: no decision in the workflow state', 'decision');
  const cluster = await clusterFor(deps, state.incident.cluster);
  const actionId = `${state.executionId}#${state.trial}`;
  const now = deps.clock.now().toISOString();
  try {
    const remediation = boundedForState(await executeAction(
      { cluster, policy: await policyForWrite(deps, state.mode), clock: deps.clock, logger: deps.logger, locks: deps.memory.locks },
      decision.action,
      { actionId, reason: decision.why, trial: state.trial },
    ));
    deps.logger.info('remediation', { action: remediation.action, applied: remediation.applied, noop: remediation.noop, dryRun: remediation.dryRun });
    return checkState({ ...state, remediation, verification: undefined }, 'Remediate');
  } catch (error) {
    if (!(error instanceof PolicyViolation)) throw error;
    deps.logger.warn('policy refused the action', { rule: error.rule, action: decision.action.action });
    return checkState(
      {
        ...state,
        remediation: {
          action: decision.action.action,
          target: { kind: state.incident.target.kind, namespace: state.incident.namespace, name: state.incident.target.name },
          applied: false,
          dryRun: false,
          noop: false,
          message: error.message.slice(0, 2000),
          details: { refused: error.rule },
          at: now,
        },
        verification: undefined,
      },
      'Remediate',
    );
  }
}
