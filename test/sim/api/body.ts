/**
 * Request bodies as the real apiserver reads them: objects in JSON or in
 * Kubernetes protobuf (`application/vnd.kubernetes.protobuf`, the `k8s\0`
 * envelope that kubectl ≥ 1.28 and client-go send for built-in kinds), and
 * patches in the three patch types plus server-side apply
 * (`application/apply-patch+yaml`, whose body kubectl sends as JSON). Anything
 * else is a 415 naming the accepted types; a body that does not decode is a 400
 * naming the problem.
 */
import type { IncomingMessage } from 'node:http';
import { decodeEnvelope, PROTOBUF_CONTENT_TYPE, ProtobufDecodeError } from '../protobuf/decode';
import { PATCH_TYPES, type PatchKind } from './patch';
import { ApiError, errors } from './status';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;
export const APPLY_PATCH_TYPE = 'application/apply-patch+yaml';
const OBJECT_TYPES = ['application/json', PROTOBUF_CONTENT_TYPE];

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Request entity too large: limit is 3145728', reason: 'RequestEntityTooLarge', code: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw errors.badRequest(`the body of the ${what} is not valid JSON: ${(e as Error).message}`);
  }
}

function mediaType(req: IncomingMessage, fallback: string): string {
  return (req.headers['content-type'] ?? fallback).split(';')[0]!.trim().toLowerCase();
}

/** An object body (create, update, binding, eviction…) in JSON or Kubernetes protobuf. */
export async function readObject(req: IncomingMessage, what: string, options: { optional?: boolean } = {}): Promise<unknown> {
  const type = mediaType(req, 'application/json');
  const body = await readBody(req);
  if (options.optional && body.toString('utf8').trim() === '') return undefined;
  if (type === 'application/json' || type === '*/*' || type === '') return parseJson(body.toString('utf8'), what);
  if (type === PROTOBUF_CONTENT_TYPE) {
    try {
      return decodeEnvelope(body).object;
    } catch (e) {
      if (e instanceof ProtobufDecodeError) throw errors.badRequest(`the body of the ${what} is not a decodable Kubernetes protobuf object: ${e.message}`);
      throw e;
    }
  }
  throw errors.unsupportedMediaType(type, OBJECT_TYPES);
}

export type AnyPatchKind = PatchKind | 'apply';

/** A patch body and its type; server-side apply bodies must be JSON (what kubectl sends) — YAML text is refused by name. */
export async function readPatch(req: IncomingMessage): Promise<{ kind: AnyPatchKind; patch: unknown }> {
  const type = mediaType(req, '');
  const text = (await readBody(req)).toString('utf8');
  if (type === APPLY_PATCH_TYPE) {
    try {
      return { kind: 'apply', patch: JSON.parse(text) };
    } catch {
      throw errors.badRequest('the simulated API server reads apply patches written as JSON (as kubectl sends them); YAML text is not supported');
    }
  }
  for (const [kind, mime] of Object.entries(PATCH_TYPES)) if (mime === type) return { kind: kind as PatchKind, patch: parseJson(text, 'patch') };
  throw errors.unsupportedMediaType(type, [...Object.values(PATCH_TYPES), APPLY_PATCH_TYPE]);
}
