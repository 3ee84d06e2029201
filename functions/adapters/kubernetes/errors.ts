import {
  KubeConflict,
  KubeError,
  KubeForbidden,
  KubeInvalid,
  KubeNotFound,
  KubeThrottled,
  KubeTimeout,
  KubeUnauthorized,
  KubeUnavailable,
  ReflexionError,
  type MissingPermission,
} from '../../domain/errors';

/** Error codes of a connection that never produced an HTTP answer. */
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Longest server message kept in an error: Status messages can quote whole objects. */
const MAX_SERVER_MESSAGE = 1_000;

interface HttpErrorLike {
  code: number;
  body?: unknown;
}

function isHttpError(error: unknown): error is HttpErrorLike {
  // client-node's ApiException: numeric `code` (HTTP status) and the body as text.
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number';
}

function systemCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth += 1) {
    const code = (e as { code?: unknown; errno?: unknown }).code ?? (e as { errno?: unknown }).errno;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The `message` of a Kubernetes Status body, or the body itself when it is not one. */
export function serverMessage(body: unknown): string | undefined {
  if (body === undefined || body === null || body === '') return undefined;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.slice(0, MAX_SERVER_MESSAGE);
    }
  }
  if (typeof parsed === 'object' && parsed !== null) {
    const message = (parsed as { message?: unknown }).message;
    if (typeof message === 'string') return message.slice(0, MAX_SERVER_MESSAGE);
  }
  return typeof body === 'string' ? body.slice(0, MAX_SERVER_MESSAGE) : undefined;
}

/**
 * Removes credentials from text that may end up in logs, state-machine error
 * output or a prompt: the known secrets verbatim, and anything that looks
 * like a bearer token or an EKS token.
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[REDACTED]');
  }
  return out
    .replace(/(Bearer\s+)[^\s"',]+/gi, '$1[REDACTED]')
    .replace(/k8s-aws-v1\.[A-Za-z0-9_-]+/g, 'k8s-aws-v1.[REDACTED]');
}

// kube-apiserver's RBAC denial: `... cannot patch resource "deployments/scale" in API group "apps" in the namespace "shop"`.
const FORBIDDEN_MESSAGE = /cannot ([a-z]+) resource "([a-z0-9./-]+)"(?: in API group "([a-z0-9.-]*)")?(?: in the namespace "([a-z0-9-]+)")?/;

/** The verb, resource, group and namespace a Forbidden Status message names; undefined when it names none. */
export function missingPermission(message: string | undefined): MissingPermission | undefined {
  const m = message ? FORBIDDEN_MESSAGE.exec(message) : null;
  if (!m) return undefined;
  return { verb: m[1]!, resource: m[2]!, group: m[3] ?? '', ...(m[4] ? { namespace: m[4] } : {}) };
}

/**
 * Maps anything thrown by the Kubernetes client to one of the named Kube*
 * errors, so the state machine's Retry/Catch can match on its name. The
 * server's Status message goes into the message; the original stays as cause.
 */
export function toKubeError(error: unknown, what: string, secrets: readonly string[] = []): KubeError {
  if (error instanceof KubeError) return error;
  if (error instanceof ReflexionError) {
    return new KubeError(redact(`${what}: ${error.message}`, secrets), undefined, { cause: error });
  }
  const say = (text: string) => redact(`${what}: ${text}`, secrets);
  if (isHttpError(error)) {
    const status = error.code;
    const detail = serverMessage(error.body);
    const text = (label: string) => say(detail ? `${status} ${label}: ${detail}` : `${status} ${label}`);
    const options = { cause: error };
    if (status === 401) return new KubeUnauthorized(text('Unauthorized (the credentials were rejected)'), status, options);
    if (status === 403) {
      const permission = missingPermission(detail);
      if (!permission) return new KubeForbidden(text('Forbidden'), status, options);
      const where = permission.namespace ? `in namespace ${permission.namespace}` : 'at the cluster scope';
      const resource = permission.group ? `${permission.resource}.${permission.group}` : permission.resource;
      return new KubeForbidden(
        say(`403 Forbidden: missing RBAC permission '${permission.verb} ${resource}' ${where} (the manifests of 'eks-reflexion rbac' grant what this system needs): ${detail ?? ''}`),
        status,
        options,
        permission,
      );
    }
    if (status === 404) return new KubeNotFound(text('Not Found'), status, options);
    if (status === 409) return new KubeConflict(text('Conflict'), status, options);
    if (status === 422 || status === 400) return new KubeInvalid(text(status === 422 ? 'Invalid' : 'Bad Request'), status, options);
    if (status === 429) return new KubeThrottled(text('Too Many Requests'), status, options);
    if (status === 504) return new KubeTimeout(text('Gateway Timeout'), status, options);
    if (status >= 500) return new KubeUnavailable(text('Server Error'), status, options);
    return new KubeError(text('Unexpected status'), status, options);
  }
  const name = (error as { name?: unknown } | null)?.name;
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'AbortError' || name === 'TimeoutError') {
    return new KubeTimeout(say(`request timed out (${message})`), undefined, { cause: error });
  }
  const code = systemCode(error);
  if (code && TIMEOUT_CODES.has(code)) return new KubeTimeout(say(`${code}: ${message}`), undefined, { cause: error });
  if (code && UNAVAILABLE_CODES.has(code)) return new KubeUnavailable(say(`${code}: ${message}`), undefined, { cause: error });
  if (code && TLS_CODES.has(code)) {
    return new KubeError(say(`TLS verification of the API server failed (${code}): ${message}`), undefined, { cause: error });
  }
  return new KubeError(say(message), undefined, { cause: error });
}
