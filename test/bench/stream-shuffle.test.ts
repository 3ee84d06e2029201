import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../functions/domain/selection';
import type { Episode, Lesson, Strategy } from '../../functions/domain/model';
import type { Memory } from '../../functions/ports/memory';
import { episode, strategy } from '../memory/fixtures';
import { newShufflePool, shuffledOutcomes } from './stream-shuffle';

/** A memory fake that keeps what reaches the store (the wrapper is about what gets recorded). */
function recordingMemory() {
  const outcomes: boolean[] = [];
  const puts: Episode[] = [];
  const revised: string[] = [];
  const memory = {
    namespace: 'sb-test',
    strategies: {
      async recordOutcome(input: { strategy: Strategy; success: boolean }) {
        outcomes.push(input.success);
        return input.strategy;
      },
      async listForSignature() {
        return [strategy()];
      },
      async reviseOutcome(input: { strategy: Strategy }) {
        revised.push(input.strategy.id);
        return input.strategy;
      },
    },
    episodes: {
      async put(e: Episode) {
        puts.push(e);
        return true;
      },
    },
  } as unknown as Memory;
  return { memory, outcomes, puts, revised };
}

describe('shuffled-outcome control', () => {
  it('records outcomes drawn from the stream so far: same volume, the link to the strategy broken', async () => {
    const inner = recordingMemory();
    const pool = newShufflePool(mulberry32(5));
    const truth = Array.from({ length: 200 }, (_, i) => i % 4 !== 0); // 75 % success, in a fixed pattern
    // A new wrapper per incident, one pool per stream (as the bench does).
    for (const [i, success] of truth.entries()) {
      await shuffledOutcomes(inner.memory, pool).strategies.recordOutcome({ strategy: strategy(), success, at: '2026-01-01T00:00:00Z', outcomeId: `o${i}` });
    }
    expect(inner.outcomes).toHaveLength(200);
    // The success rate survives (within sampling noise) …
    const rate = inner.outcomes.filter(Boolean).length / 200;
    expect(rate).toBeGreaterThan(0.6);
    expect(rate).toBeLessThan(0.9);
    // … the pairing does not: many recorded outcomes differ from the true one of that call.
    const mismatched = inner.outcomes.filter((o, i) => o !== truth[i]).length;
    expect(mismatched).toBeGreaterThan(30);
    // The first outcome of a stream can only be itself (nothing else seen yet).
    expect(inner.outcomes[0]).toBe(truth[0]);
  });

  it('swaps the lessons an episode stores, keeps its true outcome, passes every other method through', async () => {
    const inner = recordingMemory();
    const pool = newShufflePool(() => 0); // always the first lessons seen
    const lessonsOf = (text: string): Lesson[] => [{ text, signature: 's', outcome: 'failure', action: 'rollout_restart' }];
    const first = episode({ episodeId: 'e1', outcome: 'failed', lessons: lessonsOf('restart did not help') });
    const second = episode({ episodeId: 'e2', outcome: 'resolved', lessons: lessonsOf('rollback fixed it') });
    const wrapped = shuffledOutcomes(inner.memory, pool);
    await wrapped.episodes.put(first);
    await wrapped.episodes.put(second);
    expect(inner.puts.map((e) => [e.episodeId, e.outcome, e.reflection?.lessons[0]?.text])).toEqual([
      ['e1', 'failed', 'restart did not help'],
      ['e2', 'resolved', 'restart did not help'], // the lessons of another episode
    ]);
    expect(await wrapped.strategies.listForSignature('s')).toHaveLength(1);
    expect(wrapped.namespace).toBe('sb-test');
  });

  it('a recurrence turns one pooled success into a failure and revises no strategy (the link stays broken)', async () => {
    // Why: memory-on's recurrence revises the strategy it happened to; the control must feel the failure in its
    // success rate only, or it would learn the same strategy–context link it exists to rule out.
    const inner = recordingMemory();
    const pool = newShufflePool(mulberry32(9));
    const wrapped = shuffledOutcomes(inner.memory, pool);
    for (const [i, success] of [true, true, false].entries()) {
      await wrapped.strategies.recordOutcome({ strategy: strategy(), success, at: '2026-01-01T00:00:00Z', outcomeId: `o${i}` });
    }
    await wrapped.strategies.reviseOutcome({ strategy: strategy({ id: 'masked' }), countedAt: '2026-01-01T00:00:00Z', at: '2026-01-01T00:10:00Z', outcomeId: 'o0' });
    expect(inner.revised).toEqual([]);
    expect(pool.outcomes).toEqual([false, true, false]);
  });
});
