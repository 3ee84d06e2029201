import type { Lesson } from '../../functions/domain/model';
import type { Memory } from '../../functions/ports/memory';

/**
 * The shuffled-outcome control: memory-on whose memory is fed outcomes
 * permuted within the arm. Every outcome the system records is replaced by
 * one drawn uniformly from the outcomes this stream has produced so far (the
 * current one included; a recurrence turns one success of the pool into a
 * failure, told to no strategy): the volume of memory and the success rate stay,
 * the link between strategy, context and outcome goes. Lessons stored with
 * an episode are swapped the same way (they carry outcomes too). What the
 * system sees within one incident (its own trials) is untouched; the
 * benchmark reads the true outcomes from the episodes it stores.
 *
 * The pool lives across incidents: one per stream, passed to every
 * incident's wrapper.
 */
export interface ShufflePool {
  outcomes: boolean[];
  lessons: Lesson[][];
  random: () => number;
}

export function newShufflePool(random: () => number): ShufflePool {
  return { outcomes: [], lessons: [], random };
}

const draw = <T>(pool: T[], random: () => number): T => pool[Math.floor(random() * pool.length)]!;

/** Replaces one method of a store, passing every other (present or future) method through. */
function override<T extends object, K extends keyof T>(target: T, name: K, replacement: T[K]): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      if (prop === name) return replacement;
      const value = Reflect.get(t, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
}

export function shuffledOutcomes(memory: Memory, pool: ShufflePool): Memory {
  const { strategies, episodes } = memory;
  return {
    ...memory,
    strategies: override(
      override(strategies, 'recordOutcome', async (input) => {
        pool.outcomes.push(input.success);
        return strategies.recordOutcome({ ...input, success: draw(pool.outcomes, pool.random) });
      }),
      'reviseOutcome',
      async (input) => {
        // A recurrence turns one true success into a failure: so does the pool (the rate later draws follow),
        // but the strategy and context it happened to are not told (that link is what the control breaks).
        const i = pool.outcomes.indexOf(true);
        if (i >= 0) pool.outcomes[i] = false;
        const [current] = (await strategies.listForSignature(input.strategy.signature)).filter((s) => s.id === input.strategy.id);
        return current ?? input.strategy;
      },
    ),
    episodes: override(episodes, 'put', async (episode) => {
      // The reflection's lessons are what later incidents retrieve: permute them, keep the episode's true outcome.
      if (!episode.reflection) return episodes.put(episode);
      pool.lessons.push(episode.reflection.lessons);
      return episodes.put({ ...episode, reflection: { ...episode.reflection, lessons: draw(pool.lessons, pool.random) } });
    }),
  };
}
