import { describe, expect, it } from 'vitest';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import { noteRecurrence } from '../../functions/app/recurrence';
import { featuresFor } from '../../functions/domain/features';
import { DecisionSchema, type Episode, type Strategy } from '../../functions/domain/model';
import { defaultPolicyConfig, type PolicyConfig } from '../../functions/domain/policy-config';
import { contextualPosterior, withOutcome, withRevision } from '../../functions/domain/selection-context';
import { createInMemoryStrategyStore } from '../../functions/local/in-memory-strategy-store';
import { silentLogger } from '../../functions/ports/logger';
import { useDynamoDbLocal } from '../support/dynamodb';
import { episode, incident, strategy } from './fixtures';

/**
 * Recurrence counts as failure (functions/app/recurrence.ts): a trial that
 * ended `resolved` and whose failure is detected again within the window is
 * the strategy's failure in its context, in DynamoDB (Local) as in process.
 */

const db = useDynamoDbLocal();
const T0 = '2026-11-23T10:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

describe('withRevision', () => {
  it.each([
    // Why each case: the revision must take back exactly the success it revises, decayed as it has decayed since.
    { name: 'revised at once: one success becomes one failure', hl: 30, minutes: 0, s: 0, f: 1 },
    { name: 'a half-life later: half a success is left to take back, the failure is new', hl: 1 / 24 / 60 * 30, minutes: 30, s: 0, f: 1 },
    { name: 'never below zero (evidence decayed away)', hl: 0.0001, minutes: 600, s: 0, f: 1 },
  ])('$name', ({ hl, minutes, s, f }) => {
    const counted = withOutcome({ successes: 0, failures: 0 }, { success: true, at: T0, features: ['team=a'] }, hl);
    const revised = withRevision({ successes: 1, failures: 0, ...counted }, { countedAt: T0, at: at(minutes), features: ['team=a'] }, hl);
    expect(revised.evidence.s).toBeCloseTo(s, 6);
    expect(revised.evidence.f).toBeCloseTo(f, 6);
    expect(revised.buckets['team=a']!.s).toBeCloseTo(s, 6);
    expect(revised.buckets['team=a']!.f).toBeCloseTo(f, 6);
  });

  it('moves the contextual mean of that context down, and only there', () => {
    // Two successes in team=a, two in team=b; team=a's second one recurs.
    let st: Pick<Strategy, 'evidence' | 'buckets' | 'successes' | 'failures'> = { successes: 0, failures: 0 };
    for (const [i, team] of ['a', 'b', 'a', 'b'].entries()) st = { ...st, successes: i + 1, ...withOutcome(st, { success: true, at: at(i), features: [`team=${team}`] }, 30) };
    const revised = { ...st, ...withRevision(st, { countedAt: at(2), at: at(10), features: ['team=a'] }, 30), successes: 3, failures: 1 };
    const mean = (s: typeof st, team: string) => contextualPosterior(strategy(s), [`team=${team}`], { now: new Date(at(10)), halfLifeDays: 30, shrinkage: 2 }).mean;
    expect(mean(revised, 'a')).toBeLessThan(mean(st, 'a') - 0.1);
    expect(mean(revised, 'a')).toBeLessThan(mean(revised, 'b'));
  });
});

describe('reviseOutcome in DynamoDB and in process', () => {
  it('takes the success back and counts a failure once per episode, the same in both stores', async () => {
    const dynamo = createDynamoMemory({ client: db.doc, tables: db.tables, namespace: db.namespace() }).strategies;
    const local = createInMemoryStrategyStore();
    const s = strategy({ id: 'masking' });
    const success = { strategy: s, success: true, features: ['team=a'], halfLifeDays: 30, timeToRecoverSeconds: 30, at: T0, outcomeId: 'ex#1' };
    const revision = { strategy: s, features: ['team=a'], halfLifeDays: 30, countedAt: T0, at: at(12), outcomeId: 'ex#1' };
    for (const store of [dynamo, local]) {
      await store.recordOutcome(success);
      const once = await store.reviseOutcome(revision);
      // A retried revision (a crash before the episode was marked) counts nothing more; a retried success neither.
      const again = await store.reviseOutcome(revision);
      await store.recordOutcome(success);
      expect(again).toEqual(once);
      expect(once).toMatchObject({ successes: 0, failures: 1 });
      expect(once.evidence!.s).toBeCloseTo(0, 6);
      expect(once.evidence!.f).toBeCloseTo(1, 6);
      expect(once.buckets!['team=a']!.f).toBeCloseTo(1, 6);
    }
    const [d] = await dynamo.listForSignature(s.signature);
    const [l] = await local.listForSignature(s.signature);
    expect(l).toEqual(d);
  });
});

