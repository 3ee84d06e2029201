import { describe, expect, it } from 'vitest';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import { noteRecurrence } from '../../functions/app/recurrence';
import { DeterministicReasoner } from '../../functions/domain/deterministic-reasoner';
import { incidentFeatures, lessonsForProposal, recurredEpisode } from '../../functions/domain/lessons';
import { DecisionSchema, type Episode, type Lesson } from '../../functions/domain/model';
import { defaultPolicyConfig } from '../../functions/domain/policy-config';
import { silentLogger } from '../../functions/ports/logger';
import { useDynamoDbLocal } from '../support/dynamodb';
import { episode, incident, strategy } from './fixtures';

/**
 * A recurred episode's lessons stop recommending its strategy (#14): the
 * resolved trial's reflection said the remedy worked; once the failure came
 * back within the window (app/recurrence), the lessons Analyse retrieves for
 * the next incident of the signature say it only masked the fault, name the
 * strategy (so it rules out that strategy, not its whole action) and say why.
 * The rewrite and the `recurredAt` stamp are one conditional write.
 */

const db = useDynamoDbLocal();
const T0 = '2026-11-23T10:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();
const inc = incident({ kind: 'OOMKilled', target: { kind: 'Deployment', namespace: 'shop', name: 'cart' } });
const masking = strategy({ id: 'raise-limit', signature: inc.signature, action: 'patch_resources', source: 'seeded', description: 'raise the memory limit ×2' });
const decision = (s = masking, action: Record<string, unknown> = { action: 'patch_resources', namespace: 'shop', deployment: 'cart', container: 'cart', limits: { memory: '512Mi' } }) =>
  DecisionSchema.parse({ strategyId: s.id, strategy: s, action, mode: 'exploit', why: 'w', features: ['team=shop'], candidates: [], lessonsUsed: [] });
const credit: Lesson = { text: 'a low memory limit; raised the limit to 512Mi restored readiness in 40 s', signature: inc.signature, action: 'patch_resources', outcome: 'success', strategyId: 'raise-limit' };

describe('recurredEpisode (the rewrite)', () => {
  it.each<{ name: string; lessons: Lesson[] | undefined; escalate?: boolean; kept: string[]; rewritten: boolean }>([
    // Why: the case itself — the success lesson reflect stamped with the strategy is replaced.
    { name: 'a success lesson naming the strategy is replaced', lessons: [credit], kept: [], rewritten: true },
    // Why: lessons written before they named a strategy credit the action; on this episode that was the strategy.
    { name: 'an older lesson without strategyId or outcome, same action, is replaced', lessons: [{ text: 'patch_resources worked', signature: inc.signature }], kept: [], rewritten: true },
    // Why: a lesson about another strategy (or another action) says nothing about the masking remedy and stays.
    {
      name: 'lessons about other strategies or actions are kept',
      lessons: [credit, { ...credit, text: 'the metric-sized raise worked', strategyId: 'sized' }, { text: 'restarting did not help', signature: inc.signature, action: 'rollout_restart', outcome: 'failure' }],
      kept: ['the metric-sized raise worked', 'restarting did not help'],
      rewritten: true,
    },
    // Why: an episode stored without a reflection still gets the lesson that says why.
    { name: 'no reflection: the lesson is added', lessons: undefined, kept: [], rewritten: true },
    // Why: an escalation fixed nothing and recommended nothing; only the stamp changes (as the strategy is not revised).
    { name: 'an escalation keeps its lessons', lessons: [{ text: 'escalated', signature: inc.signature, action: 'escalate' }], escalate: true, kept: ['escalated'], rewritten: false },
  ])('$name', ({ lessons, escalate, kept, rewritten }) => {
    const d = escalate ? decision(strategy({ id: 'esc', signature: inc.signature, action: 'escalate' }), { action: 'escalate', namespace: 'shop', reason: 'r' }) : decision();
    const before = episode({ incident: inc, decision: d, endedAt: T0, ...(lessons ? { lessons } : {}) });
    const after = recurredEpisode(before, at(12));
    expect(after.recurredAt).toBe(at(12));
    const texts = after.reflection?.lessons.map((l) => l.text) ?? [];
    if (!rewritten) {
      expect(after.reflection).toEqual(before.reflection);
      return;
    }
    expect(after.reflection!.lessons[0]).toMatchObject({ outcome: 'failure', action: 'patch_resources', strategyId: 'raise-limit', episodeId: before.episodeId, signature: inc.signature });
    expect(texts[0]).toMatch(/^patch_resources did not fix OOMKilled:.*raise the memory limit ×2.*recurred 12 min later.*masked/);
    expect(texts.slice(1)).toEqual(kept);
    expect(after.reflection!.text).toMatch(/recurred 12 min after/);
  });

  it.each([
    // Why: descriptions are templates; the lesson names the strategy as it applied to this workload.
    { description: 'roll back {{target.name}} to its previous revision', named: 'roll back cart to its previous revision' },
    // Why: a reasoner strategy's description can quote cluster text, and lessons are stored and shown to the model.
    { description: 'dsn postgres://app:hunter2@db.shop.svc:5432/orders is slow', named: 'postgres://app:[REDACTED:url-password]@db' },
  ])('names the strategy by its description, filled in and sanitised: $named', ({ description, named }) => {
    const s = strategy({ id: 'rb', signature: inc.signature, action: 'rollback_deployment', description });
    const before = episode({ incident: inc, decision: decision(s, { action: 'rollback_deployment', namespace: 'shop', deployment: 'cart' }), endedAt: T0, lessons: [credit] });
    const text = recurredEpisode(before, at(12)).reflection!.lessons[0]!.text;
    expect(text).toContain(named);
    expect(text).not.toContain('hunter2');
  });
});

