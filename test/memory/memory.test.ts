import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDynamoClients } from '../../functions/adapters/dynamodb/client';
import { memoryKeys } from '../../functions/adapters/dynamodb/keys';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import { MemoryError, MemoryThrottled, ValidationError } from '../../functions/domain/errors';
import { createInMemoryStrategyStore } from '../../functions/local/in-memory-strategy-store';
import type { Memory } from '../../functions/ports/memory';
import { useDynamoDbLocal } from '../support/dynamodb';
import { episode, incident, strategy } from './fixtures';

const db = useDynamoDbLocal();
const memory = (namespace = db.namespace()): Memory =>
  createDynamoMemory({ client: db.doc, tables: db.tables, namespace, clock: { now: () => new Date('2026-11-23T12:00:00.000Z') } });

describe('episodes', () => {
  it('writes an episode exactly once: a retried put returns false and leaves one item', async () => {
    // Arrange: a Lambda retried after its first put succeeded sends the same episode again.
    const m = memory();
    const e = episode();
    // Act
    const first = await m.episodes.put(e);
    const retried = await Promise.all([m.episodes.put(e), m.episodes.put({ ...e, outcome: 'failed' })]);
    // Assert
    expect(first).toBe(true);
    expect(retried).toEqual([false, false]);
    expect(await m.episodes.list()).toHaveLength(1);
    expect(await m.episodes.get(e.episodeId)).toEqual(e);
  });

  it('refuses an invalid episode with a ValidationError naming the field, writing nothing', async () => {
    const m = memory();
    const bad = { ...episode(), trial: 0 };
    await expect(m.episodes.put(bad)).rejects.toMatchObject({ name: 'ValidationError', field: 'trial' });
    expect(await m.episodes.list()).toEqual([]);
  });

  it('lists newest first with filters on cluster, namespace, signature and outcome', async () => {
    // Arrange: four episodes differing in one filtered field each.
    const m = memory();
    const base = episode({ endedAt: '2026-11-23T10:00:00.000Z' });
    const otherCluster = episode({ incident: incident({ cluster: 'staging' }), endedAt: '2026-11-23T10:01:00.000Z' });
    const otherNs = episode({ incident: incident({ namespace: 'billing' }), endedAt: '2026-11-23T10:02:00.000Z' });
    const failed = episode({ outcome: 'failed', endedAt: '2026-11-23T10:03:00.000Z' });
    const oom = episode({ incident: incident({ kind: 'OOMKilled', signature: 'OOMKilled:limit' }), endedAt: '2026-11-23T10:04:00.000Z' });
    for (const e of [base, otherCluster, otherNs, failed, oom]) await m.episodes.put(e);
    const ids = (list: { episodeId: string }[]) => list.map((e) => e.episodeId);
    // Act / Assert
    expect(ids(await m.episodes.list())).toEqual(ids([oom, failed, otherNs, otherCluster, base]));
    expect(ids(await m.episodes.list({ cluster: 'staging' }))).toEqual(ids([otherCluster]));
    expect(ids(await m.episodes.list({ namespace: 'billing' }))).toEqual(ids([otherNs]));
    expect(ids(await m.episodes.list({ outcome: 'failed' }))).toEqual(ids([failed]));
    expect(ids(await m.episodes.list({ signature: 'OOMKilled:limit' }))).toEqual(ids([oom]));
    expect(ids(await m.episodes.list({ limit: 2 }))).toEqual(ids([oom, failed]));
    await expect(m.episodes.list({ outcome: 'nope' as never })).rejects.toBeInstanceOf(ValidationError);
  });

  it('retrieves lessons: same signature first, then same kind, never another kind or namespace', async () => {
    const m = memory();
    const elsewhere = memory();
    const lesson = (text: string, signature: string) => ({ text, signature });
    await m.episodes.put(episode({ lessons: [lesson('rollback to revision 3 fixed the missing tag', 'ImagePullBackOff:tag-not-found')] }));
    await m.episodes.put(
      episode({
        incident: incident({ signature: 'ImagePullBackOff:auth', subReason: 'auth' }),
        signature: 'ImagePullBackOff:auth',
        outcome: 'escalated',
        endedAt: '2026-11-23T11:00:00.000Z',
        lessons: [lesson('registry auth failures need a human', 'ImagePullBackOff:auth')],
      }),
    );
    await m.episodes.put(episode({ incident: incident({ kind: 'OOMKilled', signature: 'OOMKilled:limit' }), signature: 'OOMKilled:limit', lessons: [lesson('doubling memory helped', 'OOMKilled:limit')] }));
    await elsewhere.episodes.put(episode({ lessons: [lesson('from another namespace', 'ImagePullBackOff:tag-not-found')] }));
    // Act
    const lessons = await m.episodes.lessonsFor({ signature: 'ImagePullBackOff:tag-not-found', kind: 'ImagePullBackOff' });
    // Assert: the same-signature lesson ranks first although it is older; outcome and action filled from the episode.
    expect(lessons.map((l) => l.text)).toEqual(['rollback to revision 3 fixed the missing tag', 'registry auth failures need a human']);
    expect(lessons[0]).toMatchObject({ outcome: 'success', signature: 'ImagePullBackOff:tag-not-found' });
    expect(lessons[0]!.score).toBeGreaterThan(lessons[1]!.score!);
  });
});

