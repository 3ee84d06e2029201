import { ValidationError } from '../../domain/errors';
import { verifyWorkload } from '../verify-workload';
import type { AppDeps } from '../deps';
import { checkState, clusterFor, parseState } from './state';

/** Verify: healthy only after a stability window; converging loops through WaitForConvergence until the deadline. */
export async function verifyStep(deps: AppDeps, input: unknown): Promise<unknown> {
  const state = parseState(input, 'Verify');
  if (!state.remediation) throw new ValidationError('Verify: nothing was remediated', 'remediation');
  const cluster = await clusterFor(deps, state.incident.cluster);
  const verification = await verifyWorkload(
    { cluster, clock: deps.clock, policy: deps.policy },
    {
      incident: state.incident,
      remediation: state.remediation,
      ...(state.verification ? { previous: state.verification } : {}),
    },
  );
  deps.logger.info('verified', { status: verification.status, worse: verification.worse, checks: verification.checks });
  return checkState({ ...state, verification }, 'Verify');
}
