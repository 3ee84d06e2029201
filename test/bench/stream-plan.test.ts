import { describe, expect, it } from 'vitest';
import { planStreams, StreamPlanError } from './stream-plan';

const FAMILIES = ['crashloop', 'oom', 'readiness', 'hpa', 'pending', 'image'];

describe('planStreams', () => {
  it('balances families within a stream: each ⌊T/F⌋ or ⌈T/F⌉ times', () => {
    // Why: per-family n must be known and near-equal, or a family's cell is a handful of incidents.
    for (const stream of planStreams({ families: FAMILIES, streams: 10, length: 40, seed: 3 })) {
      const counts = FAMILIES.map((f) => stream.filter((i) => i.family === f).length);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(40);
      expect(Math.min(...counts)).toBeGreaterThanOrEqual(6);
      expect(Math.max(...counts)).toBeLessThanOrEqual(7);
    }
  });

  it('orders streams differently, and the same seed plans the same streams', () => {
    const a = planStreams({ families: FAMILIES, streams: 5, length: 24, seed: 9 });
    expect(planStreams({ families: FAMILIES, streams: 5, length: 24, seed: 9 })).toEqual(a);
    const orders = new Set(a.map((s) => s.map((i) => i.family).join(',')));
    expect(orders.size).toBe(5);
    expect(planStreams({ families: FAMILIES, streams: 5, length: 24, seed: 10 })).not.toEqual(a);
  });

  it('gives every (stream, position) its own instance and decision seed', () => {
    // Why: the old bench reused decision draws across faults (seeds 10000–10004 everywhere),
    // so "15 incidents" were 5 draws. Here no two incidents share either seed.
    const all = planStreams({ families: FAMILIES, streams: 12, length: 40, seed: 1 }).flat();
    expect(new Set(all.map((i) => i.instanceSeed)).size).toBe(all.length);
    expect(new Set(all.map((i) => i.decisionSeed)).size).toBe(all.length);
    expect(all.every((i) => i.instanceSeed !== i.decisionSeed)).toBe(true);
  });

  it('marks positions from the shift on, at ⌊2T/3⌋ by default', () => {
    const [stream] = planStreams({ families: FAMILIES, streams: 1, length: 30, seed: 1 });
    expect(stream!.filter((i) => i.shifted).map((i) => i.index)).toEqual(Array.from({ length: 10 }, (_, k) => 20 + k));
    const [late] = planStreams({ families: FAMILIES, streams: 1, length: 30, seed: 1, shiftAt: 30 });
    expect(late!.some((i) => i.shifted)).toBe(false);
  });

  it.each([
    // Why each: a plan that cannot be run must say why before DynamoDB Local starts.
    { options: { families: [], streams: 1, length: 4, seed: 1 }, message: /no families/ },
    { options: { families: ['a', 'a'], streams: 1, length: 4, seed: 1 }, message: /repeat/ },
    { options: { families: ['a'], streams: 0, length: 4, seed: 1 }, message: /streams must be/ },
    { options: { families: ['a'], streams: 1, length: 1, seed: 1 }, message: /length must be/ },
    { options: { families: ['a'], streams: 1, length: 4, seed: 1, shiftAt: 0 }, message: /shiftAt must be/ },
  ])('refuses $message', ({ options, message }) => {
    expect(() => planStreams(options)).toThrow(StreamPlanError);
    expect(() => planStreams(options)).toThrow(message);
  });
});
