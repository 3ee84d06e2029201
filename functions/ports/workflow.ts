/** Starts remediation executions (Step Functions, or the local ASL runner). */
export interface WorkflowStarter {
  /**
   * Starts an execution with an idempotent name. Starting the same name again
   * with the same input does not start a second execution (`started: false`).
   */
  start(name: string, input: unknown): Promise<{ started: boolean; executionId: string }>;
}

/** Events for the outside world (EventBridge bus, or a local recorder). */
export type OutboundEventType =
  | 'IncidentDetected'
  | 'RemediationResolved'
  | 'RemediationEscalated'
  /** An alert that started nothing, with why (no workload named, healthy, protected...). */
  | 'AlertIgnored'
  /** A resolved alert, recorded against the incident it was about when one is known. */
  | 'AlertResolved'
  /** An action waits for an operator's approval of its digest (never carries the task token). */
  | 'ApprovalRequested'
  /** An approval request was approved, denied or found stale. */
  | 'ApprovalDecided';
export interface EventPublisher {
  publish(type: OutboundEventType, detail: Record<string, unknown>): Promise<void>;
}
