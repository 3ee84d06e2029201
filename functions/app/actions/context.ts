import { z } from 'zod';
import { DigestSchema } from '../../domain/approval';
import type { PolicyConfig } from '../../domain/policy-config';
import type { Clock } from '../../ports/clock';
import type { Cluster } from '../../ports/cluster';
import type { Logger } from '../../ports/logger';
import type { EpisodeStore, LockStore } from '../../ports/memory';

/** What every action executor needs. */
export interface ExecuteDeps {
  cluster: Cluster;
  /** Its `mode` is the mode of this call (the caller tightens it, e.g. for an API dry_run). */
  policy: PolicyConfig;
  clock: Clock;
  logger: Logger;
  locks: LockStore;
  /** Episodes of past incidents: rollback_deployment's default target excludes revisions they saw failing. */
  episodes?: Pick<EpisodeStore, 'list'>;
}

export interface ActionContext {
  /** Idempotency key, `<executionId>#<trial>` (undo: `...#undo`). The same key never writes twice. */
  actionId: string;
  /** Why, in a sentence: goes into the Kubernetes Event. */
  reason: string;
  trial?: number;
  /** Who asked (action API `requested_by`, or `anonymous`): recorded in the Event, the marker and the result. */
  requestedBy?: string;
  /** The digest an operator approved for this very action id; only the approval gate's caller sets it, after checking the approval store. */
  approvedDigest?: string;
}

export const ContextSchema = z.object({
  actionId: z.string().min(1).max(300),
  reason: z.string().max(2000),
  trial: z.number().int().positive().optional(),
  requestedBy: z.string().min(1).max(100).optional(),
  approvedDigest: DigestSchema.optional(),
});
