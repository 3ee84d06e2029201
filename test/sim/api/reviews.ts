/**
 * authorization.k8s.io/v1 SelfSubjectAccessReview (what `kubectl auth can-i`
 * creates): validated as the real server does, never stored. The simulator
 * authenticates one bearer token and authorizes everything it serves to it (no
 * RBAC), so every well-formed review is allowed and says why. Other review
 * kinds (SelfSubjectRulesReview: `can-i --list`, SubjectAccessReview…) answer
 * 404 naming what is not served.
 */
import type { IncomingMessage } from 'node:http';
import { readObject } from './body';
import { isObject, type Json } from './defaults';
import { ApiError, cause, errors } from './status';

const API_VERSION = 'authorization.k8s.io/v1';

export async function review(req: IncomingMessage, method: string, rest: string[]): Promise<{ code: number; body: Json }> {
  if (rest.length !== 1 || rest[0] !== 'selfsubjectaccessreviews') {
    throw new ApiError({ ...errors.unknownResource().status, message: `the simulated API server does not serve authorization.k8s.io/v1 ${rest.join('/')}: only selfsubjectaccessreviews (create)` });
  }
  if (method !== 'POST') throw errors.methodNotAllowed();
  const body = await readObject(req, 'SelfSubjectAccessReview create');
  if (!isObject(body)) throw errors.badRequest('the body of a SelfSubjectAccessReview create must be an object');
  if (body.kind !== undefined && body.kind !== 'SelfSubjectAccessReview') throw errors.badRequest(`kind ${String(body.kind)} is not SelfSubjectAccessReview`);
  const spec = isObject(body.spec) ? body.spec : {};
  const resource = isObject(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
  const nonResource = isObject(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined;
  if (!resource === !nonResource) {
    const field = resource ? 'spec.nonResourceAttributes' : 'spec.resourceAttributes';
    throw errors.invalid('authorization.k8s.io', 'SelfSubjectAccessReview', '', [
      cause.invalid(field, resource ? spec.nonResourceAttributes : 'null', 'exactly one of nonResourceAttributes or resourceAttributes must be specified'),
    ]);
  }
  return {
    code: 201,
    body: {
      kind: 'SelfSubjectAccessReview',
      apiVersion: API_VERSION,
      metadata: { creationTimestamp: null },
      spec,
      status: { allowed: true, reason: 'the simulated API server authorizes every request made with its token (it has no RBAC)' },
    },
  };
}