describe('strategies', () => {
  it('counts 40 concurrent outcomes over 4 strategies without losing one, mean time to recover exact', async () => {
    // Arrange: 10 outcomes per strategy; strategy k succeeds on every (k+2)-th try, each success with its own time.
    const m = memory();
    const strategies = [0, 1, 2, 3].map((k) => strategy({ id: `conc-${k}` }));
    const outcomes = strategies.flatMap((s, k) =>
      Array.from({ length: 10 }, (_, i) => ({
        strategy: s,
        success: i % (k + 2) === 0,
        timeToRecoverSeconds: 10 + i * 1.5 + k,
        at: `2026-11-23T10:${String(i).padStart(2, '0')}:00.000Z`,
        outcomeId: `exec-${k}-${i}#1`,
      })),
    );
    // Act
    await Promise.all(outcomes.map((o) => m.strategies.recordOutcome(o)));
    // Assert
    const stored = await m.strategies.listForSignature('ImagePullBackOff:tag-not-found');
    for (const s of strategies) {
      const mine = outcomes.filter((o) => o.strategy.id === s.id);
      const wins = mine.filter((o) => o.success);
      const got = stored.find((x) => x.id === s.id);
      expect(got?.successes).toBe(wins.length);
      expect(got?.failures).toBe(mine.length - wins.length);
      expect(got?.meanTimeToRecoverSeconds).toBe(wins.reduce((a, o) => a + o.timeToRecoverSeconds, 0) / wins.length);
    }
  });

  it('does not count a retried outcome twice, even when the retries race', async () => {
    const m = memory();
    const s = strategy();
    const outcome = { strategy: s, success: true, timeToRecoverSeconds: 30, at: '2026-11-23T10:00:00.000Z', outcomeId: 'exec-1#1' };
    // Act: the first call and four retries of the same outcome, concurrently, then a later retry.
    await Promise.all(Array.from({ length: 5 }, () => m.strategies.recordOutcome(outcome)));
    const after = await m.strategies.recordOutcome(outcome);
    // Assert
    expect(after).toMatchObject({ successes: 1, failures: 0, meanTimeToRecoverSeconds: 30 });
  });

  it('keeps per-feature buckets and decayed evidence exact under 12 concurrent outcomes of one strategy', async () => {
    // Why: buckets are recomputed from the item as read; a lost race must be re-read, never overwrite a count.
    const m = memory();
    const s = strategy({ id: 'ctx-conc' });
    const at = '2026-11-23T10:00:00.000Z';
    const outcomes = Array.from({ length: 12 }, (_, i) => ({
      strategy: s,
      success: i % 3 !== 0,
      features: [i % 2 === 0 ? 'team=a' : 'team=b', 'change=config'],
      at,
      outcomeId: `ctx-${i}#1`,
    }));
    await Promise.all(outcomes.map((o) => m.strategies.recordOutcome(o)));
    const [got] = await m.strategies.listForSignature(s.signature);
    const count = (f: (o: (typeof outcomes)[number]) => boolean) => ({ s: outcomes.filter((o) => f(o) && o.success).length, f: outcomes.filter((o) => f(o) && !o.success).length, at });
    expect(got?.evidence).toEqual(count(() => true));
    expect(got?.buckets).toEqual({
      'team=a': count((o) => o.features[0] === 'team=a'),
      'team=b': count((o) => o.features[0] === 'team=b'),
      'change=config': count(() => true),
    });
    expect([got?.successes, got?.failures]).toEqual([8, 4]);
  });

  it('reads a strategy stored before buckets existed and migrates it at its next outcome', async () => {
    // Why: deployed memories hold items with raw counts only (no evidence, buckets or version).
    const ns = db.namespace();
    const m = memory(ns);
    const s = strategy({ id: 'legacy' });
    const key = memoryKeys(ns).strategy(s.signature, s.id);
    await db.doc.send(new PutCommand({ TableName: db.tables.strategies, Item: { ...key, ...memoryKeys(ns).strategyIndex(s.signature, s.id), type: 'strategy', id: s.id, signature: s.signature, action: 'rollback_deployment', template: {}, source: 'seeded', successes: 3, failures: 1, retired: false, description: '', ttrSumSeconds: 0, ttrCount: 0, lastUsedAt: '2026-11-23T09:00:00.000Z' } }));
    const [before] = await m.strategies.listForSignature(s.signature);
    expect(before).toMatchObject({ successes: 3, failures: 1 });
    expect(before?.evidence).toBeUndefined();
    const after = await m.strategies.recordOutcome({ strategy: s, success: true, features: ['team=a'], halfLifeDays: 30, at: '2026-11-23T09:00:00.000Z', outcomeId: 'mig#1' });
    expect(after).toMatchObject({ successes: 4, failures: 1, evidence: { s: 4, f: 1 }, buckets: { 'team=a': { s: 1, f: 0 } } });
  });

  it('ensure creates once and never resets statistics', async () => {
    const m = memory();
    const s = strategy();
    await m.strategies.ensure(s);
    await m.strategies.recordOutcome({ strategy: s, success: false, at: '2026-11-23T10:00:00.000Z', outcomeId: 'e#1' });
    await m.strategies.ensure(s);
    expect(await m.strategies.listAll()).toMatchObject([{ id: s.id, successes: 0, failures: 1, source: 'seeded' }]);
  });

  it('reports a corrupt stored strategy as MemoryError naming its key and field', async () => {
    // Arrange: an item written by hand (or an older version) with an impossible counter.
    const ns = db.namespace();
    const m = memory(ns);
    const s = strategy();
    await m.strategies.ensure(s);
    const key = memoryKeys(ns).strategy(s.signature, s.id);
    await db.doc.send(new PutCommand({ TableName: db.tables.strategies, Item: { ...key, id: s.id, signature: s.signature, action: 'rollback_deployment', template: {}, source: 'seeded', successes: -3, failures: 0, retired: false, description: '' } }));
    // Act / Assert
    const error = await m.strategies.listForSignature(s.signature).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MemoryError);
    expect((error as Error).message).toContain(String(key.pk));
    expect((error as Error).message).toContain('successes');
  });

  it('reports a corrupt stored episode body as MemoryError naming its key and field', async () => {
    const ns = db.namespace();
    const m = memory(ns);
    const e = episode();
    await m.episodes.put(e);
    const key = memoryKeys(ns).episode(e.episodeId);
    const body = JSON.parse(JSON.stringify(e)) as Record<string, unknown>;
    delete body.executionId;
    await db.doc.send(new PutCommand({ TableName: db.tables.episodes, Item: { ...key, body: JSON.stringify(body) } }));
    const error = await m.episodes.get(e.episodeId).catch((x: unknown) => x);
    expect(error).toBeInstanceOf(MemoryError);
    expect((error as Error).message).toMatch(new RegExp(`${String(key.pk)}.*executionId`));
  });
});

