import { mulberry32 } from '../../functions/domain/selection';
import { hashSeed } from './stats';

/**
 * Which incident comes when, in every stream of the stream benchmark. Pure:
 * the same (families, streams, length, seed) plan the same streams on every
 * machine, and every arm runs the same plan (arms are paired by stream and
 * position). Seeds are hashed per (stream, position): no two incidents share
 * an instance or a decision draw, whatever the family.
 */

export interface PlannedIncident {
  stream: number;
  /** Position in the stream, from 0. */
  index: number;
  family: string;
  /** Draws the instance (names, sizes, the hidden cause). */
  instanceSeed: number;
  /** Draws the system's selection (the same in every arm: common random numbers). */
  decisionSeed: number;
  /** At or after the stream's shift point: families with a shift draw their causes from the shifted mix. */
  shifted: boolean;
}

export interface StreamPlanOptions {
  families: readonly string[];
  streams: number;
  length: number;
  seed: number;
  /** Position of the cause-mix shift (default: two thirds of the stream, inside the late half). */
  shiftAt?: number;
}

export class StreamPlanError extends Error {
  override readonly name = 'StreamPlanError' as const;
}

/** The default shift point: ⌊2T/3⌋, so the late half has a stretch before and after it. */
export const defaultShiftAt = (length: number) => Math.floor((2 * length) / 3);

/** The late window: the last half of each stream (positions ⌊T/2⌋ … T−1). */
export const lateStart = (length: number) => Math.floor(length / 2);

/**
 * Each stream holds every family ⌊T/F⌋ times, plus one more of T mod F
 * families picked at random, in a random order: families stay balanced
 * (n per family is known in advance), the order is unpredictable.
 */
export function planStreams(options: StreamPlanOptions): PlannedIncident[][] {
  const { families, streams, length, seed } = options;
  if (families.length === 0) throw new StreamPlanError('no families to draw incidents from');
  if (new Set(families).size !== families.length) throw new StreamPlanError(`family names repeat: ${families.join(', ')}`);
  if (!Number.isInteger(streams) || streams < 1) throw new StreamPlanError(`streams must be a positive integer, got ${streams}`);
  if (!Number.isInteger(length) || length < 2) throw new StreamPlanError(`length must be an integer ≥ 2, got ${length}`);
  const shiftAt = options.shiftAt ?? defaultShiftAt(length);
  if (!Number.isInteger(shiftAt) || shiftAt < 1 || shiftAt > length) throw new StreamPlanError(`shiftAt must be an integer from 1 to ${length}, got ${shiftAt}`);
  return Array.from({ length: streams }, (_, stream) => {
    const random = mulberry32(hashSeed(seed, 'order', stream));
    const extra = shuffle([...families], random).slice(0, length % families.length);
    const bag = families.flatMap((f) => Array<string>(Math.floor(length / families.length) + (extra.includes(f) ? 1 : 0)).fill(f));
    return shuffle(bag, random).map((family, index) => ({
      stream,
      index,
      family,
      instanceSeed: hashSeed(seed, 'instance', stream, index),
      decisionSeed: hashSeed(seed, 'decision', stream, index),
      shifted: index >= shiftAt,
    }));
  });
}

/** Fisher–Yates, in place, with the given source. */
export function shuffle<T>(xs: T[], random: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}
