import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Logger as LoggerPort } from '../ports/logger';

import { DEFAULT_METRICS_NAMESPACE, SERVICE_NAME } from '../config/telemetry';

export interface Powertools {
  readonly logger: Logger;
  readonly tracer: Tracer;
  readonly metrics: Metrics;
}

/**
 * The three Powertools utilities of one function, created once per cold start.
 * Service name, log level, namespace and tracing switch come from the standard
 * POWERTOOLS_* variables (the stack sets them; env.ts validates them).
 */
export function createPowertools(env: NodeJS.ProcessEnv = process.env): Powertools {
  const serviceName = env['POWERTOOLS_SERVICE_NAME'] || SERVICE_NAME;
  return {
    logger: new Logger({ serviceName }),
    tracer: new Tracer({ serviceName }),
    metrics: new Metrics({ serviceName, namespace: env['POWERTOOLS_METRICS_NAMESPACE'] || DEFAULT_METRICS_NAMESPACE }),
  };
}

let processPowertools: Powertools | undefined;
/** This process's Powertools (one function per process in Lambda), for a handler whose step builds SDK clients of its own to trace. */
export function functionPowertools(): Powertools {
  return (processPowertools ??= createPowertools());
}

/** Wraps an AWS SDK v3 client so each call is an X-Ray subsegment of the invocation (Powertools Tracer). */
export type TraceClient = <C extends Parameters<Tracer['captureAWSv3Client']>[0]>(client: C) => C;
export const traceClient =
  (tracer: Tracer): TraceClient =>
  (client) =>
    tracer.captureAWSv3Client(client);

/** The Logger port on a Powertools Logger (so steps log with the request id and incident keys). */
export function loggerPort(logger: Logger): LoggerPort {
  return {
    debug: (message, attributes) => logger.debug(message, attributes ?? {}),
    info: (message, attributes) => logger.info(message, attributes ?? {}),
    warn: (message, attributes) => logger.warn(message, attributes ?? {}),
    error: (message, attributes) => logger.error(message, attributes ?? {}),
  };
}
