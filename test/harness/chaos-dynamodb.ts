/**
 * DynamoDB throttling, injected where the real service would answer: inside
 * the SDK's retry loop, below the deserializer. A throttled request never
 * reaches DynamoDB; the SDK gets DynamoDB's own HTTP 400 answer
 * (`ProvisionedThroughputExceededException` on data-plane calls, or
 * `ThrottlingException`), deserializes it into the real exception class and
 * retries it as it would in AWS. What the SDK's retries do not absorb reaches
 * the application.
 *
 * Which attempt is throttled is a pure function of (seed, operation, how many
 * attempts of that operation came before), like the Kubernetes chaos proxy.
 */
import { Readable } from 'node:stream';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HttpResponse } from '@smithy/protocol-http';
import { checkShare, draw } from './chaos-proxy';

export const THROTTLE_ERRORS = {
  ProvisionedThroughputExceededException: {
    type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message:
      'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  },
  ThrottlingException: { type: 'com.amazon.coral.availability#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' },
} as const;
export type ThrottleError = keyof typeof THROTTLE_ERRORS;

export interface ThrottleLog {
  /** Attempts that reached the middleware (SDK retries included). */
  attempts: number;
  /** Attempts answered with a throttling error, by error name. */
  throttled: Record<ThrottleError, number>;
  /** By operation (e.g. PutItem): attempts and throttles. */
  byOperation: Record<string, { attempts: number; throttled: number }>;
}

/**
 * Adds the throttling middleware to a DynamoDB client (the document client
 * shares the base client's stack, so both are covered). Returns the running
 * log; the client is changed in place and returned for `createDynamoClients`'
 * `wrap` option.
 */
export function throttleDynamoDb<C extends DynamoDBClient>(client: C, options: { share: number; seed: number }): { client: C; log: ThrottleLog; off(): void } {
  let on = true;
  const share = checkShare(options.share);
  const log: ThrottleLog = { attempts: 0, throttled: { ProvisionedThroughputExceededException: 0, ThrottlingException: 0 }, byOperation: {} };
  const seen = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String((context as { commandName?: string }).commandName ?? 'Unknown').replace(/Command$/, '');
      const n = seen.get(operation) ?? 0;
      seen.set(operation, n + 1);
      log.attempts += 1;
      const op = (log.byOperation[operation] ??= { attempts: 0, throttled: 0 });
      op.attempts += 1;
      if (on && share > 0 && draw(options.seed, 'ddb', operation, n) < share) {
        // Data-plane calls mostly see ProvisionedThroughputExceeded; on-demand tables and the control plane say ThrottlingException.
        const name: ThrottleError = draw(options.seed, 'ddb-kind', operation, n) < 0.5 ? 'ProvisionedThroughputExceededException' : 'ThrottlingException';
        log.throttled[name] += 1;
        op.throttled += 1;
        const error = THROTTLE_ERRORS[name];
        const body = Buffer.from(JSON.stringify({ __type: error.type, message: error.message }));
        return {
          response: new HttpResponse({
            statusCode: 400,
            headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `chaos-${operation}-${n}`, 'content-length': String(body.length) },
            body: Readable.from([body]),
          }),
        };
      }
      return next(args);
    },
    // Below the deserializer (it turns this answer into the SDK's exception) and inside the retry loop.
    { step: 'deserialize', priority: 'low', name: 'chaosThrottle' },
  );
  return { client, log, off: () => void (on = false) };
}
