/**
 * Named errors. Each `name` is a string literal because the state machine's
 * Retry/Catch `ErrorEquals` match on it (Lambda reports `errorType` = name).
 * Keep the original error as `cause`.
 */

export abstract class ReflexionError extends Error {
  abstract override readonly name: string;
  /** Whether the state machine retries a task that threw this error. */
  readonly retryable: boolean = false;
}

/** Input (payload, task input, env, model answer, stored item) failed its schema. */
export class ValidationError extends ReflexionError {
  override readonly name = 'ValidationError' as const;
  constructor(
    message: string,
    /** Dotted path of the offending field, e.g. `replicas` or `incident.target.name`. */
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The policy refused an action; nothing was written. */
export class PolicyViolation extends ReflexionError {
  override readonly name = 'PolicyViolation' as const;
  constructor(
    message: string,
    /** Machine-readable rule id, e.g. `protected-namespace`, `cooldown`. */
    readonly rule: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Another execution holds the workload's lock. */
export class LockHeld extends ReflexionError {
  override readonly name = 'LockHeld' as const;
}

/** The reasoner (model) failed or answered outside its schema. */
export class ReasonerError extends ReflexionError {
  override readonly name = 'ReasonerError' as const;
}

/**
 * An idempotency key was reused for a different request, or its first
 * request is still running: nothing was done for this one.
 */
export class IdempotencyConflict extends ReflexionError {
  override readonly name = 'IdempotencyConflict' as const;
  constructor(
    message: string,
    readonly reason: 'different-request' | 'in-progress',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Memory (DynamoDB) failed. */
export class MemoryError extends ReflexionError {
  override readonly name = 'MemoryError' as const;
}
export class MemoryThrottled extends ReflexionError {
  override readonly name = 'MemoryThrottled' as const;
  override readonly retryable = true;
}

/** Kubernetes API errors, mapped from HTTP status by the cluster adapter. */
export class KubeError extends ReflexionError {
  override readonly name: string = 'KubeError';
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
export class KubeUnauthorized extends KubeError {
  override readonly name = 'KubeUnauthorized' as const;
}
/** The RBAC permission a Forbidden answer says is missing (parsed from the server's Status message). */
export interface MissingPermission {
  verb: string;
  /** Resource with its subresource, e.g. `deployments/scale`. */
  resource: string;
  /** API group; '' for the core group. */
  group: string;
  /** Absent for a cluster-scoped request. */
  namespace?: string;
}
export class KubeForbidden extends KubeError {
  override readonly name = 'KubeForbidden' as const;
  constructor(
    message: string,
    status?: number,
    options?: { cause?: unknown },
    /** What RBAC must grant for the request to pass, when the server said. */
    readonly permission?: MissingPermission,
  ) {
    super(message, status, options);
  }
}
export class KubeNotFound extends KubeError {
  override readonly name = 'KubeNotFound' as const;
}
export class KubeConflict extends KubeError {
  override readonly name = 'KubeConflict' as const;
  override readonly retryable = true;
}
export class KubeInvalid extends KubeError {
  override readonly name = 'KubeInvalid' as const;
}
export class KubeThrottled extends KubeError {
  override readonly name = 'KubeThrottled' as const;
  override readonly retryable = true;
}
export class KubeUnavailable extends KubeError {
  override readonly name = 'KubeUnavailable' as const;
  override readonly retryable = true;
}
export class KubeTimeout extends KubeError {
  override readonly name = 'KubeTimeout' as const;
  override readonly retryable = true;
}

/** Error names the state machine retries (with back-off) before catching. */
export const RETRYABLE_ERROR_NAMES = [
  'KubeConflict',
  'KubeThrottled',
  'KubeUnavailable',
  'KubeTimeout',
  'MemoryThrottled',
] as const;
