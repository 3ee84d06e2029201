import { ConditionalCheckFailedException, TransactionCanceledException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { MemoryError, MemoryThrottled, ReflexionError, ValidationError } from '../../domain/errors';
import { incidentFeatures, rankLessons, type LessonCandidate } from '../../domain/lessons';
import { EpisodeSchema, LessonSchema, StrategySchema, type Episode, type Lesson, type Strategy } from '../../domain/model';
import { OutcomeSchema } from '../../domain/model';
import { systemClock, type Clock } from '../../ports/clock';
import type { EpisodeFilter, EpisodeStore, LockStore, Memory, StrategyStore } from '../../ports/memory';
import { createApprovalStore } from './approvals';
import { createIdempotencyStore, type DynamoIdempotencyStore } from './idempotency-store';
import { EPISODE_BY_KIND, EPISODE_BY_NAMESPACE, KEY, STRATEGY_BY_NAMESPACE, memoryKeys, type MemoryKeys } from './keys';

export interface DynamoMemoryOptions {
  client: DynamoDBDocumentClient;
  tables: { episodes: string; strategies: string; locks: string };
  /** Memory namespace (a-z0-9-, ≤ 40): every key starts with it. */
  namespace: string;
  /** Drives marker expiry and lesson recency; the simulator passes its virtual clock. */
  clock?: Clock;
}

type Item = Record<string, unknown>;

// Outcome markers only need to outlive Lambda/state-machine retries; a month is ample.
const OUTCOME_MARKER_TTL_SECONDS = 30 * 86_400;
// Action records serve the cooldown and hourly cap (≤ 1 day by PolicyConfig); two days leaves slack.
const ACTION_TTL_SECONDS = 2 * 86_400;
const MAX_TRANSACTION_ATTEMPTS = 12;
const LESSON_SAME_SIGNATURE_EPISODES = 50;
const LESSON_SAME_KIND_EPISODES = 200;
const MAX_LIST = 1000;
// Leaves room under DynamoDB's 400 KB item limit for the keys, lessons and features.
const MAX_EPISODE_BYTES = 300_000;

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const epochSeconds = (ms: number) => Math.ceil(ms / 1000);

function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
  return `${field}: ${issue?.message ?? 'invalid'}`;
}
function fieldOf(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
}

/** Validates what a caller hands to memory; bad input is refused before anything is written. */
function input<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(`${what}: ${describe(parsed.error)}`, fieldOf(parsed.error));
  return parsed.data;
}

/** Validates what comes back from the table; a bad item is reported with its key, never used. */
function stored<T extends z.ZodType>(schema: T, value: unknown, item: Item, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new MemoryError(`stored ${what} ${keyText(item)} is invalid: ${describe(parsed.error)}`);
  }
  return parsed.data;
}
const keyText = (item: Item) => `(pk=${JSON.stringify(item[KEY.pk])}, sk=${JSON.stringify(item[KEY.sk])})`;

function parseJson(text: unknown, item: Item, attribute: string): unknown {
  if (typeof text !== 'string') throw new MemoryError(`stored item ${keyText(item)} is invalid: ${attribute}: missing or not a string`);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new MemoryError(`stored item ${keyText(item)} is invalid: ${attribute}: not JSON`, { cause: error });
  }
}

/** SDK errors → named errors: throttling is retryable (MemoryThrottled), the rest is MemoryError. */
function translate(error: unknown, what: string): ReflexionError {
  if (error instanceof ReflexionError) return error;
  const e = error as { name?: string; message?: string; CancellationReasons?: { Code?: string }[] };
  const name = e.name ?? 'Error';
  const reasons = e.CancellationReasons?.map((r) => r.Code ?? 'None') ?? [];
  if (THROTTLING.has(name) || reasons.includes('ThrottlingError') || reasons.includes('ProvisionedThroughputExceeded')) {
    return new MemoryThrottled(`${what}: DynamoDB throttled the request (${name})`, { cause: error });
  }
  return new MemoryError(`${what}: ${name}: ${e.message ?? String(error)}`, { cause: error });
}

async function attempt<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw translate(error, what);
  }
}

const cancellationCodes = (error: unknown): string[] =>
  error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []).map((r) => r.Code ?? 'None') : [];

/**
 * Runs a transaction, retrying TransactionConflict (two executions touching
 * the same strategy at once) with jittered back-off. Returns 'duplicate' when
 * the condition on the first item (the idempotency marker) failed.
 */
