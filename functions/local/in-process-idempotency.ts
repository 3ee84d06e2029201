import { IdempotencyConflict } from '../domain/errors';
import { requestHash } from '../domain/request-hash';
import type { IdempotencyStore } from '../ports/memory';

/**
 * The IdempotencyStore for a process without DynamoDB (`invoke` with no
 * endpoint): the same contract as the Powertools store
 * (functions/adapters/dynamodb/idempotency-store.ts), kept in memory for the
 * life of the process. A failed request forgets its key, as Powertools does.
 */
export function inProcessIdempotency(): IdempotencyStore {
  const records = new Map<string, { hash: string; answer?: Promise<unknown> }>();
  return {
    async once<T>(key: string, request: Record<string, unknown>, work: () => Promise<T>): Promise<T> {
      const hash = requestHash(request);
      const found = records.get(key);
      if (found && found.hash !== hash) {
        throw new IdempotencyConflict(`idempotency_key '${key}' was already used for a different request; use a new key`, 'different-request');
      }
      if (found?.answer) return found.answer as Promise<T>;
      const answer = work();
      records.set(key, { hash, answer });
      answer.catch(() => records.delete(key));
      return answer;
    },
  };
}
