import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { DynamoIdempotencyStore } from '../adapters/dynamodb/idempotency-store';
import type { AppDeps } from '../app/deps';
import type { FunctionRole } from '../config/env';
import { buildAwsDeps } from './aws-deps';
import { appendIncidentKeys, dependencies, errorContract } from './middleware';
import { createPowertools } from './powertools';
import { stepMetrics } from './step-metrics';

/**
 * Wraps an application step as a Lambda handler: the one middy pipeline every
 * function goes through, in this order —
 * 1. dependencies (env validated, adapters built once per cold start),
 * 2. Logger: Lambda context (request id, cold start) + the incident's keys,
 * 3. Tracer: the handler as a subsegment (SDK clients are traced in aws-deps),
 * 4. Metrics: EMF, flushed after each invocation, with the step's own metrics,
 * 5. the error contract (name kept for the state machine's Retry/Catch).
 * After/onError middlewares run in reverse order, so the error is logged and
 * the metrics are flushed before the error leaves.
 */
/** The Powertools idempotency store, when this function's memory has one (the DynamoDB memory does). */
const idempotencyOf = (deps: AppDeps | undefined): Partial<DynamoIdempotencyStore> | undefined =>
  deps?.memory.idempotency as Partial<DynamoIdempotencyStore> | undefined;

/** `powertools`: pass the function's own when the step builds SDK clients of its own to trace (notify, alerts). */
export function lambdaHandler<I, O>(role: FunctionRole, step: (deps: AppDeps, input: I) => Promise<O>, powertools = createPowertools()) {
  const { logger, tracer, metrics } = powertools;
  let deps: AppDeps | undefined;
  return middy<I, O, Error, Context>()
    .use(dependencies(() => buildAwsDeps(role, process.env, powertools), (built) => (deps = built)))
    .use({ before: (request) => idempotencyOf(deps)?.registerLambdaContext?.(request.context) })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(appendIncidentKeys(logger))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(stepMetrics(role, metrics))
    .use(errorContract(logger))
    .handler((event) => step(deps!, event));
}
