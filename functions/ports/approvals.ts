import type { ApprovalDigest } from '../domain/approval';

/**
 * Pending and decided approvals (README, "Approvals"), kept beside the locks. The task
 * token that resumes the waiting execution lives only here: it is never put
 * on the event bus, so holding the digest is not enough to resume anything —
 * an approval goes through approve_action, which checks the object first.
 */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'stale';

export interface ApprovalRecord {
  digest: ApprovalDigest;
  taskToken: string;
  status: ApprovalStatus;
  decidedBy?: string;
  decidedAt?: string;
  note?: string;
}

export interface ApprovalStore {
  /** Stores a pending request; a retried request of the same digest replaces the token while still pending. */
  request(digest: ApprovalDigest, taskToken: string): Promise<void>;
  get(digest: string): Promise<ApprovalRecord | undefined>;
  /**
   * Moves a pending request to its decision, exactly once: false when it was
   * no longer pending (someone decided first).
   */
  decide(digest: string, decision: { status: Exclude<ApprovalStatus, 'pending'>; by: string; at: Date; note?: string }): Promise<boolean>;
}

/** Resumes executions waiting on a task token (Step Functions SendTask*, or the local runner). */
export interface TaskTokens {
  succeed(taskToken: string, output: Record<string, unknown>): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
}
