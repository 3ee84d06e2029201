import { PatchStrategy } from '@kubernetes/client-node';
import { z } from 'zod';
import { FIELD_MANAGER } from '../../config/names';
import { ValidationError } from '../../domain/errors';
import type { PatchType } from '../../ports/cluster';

/**
 * What the Kubernetes adapter checks before any request (names, selectors,
 * patches, write options), so a bad argument never reaches the server as a
 * different path or selector than the caller meant.
 */

export const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  strategic: PatchStrategy.StrategicMergePatch,
  merge: PatchStrategy.MergePatch,
  json: PatchStrategy.JsonPatch,
};

// Validated before any request so a bad argument never reaches the server as a
// different path or selector than the caller meant.
export const NameSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a lowercase DNS name');
export const NamespaceSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a lowercase DNS label');
export const SelectorSchema = z.string().max(1024).regex(/^[^\n\r]*$/, 'must be one line');
export const KindSchema = z.string().regex(/^[A-Z][A-Za-z0-9]{0,62}$/, 'must be a Kubernetes kind such as Pod');
export const PatchOptionsSchema = z.object({
  dryRun: z.boolean().optional(),
  fieldManager: z.string().min(1).max(128).regex(/^[\x20-\x7e]+$/).optional(),
});
export const LogOptionsSchema = z.object({
  previous: z.boolean().optional(),
  tailLines: z.number().int().min(1).max(10_000).optional(),
  limitBytes: z.number().int().min(1).max(1024 * 1024).optional(),
});

export function check<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue && issue.path.length > 0 ? `${field}.${issue.path.join('.')}` : field;
    throw new ValidationError(`${path}: ${issue?.message ?? 'invalid'} (got ${JSON.stringify(value)?.slice(0, 80)})`, path);
  }
  return result.data;
}

export function checkPatch(patch: unknown, type: PatchType): void {
  if (!Object.hasOwn(PATCH_CONTENT_TYPES, type)) {
    throw new ValidationError(`type: unknown patch type '${String(type)}' (strategic, merge or json)`, 'type');
  }
  if (type === 'json') {
    if (!Array.isArray(patch) || patch.length === 0) {
      throw new ValidationError('patch: a JSON patch must be a non-empty array of operations', 'patch');
    }
    patch.forEach((op, i) => {
      if (typeof op !== 'object' || op === null || typeof (op as { op?: unknown }).op !== 'string' || typeof (op as { path?: unknown }).path !== 'string') {
        throw new ValidationError(`patch[${i}]: each JSON patch operation needs string 'op' and 'path'`, `patch.${i}`);
      }
    });
  } else if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw new ValidationError(`patch: a ${type === 'merge' ? 'JSON merge' : 'strategic merge'} patch must be a JSON object`, 'patch');
  }
}

export function writeQuery(o: { dryRun?: boolean; fieldManager?: string }): Record<string, string | undefined> {
  return { dryRun: o.dryRun ? 'All' : undefined, fieldManager: o.fieldManager ?? FIELD_MANAGER };
}
