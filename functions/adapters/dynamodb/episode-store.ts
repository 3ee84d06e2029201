/** Episodes in DynamoDB: written exactly once, listed by namespace and kind, lessons retrieved by similarity. */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import { incidentFeatures, rankLessons, recurredEpisode, type LessonCandidate } from '../../domain/lessons';
import { EpisodeSchema, LessonSchema, type Episode, type Lesson } from '../../domain/model';
import { OutcomeSchema } from '../../domain/model';
import { type Clock } from '../../ports/clock';
import type { EpisodeFilter, EpisodeStore } from '../../ports/memory';
import { EPISODE_BY_KIND, EPISODE_BY_NAMESPACE, KEY, type MemoryKeys } from './keys';
import { Item, LESSON_SAME_SIGNATURE_EPISODES, LESSON_SAME_KIND_EPISODES, MAX_LIST, MAX_EPISODE_BYTES, input, stored, parseJson, translate, attempt, queryAll, deleteAll, keyOnly } from './store-support';

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

export function createEpisodeStore(client: DynamoDBDocumentClient, table: string, keys: MemoryKeys, clock: Clock): EpisodeStore {
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
        // What a recurrence looks episodes up by (resolvedSince); episodes written before it have none.
        fingerprint: episode.incident.fingerprint,
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

    async resolvedSince(query) {
      const q = input(z.object({ fingerprint: z.string().min(1).max(200), since: z.iso.datetime() }).strict(), query, 'recurrence query');
      // Newest first from the namespace's episodes ordered by end time, only as far back as `since`.
      const items = await queryAll(
        client,
        {
          TableName: table,
          IndexName: EPISODE_BY_NAMESPACE.index,
          KeyConditionExpression: '#npk = :npk AND #nsk >= :since',
          FilterExpression: 'fingerprint = :fp AND outcome = :resolved AND attribute_not_exists(recurredAt)',
          ExpressionAttributeNames: { '#npk': EPISODE_BY_NAMESPACE.pk, '#nsk': EPISODE_BY_NAMESPACE.sk },
          ExpressionAttributeValues: { ':npk': keys.allEpisodes, ':since': q.since, ':fp': q.fingerprint, ':resolved': 'resolved' },
          ScanIndexForward: false,
        },
        'resolved episodes since',
        { maxItems: 20 },
      );
      return items.map(fromItem);
    },

    async markRecurred(episodeId, at) {
      const id = input(z.string().min(1).max(400), episodeId, 'episodeId');
      const when = input(z.iso.datetime(), at, 'recurredAt');
      const result = await attempt(`get episode ${id}`, () => client.send(new GetCommand({ TableName: table, Key: keys.episode(id), ConsistentRead: true })));
      if (!result.Item) return false;
      const episode = fromItem(result.Item);
      if (episode.recurredAt !== undefined || episode.outcome !== 'resolved') return false;
      // One conditional write: the stamp and the rewritten lessons (domain/lessons recurredEpisode), or neither.
      const recurred = recurredEpisode(episode, when);
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: keys.episode(id),
            UpdateExpression: 'SET recurredAt = :at, body = :body, lessons = :lessons',
            ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(recurredAt) AND body = :before',
            ExpressionAttributeNames: { '#pk': KEY.pk },
            ExpressionAttributeValues: {
              ':at': when,
              ':body': JSON.stringify(recurred),
              ':lessons': JSON.stringify(episodeLessons(recurred)),
              ':before': result.Item.body,
            },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw translate(error, `mark episode ${id} recurred`);
      }
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
