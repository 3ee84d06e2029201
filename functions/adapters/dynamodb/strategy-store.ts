/**
 * Strategies in DynamoDB: outcome statistics updated atomically, each outcome
 * counted once. Raw counts (successes, failures, time to recover) are ADDed;
 * the decayed evidence and the per-feature buckets (domain/selection-context)
 * are recomputed from the item as read and written under a version condition,
 * retried on a lost race. Items written before buckets existed read as
 * evidence = their raw counts and gain buckets at their next outcome. A
 * revision (the fault recurred after a success) goes through the same
 * once-only versioned update under a marker of its own.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { MemoryError, MemoryThrottled } from '../../domain/errors';
import { EvidenceSchema, StrategySchema, type Evidence, type Strategy } from '../../domain/model';
import { StrategyOutcomeSchema, StrategyRevisionSchema, withOutcome, withRevision } from '../../domain/selection-context';
import { type Clock } from '../../ports/clock';
import type { StrategyStore } from '../../ports/memory';
import { KEY, STRATEGY_BY_NAMESPACE, type MemoryKeys } from './keys';
import { Item, MAX_TRANSACTION_ATTEMPTS, OUTCOME_MARKER_TTL_SECONDS, cancellationCodes, epochSeconds, input, stored, translate, attempt, queryAll, deleteAll, keyOnly } from './store-support';

const StrategyStatsSchema = z.object({
  ttrSumSeconds: z.number().nonnegative().default(0),
  ttrCount: z.number().int().nonnegative().default(0),
});

export function createStrategyStore(client: DynamoDBDocumentClient, table: string, keys: MemoryKeys, clock: Clock): StrategyStore {
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
        ...(item.evidence !== undefined ? { evidence: item.evidence } : {}),
        ...(item.buckets !== undefined ? { buckets: item.buckets } : {}),
      },
      item,
      'strategy',
    );
  };

  const readItem = async (strategy: Strategy): Promise<Item | undefined> => {
    const result = await attempt(`get strategy ${strategy.id}`, () =>
      client.send(new GetCommand({ TableName: table, Key: keys.strategy(strategy.signature, strategy.id), ConsistentRead: true })),
    );
    return result.Item;
  };
  const read = async (strategy: Strategy): Promise<Strategy | undefined> => {
    const item = await readItem(strategy);
    return item ? fromItem(item) : undefined;
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

  /**
   * Counts one change of a strategy's statistics exactly once (per outcomeId): an outcome marker is put and
   * the strategy updated in one transaction. Raw counts are ADDed; the decayed evidence and buckets are
   * computed from the item as read and written under its version, read again when another change won.
   */
  const countOnce = async (c: {
    strategy: Strategy;
    outcomeId: string;
    marker: Record<string, unknown>;
    what: string;
    at: string;
    next: (current: Strategy) => { evidence: Evidence; buckets: Record<string, Evidence> };
    add: (current: Strategy) => { s: number; f: number; t: number; c: number };
  }): Promise<Strategy> => {
    const s = c.strategy;
    for (let tries = 1; ; tries += 1) {
      const item = await readItem(s);
      const current = item ? fromItem(item) : { ...s, successes: 0, failures: 0, evidence: undefined, buckets: undefined };
      const version = item ? stored(z.number().int().nonnegative().optional(), item.version, item, 'strategy version') : undefined;
      const next = c.next(current);
      const add = c.add(current);
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: table,
                  Item: {
                    ...keys.outcomeMarker(s.id, c.outcomeId),
                    ...keys.outcomeMarkerIndex(s.id, c.outcomeId),
                    type: 'outcome',
                    strategyId: s.id,
                    outcomeId: c.outcomeId,
                    ...c.marker,
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
                  // Creates the strategy on first use (ensure semantics); raw counts are ADDed, the decayed
                  // evidence and buckets replaced as computed from the version read above.
                  UpdateExpression:
                    'SET #type = :type, #id = if_not_exists(#id, :id), signature = if_not_exists(signature, :signature), #action = if_not_exists(#action, :action), ' +
                    '#template = if_not_exists(#template, :template), description = if_not_exists(description, :description), #source = if_not_exists(#source, :source), ' +
                    'retired = if_not_exists(retired, :retired), #gpk = :gpk, #gsk = :gsk, lastUsedAt = :at, evidence = :evidence, buckets = :buckets, #version = :next ' +
                    'ADD successes :s, failures :f, ttrSumSeconds :t, ttrCount :c',
                  ConditionExpression: version === undefined ? 'attribute_not_exists(#version)' : '#version = :version',
                  ExpressionAttributeNames: {
                    '#type': 'type',
                    '#id': 'id',
                    '#action': 'action',
                    '#template': 'template',
                    '#source': 'source',
                    '#version': 'version',
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
                    ':at': c.at,
                    ':evidence': EvidenceSchema.parse(next.evidence),
                    ':buckets': next.buckets,
                    ':next': (version ?? 0) + 1,
                    ...(version === undefined ? {} : { ':version': version }),
                    ':s': add.s,
                    ':f': add.f,
                    ':t': add.t,
                    ':c': add.c,
                  },
                },
              },
            ],
          }),
        );
        break;
      } catch (error) {
        const codes = cancellationCodes(error);
        // A retry of a change already counted: the current statistics are the answer.
        if (codes[0] === 'ConditionalCheckFailed') break;
        // Another change of this strategy landed between the read and the write: read again.
        const raced = codes[1] === 'ConditionalCheckFailed' || codes.includes('TransactionConflict');
        if (raced && tries < MAX_TRANSACTION_ATTEMPTS * 3) {
          await sleep(Math.min(1000, 10 * 2 ** Math.min(tries, 6)) * (0.5 + Math.random()));
          continue;
        }
        if (raced) throw new MemoryThrottled(`${c.what}: still conflicting after ${tries} attempts`, { cause: error });
        throw translate(error, c.what);
      }
    }
    const current = await read(s);
    if (!current) throw new MemoryError(`${c.what}: strategy missing right after the update`);
    return current;
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
      const o = input(StrategyOutcomeSchema, value, 'strategy outcome');
      const countTime = o.success && o.timeToRecoverSeconds !== undefined;
      return countOnce({
        strategy: o.strategy,
        outcomeId: o.outcomeId,
        marker: { success: o.success, at: o.at },
        what: `record outcome ${o.outcomeId} of strategy ${o.strategy.id}`,
        at: o.at,
        next: (current) => withOutcome(current, { success: o.success, at: o.at, features: o.features ?? [] }, o.halfLifeDays ?? 30),
        add: () => ({ s: o.success ? 1 : 0, f: o.success ? 0 : 1, t: countTime ? (o.timeToRecoverSeconds ?? 0) : 0, c: countTime ? 1 : 0 }),
      });
    },

    async reviseOutcome(value) {
      const r = input(StrategyRevisionSchema, value, 'strategy revision');
      return countOnce({
        strategy: r.strategy,
        // Its own marker: the success's marker stays (a retried recordOutcome must still find it counted).
        outcomeId: `${r.outcomeId}#recurred`,
        marker: { success: false, at: r.at, revises: r.outcomeId },
        what: `revise outcome ${r.outcomeId} of strategy ${r.strategy.id}`,
        at: r.at,
        next: (current) => withRevision(current, { countedAt: r.countedAt, at: r.at, features: r.features ?? [] }, r.halfLifeDays ?? 30),
        // The raw success count goes back down (never below 0); the time to recover it contributed stays.
        add: (current) => ({ s: current.successes > 0 ? -1 : 0, f: 1, t: 0, c: 0 }),
      });
    },

    async clear() {
      const count = await clearIndex(keys.allStrategies, 'clear strategies');
      await clearIndex(keys.allMarkers, 'clear outcome markers');
      return count;
    },
  };
}