describe('in-process strategy store', () => {
  it('keeps exactly the statistics the DynamoDB store keeps for the same outcomes (retries included)', async () => {
    // Why: a bench may run memory in process; its arm must learn exactly what a deployment would.
    const dynamo = memory().strategies;
    const local = createInMemoryStrategyStore();
    const s = strategy({ id: 'twin' });
    const outcomes = Array.from({ length: 9 }, (_, i) => ({
      strategy: s,
      success: i % 3 !== 1,
      features: [`team=${i % 2 === 0 ? 'a' : 'b'}`, 'log=timeout'],
      halfLifeDays: 0.5,
      ...(i % 3 !== 1 ? { timeToRecoverSeconds: 20 + i } : {}),
      at: `2026-11-23T1${Math.floor(i / 3)}:0${i % 3}:00.000Z`,
      outcomeId: `twin-${i}#1`,
    }));
    for (const o of [...outcomes, outcomes[4]!]) {
      await dynamo.recordOutcome(o);
      await local.recordOutcome(o);
    }
    const [d] = await dynamo.listForSignature(s.signature);
    const [l] = await local.listForSignature(s.signature);
    expect(l).toEqual(d);
    expect(l).toMatchObject({ successes: 6, failures: 3 });
    await expect(local.recordOutcome({ ...outcomes[0]!, at: 'yesterday' })).rejects.toMatchObject({ name: 'ValidationError', field: 'at' });
  });
});

