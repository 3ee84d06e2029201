/**
 * Kubernetes `Status` bodies and the error that carries one. Every failure the
 * simulated API server returns is one of these, shaped exactly like the real
 * apiserver's (k8s.io/apimachinery/pkg/api/errors), so client code that reads
 * `reason`/`code`/`details.causes` behaves the same against both.
 */

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code?: number;
}

/** A failed API call; `status` is the body sent to the client. */
export class ApiError extends Error {
  override readonly name = 'ApiError' as const;
  constructor(readonly status: StatusBody) {
    super(status.message ?? status.reason ?? `HTTP ${status.code}`);
  }
  get code(): number {
    return this.status.code ?? 500;
  }
  get reason(): string | undefined {
    return this.status.reason;
  }
}

function failure(code: number, reason: string | undefined, message: string, details?: StatusDetails): ApiError {
  // Key order as the real server serializes it (details before code), so bodies compare equal as text too.
  const body = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message } as StatusBody;
  if (reason) body.reason = reason;
  if (details) body.details = details;
  body.code = code;
  return new ApiError(body);
}

/** A Success Status. The real server omits `code` on delete responses, so `code` is optional here. */
export function successStatus(code?: number, details?: StatusDetails): StatusBody {
  const body = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' } as StatusBody;
  if (details) body.details = details;
  if (code !== undefined) body.code = code;
  return body;
}

/** `deployments.apps`, or `pods` for the core group: how the real server names a resource in messages. */
export function qualifiedResource(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

export const errors = {
  notFound(group: string, resource: string, name: string): ApiError {
    return failure(404, 'NotFound', `${qualifiedResource(group, resource)} "${name}" not found`, { name, group: group || undefined, kind: resource });
  },
  unknownResource(): ApiError {
    return failure(404, 'NotFound', 'the server could not find the requested resource', {});
  },
  methodNotAllowed(): ApiError {
    return failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
  },
  alreadyExists(group: string, resource: string, name: string): ApiError {
    return failure(409, 'AlreadyExists', `${qualifiedResource(group, resource)} "${name}" already exists`, { name, group: group || undefined, kind: resource });
  },
  conflict(group: string, resource: string, name: string, why: string): ApiError {
    return failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(group, resource)} "${name}": ${why}`, {
      name,
      group: group || undefined,
      kind: resource,
    });
  },
  staleResourceVersion(group: string, resource: string, name: string): ApiError {
    return errors.conflict(group, resource, name, 'the object has been modified; please apply your changes to the latest version and try again');
  },
  invalid(group: string, kind: string, name: string, causes: StatusCause[]): ApiError {
    const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
    const list = summary.length === 1 ? summary[0] : `[${summary.join(', ')}]`;
    return failure(422, 'Invalid', `${group ? `${kind}.${group}` : kind} "${name}" is invalid: ${list}`, {
      name,
      group: group || undefined,
      kind,
      causes,
    });
  },
  badRequest(message: string): ApiError {
    return failure(400, 'BadRequest', message);
  },
  unauthorized(): ApiError {
    return failure(401, 'Unauthorized', 'Unauthorized');
  },
  forbidden(group: string, resource: string, name: string, why: string): ApiError {
    return failure(403, 'Forbidden', `${qualifiedResource(group, resource)} "${name}" is forbidden: ${why}`, { name, group: group || undefined, kind: resource });
  },
  unsupportedMediaType(contentType: string, accepted: string[]): ApiError {
    return failure(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format (${contentType || 'no Content-Type'}) - accepted media types include: ${accepted.join(', ')}`,
    );
  },
  /** A continue token or watch resourceVersion older than what the server still holds. */
  expired(message: string): ApiError {
    return failure(410, 'Expired', message);
  },
  gone(message: string): ApiError {
    return failure(410, 'Gone', message);
  },
  /** What the real server answers for a few request errors it classifies as internal (no reason). */
  bareInternal(message: string): ApiError {
    return failure(500, undefined, message);
  },
  /** Invalid query options (dryRun etc.), reported against the verb's options kind like the real server. */
  invalidOptions(kind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions', causes: StatusCause[]): ApiError {
    const summary = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
    return failure(422, 'Invalid', `${kind}.meta.k8s.io "" is invalid: ${summary}`, { group: 'meta.k8s.io', kind, causes });
  },
  internal(message: string): ApiError {
    return failure(500, 'InternalError', `Internal error occurred: ${message}`);
  },
};

/** Field-level validation problems, collected then thrown as one 422. */
export const cause = {
  required: (field: string): StatusCause => ({ reason: 'FieldValueRequired', message: 'Required value', field }),
  invalid: (field: string, value: unknown, detail: string): StatusCause => ({
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
    field,
  }),
  duplicate: (field: string, value: unknown): StatusCause => ({ reason: 'FieldValueDuplicate', message: `Duplicate value: ${JSON.stringify(value)}`, field }),
  notSupported: (field: string, value: unknown, supported: string[]): StatusCause => ({
    reason: 'FieldValueNotSupported',
    message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => `"${s}"`).join(', ')}`,
    field,
  }),
  forbidden: (field: string, detail: string): StatusCause => ({ reason: 'FieldValueForbidden', message: `Forbidden: ${detail}`, field }),
  immutable: (field: string, value: unknown): StatusCause => ({
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${JSON.stringify(value)}: field is immutable`,
    field,
  }),
  typeInvalid: (field: string, value: unknown, expected: string): StatusCause => ({
    reason: 'FieldValueTypeInvalid',
    message: `Invalid value: ${JSON.stringify(value)}: must be ${expected}`,
    field,
  }),
};
