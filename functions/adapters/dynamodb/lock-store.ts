/** Locks, cooldown and the hourly action cap in DynamoDB (one active remediation per workload). */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { LockStore } from '../../ports/memory';
import { KEY, type MemoryKeys } from './keys';
import { ACTION_TTL_SECONDS, epochSeconds, input, stored, translate, transact, queryAll } from './store-support';

const LockInputSchema = z.object({
  key: z.string().min(1).max(1000),
  owner: z.string().min(1).max(400),
  ttlSeconds: z.number().int().min(1).max(7 * 86_400),
  now: z.date().refine((d) => Number.isFinite(d.getTime()), 'must be a valid date'),
});
const LeftFailingSchema = z.object({ replicaSet: z.string().min(1).max(253), revision: z.number().int().nonnegative() });
const ActionNoteSchema = z.object({ action: z.string().min(1).max(100).optional(), leftFailing: LeftFailingSchema.optional() }).strict();
const ActionItemSchema = z.object({ actionId: z.string(), at: z.iso.datetime(), requestedBy: z.string().optional() }).extend(ActionNoteSchema.shape);

export function createLockStore(client: DynamoDBDocumentClient, table: string, keys: MemoryKeys): LockStore {
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

    async recordAction(workloadKey, actionId, at, requestedBy, note) {
      const a = input(
        z.object({
          workloadKey: z.string().min(1).max(1000),
          actionId: z.string().min(1).max(400),
          at: LockInputSchema.shape.now,
          requestedBy: z.string().min(1).max(256).optional(),
          note: ActionNoteSchema.optional(),
        }),
        { workloadKey, actionId, at, requestedBy, note },
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
              Item: {
                ...keys.action(a.workloadKey, iso, a.actionId),
                type: 'action',
                actionId: a.actionId,
                at: iso,
                ...(a.requestedBy ? { requestedBy: a.requestedBy } : {}),
                ...(a.note?.action ? { action: a.note.action } : {}),
                ...(a.note?.leftFailing ? { leftFailing: a.note.leftFailing } : {}),
                expiresAt,
              },
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
        const parsed = stored(
          ActionItemSchema,
          { actionId: item.actionId, at: item.at, requestedBy: item.requestedBy, action: item.action, leftFailing: item.leftFailing },
          item,
          'action',
        );
        return {
          actionId: parsed.actionId,
          at: parsed.at,
          ...(parsed.requestedBy ? { requestedBy: parsed.requestedBy } : {}),
          ...(parsed.action ? { action: parsed.action } : {}),
          ...(parsed.leftFailing ? { leftFailing: parsed.leftFailing } : {}),
        };
      });
    },
  };
}