describe('namespaces', () => {
  it('isolate memory: lists never cross and clear in one leaves the other intact', async () => {
    // Arrange: the same episode id and strategy id in a deployment namespace and a benchmark namespace.
    const prod = memory(db.namespace('prod'));
    const bench = memory(db.namespace('bench'));
    const e = episode();
    const s = strategy();
    for (const m of [prod, bench]) {
      expect(await m.episodes.put(e)).toBe(true);
      await m.strategies.recordOutcome({ strategy: s, success: true, timeToRecoverSeconds: 5, at: e.endedAt, outcomeId: e.episodeId });
    }
    // Act
    const cleared = { episodes: await bench.episodes.clear(), strategies: await bench.strategies.clear() };
    // Assert
    expect(cleared).toEqual({ episodes: 1, strategies: 1 });
    expect(await bench.episodes.list()).toEqual([]);
    expect(await bench.strategies.listAll()).toEqual([]);
    expect(await prod.episodes.list()).toHaveLength(1);
    expect(await prod.strategies.listForSignature(s.signature)).toMatchObject([{ id: s.id, successes: 1 }]);
    // After a clear, the same outcome id counts again in the cleared namespace (its markers went too).
    await bench.strategies.recordOutcome({ strategy: s, success: true, at: e.endedAt, outcomeId: e.episodeId });
    expect(await bench.strategies.listAll()).toMatchObject([{ successes: 1 }]);
  });

  it('refuses a namespace that could break out of its key prefix', () => {
    expect(() => createDynamoMemory({ client: db.doc, tables: db.tables, namespace: 'a#b' })).toThrow(ValidationError);
  });
});

