import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { ReflexionError } from '../domain/errors';

/**
 * The project's own middy middlewares; Powertools provides the others
 * (functions/runtime/lambda.ts puts them in order).
 */

/**
 * First in the chain: builds the role's dependencies once per cold start,
 * which validates the environment (a bad variable fails the first invocation
 * with a ValidationError naming it, before anything else runs).
 */
export function dependencies<D>(build: () => D, onBuilt: (deps: D) => void): MiddlewareObj<unknown, unknown, Error, Context> {
  let built = false;
  return {
    before: () => {
      if (built) return;
      onBuilt(build());
      built = true;
    },
  };
}

const MAX_KEY_LENGTH = 200;
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v.slice(0, MAX_KEY_LENGTH) : undefined);
const record = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/**
 * The incident a task works on, as log keys: executionId, fingerprint,
 * cluster and trial from a workflow state, or the cluster of an action API
 * payload (the lock task's `{op, state}` is unwrapped). Read defensively (the input is validated later, by the step);
 * anything absent is left out.
 */
export function incidentKeys(event: unknown): Record<string, string | number> {
  const outer = record(event);
  // The lock task wraps the state: {op, state}.
  const e = outer['state'] && typeof outer['state'] === 'object' ? record(outer['state']) : outer;
  const incident = record(e['incident']);
  const keys: Record<string, string | number> = {};
  const executionId = text(e['executionId']);
  const fingerprint = text(incident['fingerprint']);
  const cluster = text(incident['cluster']) ?? text(outer['cluster_name']);
  if (executionId) keys['executionId'] = executionId;
  if (fingerprint) keys['fingerprint'] = fingerprint;
  if (cluster) keys['cluster'] = cluster;
  if (typeof e['trial'] === 'number' && Number.isInteger(e['trial'])) keys['trial'] = e['trial'];
  return keys;
}

/** After injectLambdaContext: every line of this invocation carries the incident's keys (reset at its end). */
export function appendIncidentKeys(logger: Logger): MiddlewareObj<unknown, unknown, Error, Context> {
  return {
    before: (request) => {
      logger.appendKeys(incidentKeys(request.event));
    },
  };
}

/**
 * The one error middleware. The state machine's Retry/Catch match the error
 * `name` (Lambda's errorType), so the error leaves the handler with its name
 * unchanged; a thrown non-Error becomes an Error named `UnexpectedError`. It is
 * logged once, with the fields an operator needs and without the payload.
 */
export function errorContract(logger: Logger): MiddlewareObj<unknown, unknown, Error, Context> {
  return {
    onError: (request) => {
      const raw: unknown = request.error;
      const error = raw instanceof Error ? raw : Object.assign(new Error(String(raw)), { name: 'UnexpectedError' });
      const named = error instanceof ReflexionError;
      logger.error('handler failed', {
        errorName: error.name,
        errorMessage: error.message,
        retryable: named ? error.retryable : undefined,
        field: 'field' in error ? (error as { field?: unknown }).field : undefined,
        rule: 'rule' in error ? (error as { rule?: unknown }).rule : undefined,
        stack: error.stack,
      });
      request.error = error;
      // No response: middy rethrows request.error, name intact.
    },
  };
}
