import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { ApprovalDigestSchema, DigestSchema } from '../../domain/approval';
import { MemoryError, ValidationError } from '../../domain/errors';
import type { ApprovalRecord, ApprovalStore } from '../../ports/approvals';
import { KEY, type MemoryKeys } from './keys';

// Decided records stay a week for the audit trail (who approved what); the episode keeps the digest for good.
const DECIDED_TTL_SECONDS = 7 * 86_400;

const StoredSchema = z.object({
  digest: z.string().transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON' });
      return z.NEVER;
    }
  }).pipe(ApprovalDigestSchema),
  taskToken: z.string().min(1),
  status: z.enum(['pending', 'approved', 'denied', 'stale']),
  decidedBy: z.string().optional(),
  decidedAt: z.string().optional(),
  note: z.string().optional(),
});

const wrap = (error: unknown, what: string): Error =>
  error instanceof Error && error.name.startsWith('Memory') ? error : new MemoryError(`${what}: ${(error as Error).message}`, { cause: error });

/** Approval requests in the locks table (`<ns>#APPR#<digest>`), decided exactly once by a conditional update. */
export function createApprovalStore(client: DynamoDBDocumentClient, table: string, keys: MemoryKeys): ApprovalStore {
  const key = (digest: string) => {
    const parsed = DigestSchema.safeParse(digest);
    if (!parsed.success) throw new ValidationError(`digest: ${parsed.error.issues[0]?.message ?? 'invalid'}`, 'digest');
    return keys.approval(parsed.data);
  };
  return {
    async request(digest, taskToken) {
      const d = ApprovalDigestSchema.parse(digest);
      if (taskToken.length === 0 || taskToken.length > 10_000) throw new ValidationError('taskToken: must be 1-10000 characters', 'taskToken');
      // DynamoDB's TTL deletes by real time; a virtual clock (the simulator) runs behind it, so never before now.
      const expiresMs = Math.max(Date.parse(d.expiresAt), Date.now());
      try {
        await client.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...key(d.digest),
              type: 'approval',
              digest: JSON.stringify(d),
              taskToken,
              status: 'pending',
              expiresAt: Math.ceil(expiresMs / 1000) + DECIDED_TTL_SECONDS,
            },
            ConditionExpression: 'attribute_not_exists(#pk) OR #status = :pending',
            ExpressionAttributeNames: { '#pk': KEY.pk, '#status': 'status' },
            ExpressionAttributeValues: { ':pending': 'pending' },
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          throw new ValidationError(`approval ${d.digest} was already decided; a new request needs a new digest`, 'digest');
        }
        throw wrap(error, `store approval request ${d.digest}`);
      }
    },

    async get(digest) {
      let item: Record<string, unknown> | undefined;
      try {
        item = (await client.send(new GetCommand({ TableName: table, Key: key(digest), ConsistentRead: true }))).Item;
      } catch (error) {
        throw wrap(error, `read approval ${digest}`);
      }
      if (!item) return undefined;
      const parsed = StoredSchema.safeParse(item);
      if (!parsed.success) throw new MemoryError(`stored approval ${digest} is invalid: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
      const p = parsed.data;
      const record: ApprovalRecord = {
        digest: p.digest,
        taskToken: p.taskToken,
        status: p.status,
        ...(p.decidedBy !== undefined ? { decidedBy: p.decidedBy } : {}),
        ...(p.decidedAt !== undefined ? { decidedAt: p.decidedAt } : {}),
        ...(p.note !== undefined ? { note: p.note } : {}),
      };
      return record;
    },

    async decide(digest, decision) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: key(digest),
            UpdateExpression: 'SET #status = :to, decidedBy = :by, decidedAt = :at' + (decision.note !== undefined ? ', note = :note' : ''),
            ConditionExpression: '#status = :pending',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':to': decision.status,
              ':by': decision.by,
              ':at': decision.at.toISOString(),
              ':pending': 'pending',
              ...(decision.note !== undefined ? { ':note': decision.note.slice(0, 1000) } : {}),
            },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw wrap(error, `decide approval ${digest}`);
      }
    },
  };
}