async function transact(
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

async function queryAll(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
  what: string,
  options: { maxItems?: number; maxEvaluated?: number } = {},
): Promise<Item[]> {
  const out: Item[] = [];
  let evaluated = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await attempt(what, () =>
      client.send(new QueryCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) })),
    );
    out.push(...((page.Items ?? []) as Item[]));
    evaluated += page.ScannedCount ?? page.Count ?? 0;
    start = page.LastEvaluatedKey;
    if (options.maxItems !== undefined && out.length >= options.maxItems) return out.slice(0, options.maxItems);
    if (options.maxEvaluated !== undefined && evaluated >= options.maxEvaluated) break;
  } while (start);
  return out;
}

/** Deletes keys in batches of 25, retrying unprocessed ones; returns how many were deleted. */
async function deleteAll(client: DynamoDBDocumentClient, table: string, keys: Item[], what: string): Promise<number> {
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

const keyOnly = (item: Item): Item => ({ [KEY.pk]: item[KEY.pk], [KEY.sk]: item[KEY.sk] });

// ---------------------------------------------------------------- episodes

const StoredLessonsSchema = z.array(LessonSchema).max(10);
const FeaturesSchema = z.array(z.string()).max(100);

/** The episode's lessons, with outcome and action filled in from the episode when the reflection left them out. */
function episodeLessons(episode: Episode): Lesson[] {
  const outcome = episode.outcome === 'resolved' ? 'success' : episode.outcome === 'failed' || episode.outcome === 'error' ? 'failure' : undefined;
  const action = episode.decision?.action.action;
  return (episode.reflection?.lessons ?? []).map((l) => ({
    ...l,
    episodeId: l.episodeId ?? episode.episodeId,
    ...(l.outcome === undefined && outcome ? { outcome } : {}),
    ...(l.action === undefined && action ? { action } : {}),
  }));
}

function createEpisodeStore(client: DynamoDBDocumentClient, table: string, keys: MemoryKeys, clock: Clock): EpisodeStore {
  const fromItem = (item: Item): Episode => stored(EpisodeSchema, parseJson(item.body, item, 'body'), item, 'episode');

  return {
    async put(value) {
      const episode = input(EpisodeSchema, value, 'episode');
      const body = JSON.stringify(episode);
      // DynamoDB items stop at 400 KB; say so plainly instead of surfacing a generic SDK error.
      if (Buffer.byteLength(body, 'utf8') > MAX_EPISODE_BYTES) {
        throw new ValidationError(`episode ${episode.episodeId} is ${Buffer.byteLength(body, 'utf8')} bytes, above ${MAX_EPISODE_BYTES}`, 'episode');
      }
      const item: Item = {
        ...keys.episode(episode.episodeId),
        ...keys.episodeIndexes({ ...episode, kind: episode.incident.kind }),
        type: 'episode',
        episodeId: episode.episodeId,
        executionId: episode.executionId,
        trial: episode.trial,
        signature: episode.signature,
        kind: episode.incident.kind,
        cluster: episode.incident.cluster,
        k8sNamespace: episode.incident.namespace,
        outcome: episode.outcome,
        endedAt: episode.endedAt,
        // The whole episode as JSON: cluster-derived values (pre-images, annotations)
        // may hold map keys DynamoDB attribute names cannot; zod re-validates it on read.
        body,
        lessons: JSON.stringify(episodeLessons(episode)),
        features: incidentFeatures(episode.incident),
      };
      try {
        await client.send(
          new PutCommand({ TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': KEY.pk } }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw translate(error, `put episode ${episode.episodeId}`);
      }
    },

    async get(episodeId) {
      const id = input(z.string().min(1).max(400), episodeId, 'episodeId');
      const result = await attempt(`get episode ${id}`, () =>
        client.send(new GetCommand({ TableName: table, Key: keys.episode(id), ConsistentRead: true })),
      );
      return result.Item ? fromItem(result.Item) : undefined;
    },

    async list(filter: EpisodeFilter = {}) {
      const f = input(
        z
          .object({
            cluster: z.string().min(1).max(100).optional(),
            namespace: z.string().min(1).max(63).optional(),
            signature: z.string().min(1).max(200).optional(),
            outcome: OutcomeSchema.optional(),
            limit: z.number().int().min(1).max(MAX_LIST).optional(),
          })
          .strict(),
        filter,
        'episode filter',
      );
      const names: Record<string, string> = { '#pk': EPISODE_BY_NAMESPACE.pk };
      const values: Record<string, unknown> = { ':pk': keys.allEpisodes };
      const conditions: string[] = [];
      const add = (attribute: string, value: string | undefined) => {
        if (value === undefined) return;
        names[`#${attribute}`] = attribute;
        values[`:${attribute}`] = value;
        conditions.push(`#${attribute} = :${attribute}`);
      };
      add('cluster', f.cluster);
      add('k8sNamespace', f.namespace);
      add('signature', f.signature);
      add('outcome', f.outcome);
      const items = await queryAll(
        client,
        {
          TableName: table,
          IndexName: EPISODE_BY_NAMESPACE.index,
          KeyConditionExpression: '#pk = :pk',
          ...(conditions.length > 0 ? { FilterExpression: conditions.join(' AND ') } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
        },
        'list episodes',
        { maxItems: f.limit ?? 100 },
      );
      return items.map(fromItem);
    },

    async lessonsFor(query) {
      const q = input(
        z.object({
          signature: z.string().min(1).max(200),
          kind: z.string().min(1).max(100),
          features: z.array(z.string().max(200)).max(200).optional(),
          limit: z.number().int().min(1).max(50).optional(),
        }),
        query,
        'lesson query',
      );
      const projection = {
        ProjectionExpression: '#pk, #sk, signature, kind, lessons, features, endedAt',
        ExpressionAttributeNames: { '#pk': KEY.pk, '#sk': KEY.sk, '#ipk': EPISODE_BY_KIND.pk },
      };
      const sameSignature = await queryAll(
        client,
        {
          TableName: table,
          IndexName: EPISODE_BY_KIND.index,
          KeyConditionExpression: '#ipk = :pk AND begins_with(#isk, :prefix)',
          ...projection,
          ExpressionAttributeNames: { ...projection.ExpressionAttributeNames, '#isk': EPISODE_BY_KIND.sk },
          ExpressionAttributeValues: { ':pk': keys.episodesOfKind(q.kind), ':prefix': keys.signaturePrefix(q.signature) },
          ScanIndexForward: false,
        },
        'lessons by signature',
        { maxItems: LESSON_SAME_SIGNATURE_EPISODES },
      );
      // Same kind, other signatures: the most recent ones, newest first across the namespace.
      const sameKind = await queryAll(
        client,
        {
          TableName: table,
          IndexName: EPISODE_BY_NAMESPACE.index,
          KeyConditionExpression: '#npk = :npk',
          FilterExpression: 'kind = :kind AND signature <> :sig',
          ProjectionExpression: projection.ProjectionExpression,
          ExpressionAttributeNames: { '#pk': KEY.pk, '#sk': KEY.sk, '#npk': EPISODE_BY_NAMESPACE.pk },
          ExpressionAttributeValues: { ':npk': keys.allEpisodes, ':kind': q.kind, ':sig': q.signature },
          ScanIndexForward: false,
          Limit: 100,
        },
        'lessons by kind',
        { maxEvaluated: LESSON_SAME_KIND_EPISODES },
      );
      const candidates: LessonCandidate[] = [];
      for (const item of [...sameSignature, ...sameKind]) {
        // A prefix match can catch a signature that merely starts with the query's ("A" vs "A#b").
        const signature = stored(z.string(), item.signature, item, 'episode signature');
        const lessons = stored(StoredLessonsSchema, parseJson(item.lessons, item, 'lessons'), item, 'episode lessons');
        const features = stored(FeaturesSchema, item.features ?? [], item, 'episode features');
        const at = stored(z.string(), item.endedAt, item, 'episode endedAt');
        const kind = stored(z.string(), item.kind, item, 'episode kind');
        for (const lesson of lessons) candidates.push({ lesson, signature, kind, features, at });
      }
      return rankLessons({ signature: q.signature, kind: q.kind, features: q.features ?? [], now: clock.now(), limit: q.limit ?? 5 }, candidates);
    },

    async clear() {
      const items = await queryAll(
        client,
        {
          TableName: table,
          IndexName: EPISODE_BY_NAMESPACE.index,
          KeyConditionExpression: '#npk = :npk',
          ProjectionExpression: '#pk, #sk',
          ExpressionAttributeNames: { '#pk': KEY.pk, '#sk': KEY.sk, '#npk': EPISODE_BY_NAMESPACE.pk },
          ExpressionAttributeValues: { ':npk': keys.allEpisodes },
        },
        'clear episodes',
      );
      return deleteAll(client, table, items.map(keyOnly), 'clear episodes');
    },
  };
}

// ---------------------------------------------------------------- strategies

const StrategyStatsSchema = z.object({
  ttrSumSeconds: z.number().nonnegative().default(0),
  ttrCount: z.number().int().nonnegative().default(0),
});

function createStrategyStore(client: DynamoDBDocumentClient, table: string, keys: MemoryKeys, clock: Clock): StrategyStore {
  const fromItem = (item: Item): Strategy => {
    const stats = stored(StrategyStatsSchema, { ttrSumSeconds: item.ttrSumSeconds, ttrCount: item.ttrCount }, item, 'strategy');
    return stored(
      StrategySchema,
      {
        id: item.id,
        signature: item.signature,
        action: item.action,
        template: item.template,
        description: item.description,
        successes: item.successes,
        failures: item.failures,
        ...(stats.ttrCount > 0 ? { meanTimeToRecoverSeconds: stats.ttrSumSeconds / stats.ttrCount } : {}),
        ...(item.lastUsedAt !== undefined ? { lastUsedAt: item.lastUsedAt } : {}),
        source: item.source,
        retired: item.retired,
      },
      item,
      'strategy',
    );
  };

  const read = async (strategy: Strategy): Promise<Strategy | undefined> => {
    const result = await attempt(`get strategy ${strategy.id}`, () =>
      client.send(new GetCommand({ TableName: table, Key: keys.strategy(strategy.signature, strategy.id), ConsistentRead: true })),
    );
    return result.Item ? fromItem(result.Item) : undefined;
  };

  const clearIndex = async (partition: string, what: string) => {
    const items = await queryAll(
      client,
      {
        TableName: table,
        IndexName: STRATEGY_BY_NAMESPACE.index,
        KeyConditionExpression: '#ipk = :ipk',
        ProjectionExpression: '#pk, #sk',
        ExpressionAttributeNames: { '#pk': KEY.pk, '#sk': KEY.sk, '#ipk': STRATEGY_BY_NAMESPACE.pk },
        ExpressionAttributeValues: { ':ipk': partition },
      },
      what,
    );
    return deleteAll(client, table, items.map(keyOnly), what);
  };

  return {
    async listForSignature(signature) {
      const sig = input(z.string().min(1).max(200), signature, 'signature');
      const items = await queryAll(
        client,
        {
          TableName: table,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': KEY.pk, '#sk': KEY.sk },
          ExpressionAttributeValues: { ':pk': keys.strategiesOf(sig), ':prefix': keys.strategyPrefix },
          ConsistentRead: true,
        },
        `list strategies for ${sig}`,
      );
      return items.map(fromItem);
    },

    async listAll() {
      const items = await queryAll(
        client,
        {
          TableName: table,
          IndexName: STRATEGY_BY_NAMESPACE.index,
          KeyConditionExpression: '#ipk = :ipk',
          ExpressionAttributeNames: { '#ipk': STRATEGY_BY_NAMESPACE.pk },
          ExpressionAttributeValues: { ':ipk': keys.allStrategies },
        },
        'list strategies',
      );
      return items.map(fromItem);
    },

    async ensure(value) {
      const s = input(StrategySchema, value, 'strategy');
      const mean = s.meanTimeToRecoverSeconds;
      const item: Item = {
        ...keys.strategy(s.signature, s.id),
        ...keys.strategyIndex(s.signature, s.id),
        type: 'strategy',
        id: s.id,
        signature: s.signature,
        action: s.action,
        template: s.template,
        description: s.description,
        source: s.source,
        retired: s.retired,
        successes: s.successes,
        failures: s.failures,
        // Stats are kept as sum and count so concurrent ADDs keep the mean exact.
        ttrSumSeconds: mean !== undefined && s.successes > 0 ? mean * s.successes : 0,
        ttrCount: mean !== undefined && s.successes > 0 ? s.successes : 0,
        ...(s.lastUsedAt !== undefined ? { lastUsedAt: s.lastUsedAt } : {}),
      };
      try {
        await client.send(
          new PutCommand({ TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': KEY.pk } }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return;
        throw translate(error, `ensure strategy ${s.id}`);
      }
    },

    async recordOutcome(value) {
      const o = input(
        z
          .object({
            strategy: StrategySchema,
            success: z.boolean(),
            timeToRecoverSeconds: z.number().nonnegative().finite().max(31_536_000).optional(),
            at: z.iso.datetime(),
            outcomeId: z.string().min(1).max(400),
          })
          .strict(),
        value,
        'strategy outcome',
      );
      const s = o.strategy;
      const countTime = o.success && o.timeToRecoverSeconds !== undefined;
      const what = `record outcome ${o.outcomeId} of strategy ${s.id}`;
      // 'duplicate' is a retry of an outcome already counted: the current statistics are the answer either way.
      await transact(
        client,
        [
          {
            Put: {
              TableName: table,
              Item: {
                ...keys.outcomeMarker(s.id, o.outcomeId),
                ...keys.outcomeMarkerIndex(s.id, o.outcomeId),
                type: 'outcome',
                strategyId: s.id,
                outcomeId: o.outcomeId,
                success: o.success,
                at: o.at,
                expiresAt: epochSeconds(clock.now().getTime()) + OUTCOME_MARKER_TTL_SECONDS,
              },
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: { '#pk': KEY.pk },
            },
          },
          {
            Update: {
              TableName: table,
              Key: keys.strategy(s.signature, s.id),
              // Creates the strategy on first use (ensure semantics) and counts atomically.
              UpdateExpression:
                'SET #type = :type, #id = if_not_exists(#id, :id), signature = if_not_exists(signature, :signature), #action = if_not_exists(#action, :action), ' +
                '#template = if_not_exists(#template, :template), description = if_not_exists(description, :description), #source = if_not_exists(#source, :source), ' +
                'retired = if_not_exists(retired, :retired), #gpk = :gpk, #gsk = :gsk, lastUsedAt = :at ' +
                'ADD successes :s, failures :f, ttrSumSeconds :t, ttrCount :c',
              ExpressionAttributeNames: {
                '#type': 'type',
                '#id': 'id',
                '#action': 'action',
                '#template': 'template',
                '#source': 'source',
                '#gpk': STRATEGY_BY_NAMESPACE.pk,
                '#gsk': STRATEGY_BY_NAMESPACE.sk,
              },
              ExpressionAttributeValues: {
                ':type': 'strategy',
                ':id': s.id,
                ':signature': s.signature,
                ':action': s.action,
                ':template': s.template,
                ':description': s.description,
                ':source': s.source,
                ':retired': s.retired,
                ':gpk': keys.strategyIndex(s.signature, s.id)[STRATEGY_BY_NAMESPACE.pk],
                ':gsk': keys.strategyIndex(s.signature, s.id)[STRATEGY_BY_NAMESPACE.sk],
                ':at': o.at,
                ':s': o.success ? 1 : 0,
                ':f': o.success ? 0 : 1,
                ':t': countTime ? (o.timeToRecoverSeconds ?? 0) : 0,
                ':c': countTime ? 1 : 0,
              },
            },
          },
        ],
        what,
      );
      const current = await read(s);
      if (!current) throw new MemoryError(`${what}: strategy missing right after the update`);
      return current;
    },

    async clear() {
      const count = await clearIndex(keys.allStrategies, 'clear strategies');
      await clearIndex(keys.allMarkers, 'clear outcome markers');
      return count;
    },
  };
}

// ---------------------------------------------------------------- locks and action counts

const LockInputSchema = z.object({
  key: z.string().min(1).max(1000),
  owner: z.string().min(1).max(400),
  ttlSeconds: z.number().int().min(1).max(7 * 86_400),
  now: z.date().refine((d) => Number.isFinite(d.getTime()), 'must be a valid date'),
});
const ActionItemSchema = z.object({ actionId: z.string(), at: z.iso.datetime() });

function createLockStore(client: DynamoDBDocumentClient, table: string, keys: MemoryKeys): LockStore {
  return {
    async acquire(key, owner, ttlSeconds, now) {
      const l = input(LockInputSchema, { key, owner, ttlSeconds, now }, 'lock');
      const nowMs = l.now.getTime();
      const expiresAtMs = nowMs + l.ttlSeconds * 1000;
      try {
        await client.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...keys.lock(l.key),
              type: 'lock',
              lockKey: l.key,
              owner: l.owner,
              acquiredAt: l.now.toISOString(),
              // Milliseconds decide expiry (the virtual clock is finer than a second); seconds feed TTL clean-up.
              expiresAtMs,
              expiresAt: epochSeconds(expiresAtMs),
            },
            ConditionExpression: 'attribute_not_exists(#pk) OR expiresAtMs < :now OR #owner = :owner',
            ExpressionAttributeNames: { '#pk': KEY.pk, '#owner': 'owner' },
            ExpressionAttributeValues: { ':now': nowMs, ':owner': l.owner },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw translate(error, `acquire lock ${l.key}`);
      }
    },

    async release(key, owner) {
      const l = input(LockInputSchema.pick({ key: true, owner: true }), { key, owner }, 'lock');
      try {
        await client.send(
          new DeleteCommand({
            TableName: table,
            Key: keys.lock(l.key),
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': l.owner },
          }),
        );
      } catch (error) {
        // Not held, or held by someone else (our lease expired and was taken): nothing of ours to release.
        if (error instanceof ConditionalCheckFailedException) return;
        throw translate(error, `release lock ${l.key}`);
      }
    },

    async recordAction(workloadKey, actionId, at) {
      const a = input(
        z.object({ workloadKey: z.string().min(1).max(1000), actionId: z.string().min(1).max(400), at: LockInputSchema.shape.now }),
        { workloadKey, actionId, at },
        'action record',
      );
      const iso = a.at.toISOString();
      const expiresAt = epochSeconds(a.at.getTime()) + ACTION_TTL_SECONDS;
      await transact(
        client,
        [
          {
            Put: {
              TableName: table,
              Item: { ...keys.actionMarker(a.workloadKey, a.actionId), type: 'action-marker', expiresAt },
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: { '#pk': KEY.pk },
            },
          },
          {
            Put: {
              TableName: table,
              Item: { ...keys.action(a.workloadKey, iso, a.actionId), type: 'action', actionId: a.actionId, at: iso, expiresAt },
            },
          },
        ],
        `record action ${a.actionId}`,
      );
    },

    async actionsSince(workloadKey, since) {
      const a = input(
        z.object({ workloadKey: z.string().min(1).max(1000), since: LockInputSchema.shape.now }),
        { workloadKey, since },
        'action query',
      );
      const items = await queryAll(
        client,
        {
          TableName: table,
          KeyConditionExpression: '#pk = :pk AND #sk >= :since',
          ExpressionAttributeNames: { '#pk': KEY.pk, '#sk': KEY.sk },
          ExpressionAttributeValues: { ':pk': keys.actionsOf(a.workloadKey), ':since': a.since.toISOString() },
          ScanIndexForward: false,
          ConsistentRead: true,
        },
        'list actions',
      );
      return items.map((item) => {
        const parsed = stored(ActionItemSchema, { actionId: item.actionId, at: item.at }, item, 'action');
        return { actionId: parsed.actionId, at: parsed.at };
      });
    },
  };
}

/**
 * Episodic memory on DynamoDB: episodes (exactly once), strategies (atomic,
 * idempotent statistics), locks and action counts — all scoped to one
 * namespace. Works unchanged against DynamoDB and DynamoDB Local.
 */
export function createDynamoMemory(options: DynamoMemoryOptions): Memory & { idempotency: DynamoIdempotencyStore } {
  const keys = memoryKeys(options.namespace);
  const clock = options.clock ?? systemClock;
  const tables = input(
    z.object({ episodes: z.string().min(3).max(255), strategies: z.string().min(3).max(255), locks: z.string().min(3).max(255) }),
    options.tables,
    'memory tables',
  );
  return {
    namespace: options.namespace,
    episodes: createEpisodeStore(options.client, tables.episodes, keys, clock),
    strategies: createStrategyStore(options.client, tables.strategies, keys, clock),
    locks: createLockStore(options.client, tables.locks, keys),
    approvals: createApprovalStore(options.client, tables.locks, keys),
    // Powertools sends low-level commands; the document client shares the base client's stack and config.
    idempotency: createIdempotencyStore({ client: options.client as unknown as DynamoDBClient, table: tables.locks, partition: keys.idempotencyPartition }),
  };
}