describe('locks and action counts', () => {
  const t0 = new Date('2026-11-23T10:00:00.000Z');
  const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

  it('grants one owner at a time, re-entrant for the owner, taken over only after expiry', async () => {
    const { locks } = memory();
    const key = 'prod-eks/shop/Deployment/web';
    // Table of steps: why each matters.
    const steps: [string, () => Promise<unknown>, unknown][] = [
      ['first owner acquires', () => locks.acquire(key, 'exec-a', 60, t0), true],
      ['a second execution is refused while the lease runs', () => locks.acquire(key, 'exec-b', 60, at(30)), false],
      ['the owner may re-acquire (a retried Lock task)', () => locks.acquire(key, 'exec-a', 60, at(40)), true],
      ['the renewed lease still holds at the old expiry', () => locks.acquire(key, 'exec-b', 60, at(61)), false],
      ['a non-owner release does nothing', () => locks.release(key, 'exec-b'), undefined],
      ['so the lock is still held', () => locks.acquire(key, 'exec-b', 60, at(90)), false],
      ['after expiry another execution takes over', () => locks.acquire(key, 'exec-b', 60, at(101)), true],
      ['the stale owner cannot release the new holder', () => locks.release(key, 'exec-a'), undefined],
      ['and cannot re-acquire', () => locks.acquire(key, 'exec-a', 60, at(102)), false],
      ['the holder releases', () => locks.release(key, 'exec-b'), undefined],
      ['now anyone acquires', () => locks.acquire(key, 'exec-c', 60, at(103)), true],
    ];
    for (const [why, run, expected] of steps) expect(await run(), why).toBe(expected);
  });

  it('releasing a lock nobody holds does not throw', async () => {
    await expect(memory().locks.release('nothing', 'me')).resolves.toBeUndefined();
  });

  it('records actions idempotently per actionId and lists those since a time, newest first', async () => {
    const { locks } = memory();
    const wk = 'prod-eks/shop/Deployment/web';
    await locks.recordAction(wk, 'act-1', at(0));
    await locks.recordAction(wk, 'act-2', at(600));
    // Who asked is kept with the record (#10 item 11).
    await locks.recordAction(wk, 'act-3', at(1200), 'agent:triage');
    // A retry of act-2 with the retry's own clock reading must not add a fourth action.
    await locks.recordAction(wk, 'act-2', at(700));
    await locks.recordAction('prod-eks/shop/Deployment/other', 'act-9', at(1300));
    expect(await locks.actionsSince(wk, at(600))).toEqual([
      { actionId: 'act-3', at: at(1200).toISOString(), requestedBy: 'agent:triage' },
      { actionId: 'act-2', at: at(600).toISOString() },
    ]);
    expect(await locks.actionsSince(wk, at(0))).toHaveLength(3);
  });

  it('refuses a lock with a bad ttl instead of writing a lease that never expires', async () => {
    await expect(memory().locks.acquire('k', 'o', 0, t0)).rejects.toMatchObject({ name: 'ValidationError', field: 'ttlSeconds' });
  });
});

describe('transaction conflicts', () => {
  it('retries a TransactionConflict (real DynamoDB under contention) and counts the outcome once', async () => {
    // Arrange: DynamoDB Local serialises transactions, so the conflict real DynamoDB raises is injected for the first two tries.
    const { doc, client } = createDynamoClients({ endpoint: db.endpoint });
    let conflicts = 2;
    doc.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'TransactWriteItemsCommand' && conflicts > 0) {
          conflicts -= 1;
          throw new TransactionCanceledException({
            message: 'Transaction cancelled',
            $metadata: {},
            CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }],
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'conflict' },
    );
    const m = createDynamoMemory({ client: doc, tables: db.tables, namespace: db.namespace() });
    // Act
    const result = await m.strategies.recordOutcome({ strategy: strategy(), success: true, timeToRecoverSeconds: 12, at: '2026-11-23T10:00:00.000Z', outcomeId: 'x#1' });
    client.destroy();
    // Assert
    expect(conflicts).toBe(0);
    expect(result).toMatchObject({ successes: 1, failures: 0, meanTimeToRecoverSeconds: 12 });
  });
});

describe('throttling', () => {
  it('surfaces DynamoDB throttling as the retryable MemoryThrottled', async () => {
    // Arrange: a real SDK client whose requests DynamoDB answers with a throttle (injected before the wire).
    const { doc, client } = createDynamoClients({ endpoint: db.endpoint });
    doc.middlewareStack.add(
      () => async () => {
        throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), { name: 'ProvisionedThroughputExceededException' });
      },
      { step: 'initialize', name: 'throttle' },
    );
    const m = createDynamoMemory({ client: doc, tables: db.tables, namespace: db.namespace() });
    // Act
    const error = await m.episodes.list().catch((e: unknown) => e);
    client.destroy();
    // Assert
    expect(error).toBeInstanceOf(MemoryThrottled);
    expect((error as MemoryThrottled).retryable).toBe(true);
  });
});
