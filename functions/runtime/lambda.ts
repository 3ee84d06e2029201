import type { AppDeps } from '../app/deps';
import type { FunctionRole } from '../config/env';
import { buildAwsDeps } from './aws-deps';

/**
 * Wraps an application step as a Lambda handler: dependencies are built once
 * per cold start; errors propagate with their `name` (Lambda's errorType), which
 * the state machine's Retry/Catch match.
 */
export function lambdaHandler<I, O>(role: FunctionRole, step: (deps: AppDeps, input: I) => Promise<O>): (event: I) => Promise<O> {
  let deps: AppDeps | undefined;
  return async (event: I) => {
    deps ??= buildAwsDeps(role, process.env);
    return step(deps, event);
  };
}
