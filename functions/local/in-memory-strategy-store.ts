import { z } from 'zod';
import { ValidationError } from '../domain/errors';
import { StrategySchema, type Strategy } from '../domain/model';
import { StrategyOutcomeSchema, StrategyRevisionSchema, withOutcome, withRevision } from '../domain/selection-context';
import { describeZodIssue } from '../domain/zod-issue';
import type { StrategyStore } from '../ports/memory';

/**
 * Strategies in process: the same statistics as the DynamoDB store (raw
 * counts, decayed evidence, per-feature buckets, each outcome counted once
 * per outcomeId) without a server, for runs that need no durability (a
 * benchmark's memory-on arm in one process). Not shared across processes.
 */
export function createInMemoryStrategyStore(): StrategyStore {
  const strategies = new Map<string, Strategy & { ttrSum: number; ttrCount: number }>();
  const counted = new Set<string>();
  const key = (s: Pick<Strategy, 'signature' | 'id'>) => `${s.signature}\u0000${s.id}`;
  const out = (s: Strategy & { ttrSum: number; ttrCount: number }): Strategy => {
    const { ttrSum, ttrCount, ...rest } = s;
    return structuredClone({ ...rest, ...(ttrCount > 0 ? { meanTimeToRecoverSeconds: ttrSum / ttrCount } : {}) });
  };
  const parse = <T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> => {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const { field, message } = describeZodIssue(parsed.error);
    throw new ValidationError(`${what}: ${message}`, field);
  };

  return {
    async listForSignature(signature) {
      return [...strategies.values()].filter((s) => s.signature === signature).map(out);
    },
    async listAll() {
      return [...strategies.values()].map(out);
    },
    async ensure(value) {
      const s = parse(StrategySchema, value, 'strategy');
      if (strategies.has(key(s))) return;
      const mean = s.meanTimeToRecoverSeconds;
      strategies.set(key(s), { ...s, ttrSum: mean !== undefined ? mean * s.successes : 0, ttrCount: mean !== undefined ? s.successes : 0 });
    },
    async recordOutcome(value) {
      const o = parse(StrategyOutcomeSchema, value, 'strategy outcome');
      const k = key(o.strategy);
      const marker = `${o.strategy.id}\u0000${o.outcomeId}`;
      const current = strategies.get(k) ?? { ...o.strategy, successes: 0, failures: 0, evidence: undefined, buckets: undefined, ttrSum: 0, ttrCount: 0 };
      if (!counted.has(marker)) {
        counted.add(marker);
        const next = withOutcome(current, { success: o.success, at: o.at, features: o.features ?? [] }, o.halfLifeDays ?? 30);
        const timed = o.success && o.timeToRecoverSeconds !== undefined;
        strategies.set(k, {
          ...current,
          ...next,
          successes: current.successes + (o.success ? 1 : 0),
          failures: current.failures + (o.success ? 0 : 1),
          lastUsedAt: o.at,
          ttrSum: current.ttrSum + (timed ? (o.timeToRecoverSeconds ?? 0) : 0),
          ttrCount: current.ttrCount + (timed ? 1 : 0),
        });
      }
      return out(strategies.get(k) as Strategy & { ttrSum: number; ttrCount: number });
    },
    async reviseOutcome(value) {
      const r = parse(StrategyRevisionSchema, value, 'strategy revision');
      const k = key(r.strategy);
      const marker = `${r.strategy.id}\u0000${r.outcomeId}#recurred`;
      const current = strategies.get(k) ?? { ...r.strategy, successes: 0, failures: 0, evidence: undefined, buckets: undefined, ttrSum: 0, ttrCount: 0 };
      if (!counted.has(marker)) {
        counted.add(marker);
        const next = withRevision(current, { countedAt: r.countedAt, at: r.at, features: r.features ?? [] }, r.halfLifeDays ?? 30);
        strategies.set(k, { ...current, ...next, successes: Math.max(0, current.successes - 1), failures: current.failures + 1, lastUsedAt: r.at });
      }
      return out(strategies.get(k) as Strategy & { ttrSum: number; ttrCount: number });
    },
    async clear() {
      const n = strategies.size;
      strategies.clear();
      counted.clear();
      return n;
    },
  };
}
