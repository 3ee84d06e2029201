import type { ApprovalStore } from './approvals';
import type { Episode, Lesson, Outcome, Strategy } from '../domain/model';

/**
 * Episodic memory (DynamoDB in production, DynamoDB Local in tests). Every
 * store is scoped to a memory namespace fixed at construction, so benchmark
 * runs never read or write a deployment's memory.
 */
export interface EpisodeStore {
  /** Writes the episode once; a retried put of the same episodeId is a no-op. Returns false when it already existed. */
  put(episode: Episode): Promise<boolean>;
  get(episodeId: string): Promise<Episode | undefined>;
  list(filter?: EpisodeFilter): Promise<Episode[]>;
  /** Lessons from past episodes, best first: same signature, then similar ones. */
  lessonsFor(query: { signature: string; kind: string; features?: string[]; limit?: number }): Promise<Lesson[]>;
  /** Resolved episodes of this fingerprint that ended at or after `since` and are not marked recurred yet, newest first. */
  resolvedSince(query: { fingerprint: string; since: string }): Promise<Episode[]>;
  /**
   * Marks a resolved episode recurred at `at` (its failure was detected again) and, in the same write, rewrites its
   * lessons so they no longer credit its strategy (domain/lessons recurredEpisode); false when already marked or absent.
   */
  markRecurred(episodeId: string, at: string): Promise<boolean>;
  clear(): Promise<number>;
}

export interface EpisodeFilter {
  cluster?: string;
  namespace?: string;
  signature?: string;
  outcome?: Outcome;
  limit?: number;
}

export interface StrategyStore {
  listForSignature(signature: string): Promise<Strategy[]>;
  listAll(): Promise<Strategy[]>;
  /** Creates the strategy if absent (statistics untouched if present). */
  ensure(strategy: Strategy): Promise<void>;
  /** Atomically counts one outcome (no lost update under concurrency), idempotent per `outcomeId`. */
  recordOutcome(input: {
    strategy: Strategy;
    success: boolean;
    /** The incident's features (`name=value`): the outcome is also counted in each one's bucket. */
    features?: string[];
    /** Evidence half-life for the decay applied at this update (default 30 days). */
    halfLifeDays?: number;
    timeToRecoverSeconds?: number;
    at: string;
    /** e.g. the episodeId; a retried call with the same id is not counted twice. */
    outcomeId: string;
  }): Promise<Strategy>;
  /**
   * Recurrence counts as failure: takes back the success counted at `countedAt` under `outcomeId` and
   * counts a failure at `at`, in the same buckets; idempotent per `outcomeId`.
   */
  reviseOutcome(input: {
    strategy: Strategy;
    features?: string[];
    halfLifeDays?: number;
    countedAt: string;
    at: string;
    outcomeId: string;
  }): Promise<Strategy>;
  clear(): Promise<number>;
}

/** Locks, cooldowns and action counts per workload, surviving restarts. */
export interface LockStore {
  /** True when acquired (or already held by the same owner); false when held by another, unexpired owner. */
  acquire(key: string, owner: string, ttlSeconds: number, now: Date): Promise<boolean>;
  /** Releases if held by owner; never throws when not held. */
  release(key: string, owner: string): Promise<void>;
  /** Records one action on a workload (for cooldown and hourly cap). Idempotent per actionId. */
  /** `requestedBy`: who asked for the action (the action API's caller), kept with the record; `note`: what it was. */
  recordAction(workloadKey: string, actionId: string, at: Date, requestedBy?: string, note?: ActionNote): Promise<void>;
  /** Actions on the workload at or after `since`, newest first. */
  actionsSince(workloadKey: string, since: Date): Promise<ActionRecord[]>;
}

/** What an action record says besides when and who: the action, and a ReplicaSet it left as failing (rollbacks, their undo). */
export interface ActionNote {
  action?: string;
  leftFailing?: { replicaSet: string; revision: number };
}

export interface ActionRecord extends ActionNote {
  actionId: string;
  at: string;
  requestedBy?: string;
}

/**
 * Request-level idempotency (the action API's `idempotency_key`): the first
 * request with a key runs and its answer is stored; a repeat of the same
 * request gets the stored answer without running again; the same key with a
 * different request throws IdempotencyConflict, never a false no-op.
 */
export interface IdempotencyStore {
  once<T>(key: string, request: Record<string, unknown>, work: () => Promise<T>): Promise<T>;
}

export interface Memory {
  readonly namespace: string;
  episodes: EpisodeStore;
  strategies: StrategyStore;
  locks: LockStore;
  idempotency: IdempotencyStore;
  /** Approval requests and decisions (in the locks table). */
  approvals: ApprovalStore;
}
