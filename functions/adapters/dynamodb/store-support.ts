/**
 * What the three DynamoDB stores share: input/stored-item validation, error
 * translation, transactions, paginated queries and batched deletes.
 *
 * Throttling and transient errors are retried by the SDK (client.ts,
 * DYNAMO_RETRY); queries page with lib-dynamodb's paginator. Two loops stay
 * here because no SDK setting covers them: a transaction cancelled for
 * TransactionConflict (a client error to the SDK, but safe to repeat since
 * the whole transaction was rejected) and the UnprocessedItems a BatchWrite
 * hands back instead of failing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, paginateQuery, TransactWriteCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { describeZodIssue } from '../../domain/zod-issue';
import { MemoryError, MemoryThrottled, ReflexionError, ValidationError } from '../../domain/errors';
import { KEY } from './keys';

export type Item = Record<string, unknown>;

// Outcome markers only need to outlive Lambda/state-machine retries; a month is ample.
export const OUTCOME_MARKER_TTL_SECONDS = 30 * 86_400;
// Action records serve the cooldown and hourly cap (≤ 1 day by PolicyConfig); two days leaves slack.
export const ACTION_TTL_SECONDS = 2 * 86_400;
export const MAX_TRANSACTION_ATTEMPTS = 12;
export const LESSON_SAME_SIGNATURE_EPISODES = 50;
export const LESSON_SAME_KIND_EPISODES = 200;
export const MAX_LIST = 1000;
// Leaves room under DynamoDB's 400 KB item limit for the keys, lessons and features.
export const MAX_EPISODE_BYTES = 300_000;

export const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);

export const epochSeconds = (ms: number) => Math.ceil(ms / 1000);

/** Validates what a caller hands to memory; bad input is refused before anything is written. */
export function input<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const { field, message } = describeZodIssue(parsed.error);
    throw new ValidationError(`${what}: ${message}`, field);
  }
  return parsed.data;
}

/** Validates what comes back from the table; a bad item is reported with its key, never used. */
export function stored<T extends z.ZodType>(schema: T, value: unknown, item: Item, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new MemoryError(`stored ${what} ${keyText(item)} is invalid: ${describeZodIssue(parsed.error).message}`);
  }
  return parsed.data;
}
export const keyText = (item: Item) => `(pk=${JSON.stringify(item[KEY.pk])}, sk=${JSON.stringify(item[KEY.sk])})`;

export function parseJson(text: unknown, item: Item, attribute: string): unknown {
  if (typeof text !== 'string') throw new MemoryError(`stored item ${keyText(item)} is invalid: ${attribute}: missing or not a string`);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new MemoryError(`stored item ${keyText(item)} is invalid: ${attribute}: not JSON`, { cause: error });
  }
}

/** SDK errors → named errors: throttling is retryable (MemoryThrottled), the rest is MemoryError. */
export function translate(error: unknown, what: string): ReflexionError {
  if (error instanceof ReflexionError) return error;
  const e = error as { name?: string; message?: string; CancellationReasons?: { Code?: string }[] };
  const name = e.name ?? 'Error';
  const reasons = e.CancellationReasons?.map((r) => r.Code ?? 'None') ?? [];
  if (THROTTLING.has(name) || reasons.includes('ThrottlingError') || reasons.includes('ProvisionedThroughputExceeded')) {
    return new MemoryThrottled(`${what}: DynamoDB throttled the request (${name})`, { cause: error });
  }
  return new MemoryError(`${what}: ${name}: ${e.message ?? String(error)}`, { cause: error });
}

export async function attempt<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw translate(error, what);
  }
}

export const cancellationCodes = (error: unknown): string[] =>
  error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []).map((r) => r.Code ?? 'None') : [];

/**
 * Runs a transaction, retrying TransactionConflict (two executions touching
 * the same strategy at once) with jittered back-off. Returns 'duplicate' when
 * the condition on the first item (the idempotency marker) failed.
 */
export async function transact(
  client: DynamoDBDocumentClient,
  items: ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems'],
  what: string,
): Promise<'written' | 'duplicate'> {
  for (let tries = 1; ; tries += 1) {
    try {
      await client.send(new TransactWriteCommand({ TransactItems: items }));
      return 'written';
    } catch (error) {
      const codes = cancellationCodes(error);
      if (codes[0] === 'ConditionalCheckFailed') return 'duplicate';
      if (codes.includes('TransactionConflict') && tries < MAX_TRANSACTION_ATTEMPTS) {
        await sleep(Math.min(1000, 10 * 2 ** Math.min(tries, 6)) * (0.5 + Math.random()));
        continue;
      }
      if (codes.includes('TransactionConflict')) {
        throw new MemoryThrottled(`${what}: still conflicting after ${tries} attempts`, { cause: error });
      }
      throw translate(error, what);
    }
  }
}

export async function queryAll(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
  what: string,
  options: { maxItems?: number; maxEvaluated?: number } = {},
): Promise<Item[]> {
  const out: Item[] = [];
  let evaluated = 0;
  try {
    for await (const page of paginateQuery({ client }, input)) {
      out.push(...((page.Items ?? []) as Item[]));
      evaluated += page.ScannedCount ?? page.Count ?? 0;
      // Leaving the loop early stops the paginator: no further page is read.
      if (options.maxItems !== undefined && out.length >= options.maxItems) return out.slice(0, options.maxItems);
      if (options.maxEvaluated !== undefined && evaluated >= options.maxEvaluated) break;
    }
  } catch (error) {
    throw translate(error, what);
  }
  return out;
}

/** Deletes keys in batches of 25, retrying unprocessed ones; returns how many were deleted. */
export async function deleteAll(client: DynamoDBDocumentClient, table: string, keys: Item[], what: string): Promise<number> {
  for (let i = 0; i < keys.length; i += 25) {
    let pending: Item[] = keys.slice(i, i + 25).map((k) => ({ DeleteRequest: { Key: k } }));
    for (let tries = 1; pending.length > 0; tries += 1) {
      if (tries > 8) throw new MemoryThrottled(`${what}: ${pending.length} deletes left unprocessed`);
      const result = await attempt(what, () => client.send(new BatchWriteCommand({ RequestItems: { [table]: pending } })));
      pending = (result.UnprocessedItems?.[table] ?? []) as Item[];
      if (pending.length > 0) await sleep(25 * 2 ** tries);
    }
  }
  return keys.length;
}

export const keyOnly = (item: Item): Item => ({ [KEY.pk]: item[KEY.pk], [KEY.sk]: item[KEY.sk] });