describe('noteRecurrence (the detector path) on DynamoDB Local', () => {
  const policy = (minutes: number): PolicyConfig => {
    const p = defaultPolicyConfig();
    return { ...p, selection: { ...p.selection, recurrenceWindowMinutes: minutes } };
  };
  const setup = async () => {
    const clock = { now: () => new Date(T0) };
    const memory = createDynamoMemory({ client: db.doc, tables: db.tables, namespace: db.namespace(), clock });
    const inc = incident({ kind: 'OOMKilled', target: { kind: 'Deployment', namespace: 'shop', name: 'cart' } });
    const s = strategy({ id: 'raise-limit', signature: inc.signature, action: 'patch_resources' });
    const decision = DecisionSchema.parse({
      strategyId: s.id,
      strategy: s,
      action: { action: 'patch_resources', namespace: 'shop', deployment: 'cart', container: 'cart', limits: { memory: '512Mi' } },
      mode: 'exploit',
      why: 'w',
      features: ['team=shop', 'change=image'],
      candidates: [],
      lessonsUsed: [],
    });
    const resolved: Episode = episode({ incident: inc, decision, outcome: 'resolved', endedAt: T0 });
    await memory.episodes.put(resolved);
    const features = featuresFor(s.action, decision.features);
    await memory.strategies.recordOutcome({ strategy: s, success: true, features, halfLifeDays: 30, at: T0, outcomeId: resolved.episodeId });
    return { clock, memory, inc, s, resolved };
  };

  it.each([
    // Why each case: the window is the whole rule; a fingerprint of another workload or failure must never count.
    { name: 'the same failure 12 minutes later, window 30: a recurrence', minutes: 12, window: 30, other: false, recurs: true },
    { name: 'the same failure 45 minutes later, window 30: a new incident', minutes: 45, window: 30, other: false, recurs: false },
    { name: 'window 0 turns it off', minutes: 12, window: 0, other: false, recurs: false },
    { name: 'another workload 12 minutes later: not a recurrence', minutes: 12, window: 30, other: true, recurs: false },
  ])('$name', async ({ minutes, window, other, recurs }) => {
    const { clock, memory, inc, s, resolved } = await setup();
    clock.now = () => new Date(at(minutes));
    const seen = other ? incident({ kind: 'OOMKilled', target: { kind: 'Deployment', namespace: 'shop', name: 'checkout' } }) : inc;
    const deps = { memory, policy: policy(window), clock, logger: silentLogger };
    const marked = await noteRecurrence(deps, seen);
    const [after] = await memory.strategies.listForSignature(s.signature);
    const stored = await memory.episodes.get(resolved.episodeId);
    if (recurs) {
      expect(marked).toEqual([resolved.episodeId]);
      expect(stored?.recurredAt).toBe(at(minutes));
      expect(after).toMatchObject({ successes: 0, failures: 1 });
      expect(after!.buckets!['team=shop']!.f).toBeCloseTo(1, 6);
      // The next detection of the same failure finds nothing new to revise.
      expect(await noteRecurrence(deps, seen)).toEqual([]);
      expect((await memory.strategies.listForSignature(s.signature))[0]).toEqual(after);
    } else {
      expect(marked).toEqual([]);
      expect(stored?.recurredAt).toBeUndefined();
      expect(after).toMatchObject({ successes: 1, failures: 0 });
    }
  });

  it('a failure detected before the trial ended (the running trial itself) is not a recurrence', async () => {
    const { clock, memory, inc, resolved } = await setup();
    clock.now = () => new Date(T0);
    expect(await noteRecurrence({ memory, policy: policy(30), clock, logger: silentLogger }, inc)).toEqual([]);
    expect((await memory.episodes.get(resolved.episodeId))?.recurredAt).toBeUndefined();
  });
});