describe('after a recurrence, the lessons Analyse retrieves (DynamoDB Local)', () => {
  it('no longer recommend the masking strategy, and say why', async () => {
    const clock = { now: () => new Date(T0) };
    const memory = createDynamoMemory({ client: db.doc, tables: db.tables, namespace: db.namespace(), clock });
    const reasoner = new DeterministicReasoner();
    const d = decision();
    // The reflection as the Reflect step writes it: the deterministic reasoner's lessons, stamped with the strategy.
    const reflected = await reasoner.reflect({ incident: inc, trial: 1, action: d.action, outcome: 'resolved', timeToRecoverSeconds: 40 });
    const reflection = { ...reflected, lessons: reflected.lessons.map((l) => (l.action === d.action.action ? { ...l, strategyId: d.strategyId } : l)) };
    const resolved: Episode = episode({ incident: inc, decision: d, outcome: 'resolved', endedAt: T0, reflection });
    await memory.episodes.put(resolved);
    await memory.strategies.recordOutcome({ strategy: masking, success: true, features: ['team=shop'], halfLifeDays: 30, at: T0, outcomeId: resolved.episodeId });

    // What Analyse asks for (functions/app/steps/analyse.ts) when the same failure comes back.
    const next = { ...inc, detectedAt: at(12) };
    const retrieve = () => memory.episodes.lessonsFor({ signature: next.signature, kind: next.kind, features: incidentFeatures(next) });
    const credits = (ls: Lesson[]) => ls.filter((l) => l.outcome === 'success' && l.action === 'patch_resources');
    const before = await retrieve();
    // Before: the lesson recommends the remedy, and the reasoner's analysis cites it as what worked.
    expect(credits(before)).toHaveLength(1);
    expect((await reasoner.analyse({ incident: next, lessons: before })).hypotheses.join('\n')).toMatch(/an earlier incident with this signature/);

    clock.now = () => new Date(at(12));
    expect(await noteRecurrence({ memory, policy: defaultPolicyConfig(), clock, logger: silentLogger }, next)).toEqual([resolved.episodeId]);

    const after = await retrieve();
    expect(credits(after)).toEqual([]);
    const why = after.find((l) => l.strategyId === masking.id);
    expect(why).toMatchObject({ outcome: 'failure', action: 'patch_resources', signature: inc.signature, episodeId: resolved.episodeId });
    expect(why!.text).toMatch(/recurred 12 min later, so it only masked the fault and is not a fix in this context/);
    expect((await reasoner.analyse({ incident: next, lessons: after })).hypotheses.join('\n')).not.toMatch(/an earlier incident with this signature/);
    // It rules out the seeded strategy, not every patch_resources: handed to the reasoner, its action tag is gone.
    expect(lessonsForProposal([why!], new Set([masking.id]))[0]).not.toHaveProperty('action');
    // Stamp and lessons went together; the episode read back carries both.
    const stored = await memory.episodes.get(resolved.episodeId);
    expect(stored?.recurredAt).toBe(at(12));
    expect(stored?.reflection?.lessons[0]?.text).toBe(why!.text);
  });

  it('a racing detection that lost writes neither the stamp nor a second lesson', async () => {
    const namespace = db.namespace();
    const clock = { now: () => new Date(at(12)) };
    const memory = createDynamoMemory({ client: db.doc, tables: db.tables, namespace, clock });
    const resolved = episode({ incident: inc, decision: decision(), endedAt: T0, lessons: [credit] });
    await memory.episodes.put(resolved);
    // A second detector reads the episode unmarked, and the first one's write lands before its own.
    let raced = false;
    const racing = Object.create(db.doc) as typeof db.doc;
    racing.send = (async (command: { constructor: { name: string } }) => {
      if (command.constructor.name === 'UpdateCommand' && !raced) {
        raced = true;
        expect(await memory.episodes.markRecurred(resolved.episodeId, at(12))).toBe(true);
      }
      return db.doc.send(command as never);
    }) as typeof db.doc.send;
    const loser = createDynamoMemory({ client: racing, tables: db.tables, namespace, clock: { now: () => new Date(at(13)) } });
    expect(await loser.episodes.markRecurred(resolved.episodeId, at(13))).toBe(false);
    expect(raced).toBe(true);
    const stored = await memory.episodes.get(resolved.episodeId);
    expect(stored?.recurredAt).toBe(at(12));
    expect(stored?.reflection?.lessons.map((l) => l.outcome)).toEqual(['failure']);
    expect(stored?.reflection?.lessons[0]?.text).toMatch(/recurred 12 min later/);
    const retrieved = await memory.episodes.lessonsFor({ signature: inc.signature, kind: inc.kind });
    expect(retrieved.map((l) => l.text)).toEqual([stored!.reflection!.lessons[0]!.text]);
  });
});
