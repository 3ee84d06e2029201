import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ActionRequestSchema } from './actions';
import type { RateEstimate } from './credible-interval';

/**
 * The approval gate's digest (README, "Approvals"): what an operator is asked to
 * approve, bound by a hash to the exact change. The hash covers the
 * execution and trial, the target, the request, the hash of the object's
 * pre-image and the field-level change; an approval names that hash and is
 * good for nothing else. Pure: the executor computes the change from the
 * plan it would write, the gate stores and checks.
 */

/** Field changes shown and bound per digest; more are cut and flagged. */
const MAX_CHANGES = 100;

export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
export const DigestSchema = z.string().regex(DIGEST_PATTERN, 'must be a digest like sha256:<64 hex digits>');

/** One touched field: JSON pointer into the object, the value before and after (absent = not set). */
export const FieldChangeSchema = z.object({
  path: z.string().max(500),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
});
export type FieldChange = z.infer<typeof FieldChangeSchema>;

export const ApprovalTargetSchema = z.object({ kind: z.string(), namespace: z.string(), name: z.string() });

/** What the executor hands the gate when the policy says "approval-required": computed from the real plan. */
export const ChangeSetSchema = z.object({
  cluster: z.string(),
  target: ApprovalTargetSchema,
  action: ActionRequestSchema,
  /** Field-level before/after of every touched field (bounded; `truncated` says when more were cut). */
  change: z.array(FieldChangeSchema).max(MAX_CHANGES),
  truncated: z.boolean().default(false),
  /** sha256 of the object's identity and spec when read: any spec change or re-creation changes it. */
  preImageHash: DigestSchema,
  /** Why approval is needed: the policy's words. */
  policyReason: z.string().max(500),
});
export type ChangeSet = z.infer<typeof ChangeSetSchema>;

export const OutcomeStatisticsSchema = z.object({
  strategyId: z.string(),
  successes: z.number().int().nonnegative(),
  failures: z.number().int().nonnegative(),
  n: z.number().int().nonnegative(),
  mean: z.number(),
  low: z.number(),
  high: z.number(),
  level: z.number(),
  /** Where the counts come from (e.g. "this signature in namespace shop"). */
  context: z.string().max(300),
});

export const ApprovalDigestSchema = ChangeSetSchema.extend({
  version: z.literal(1),
  digest: DigestSchema,
  actionId: z.string().min(1).max(300),
  executionId: z.string().min(1).max(300),
  trial: z.number().int().positive(),
  signature: z.string().max(200),
  /** Why approval is needed, then why this action was chosen. */
  reasons: z.array(z.string().max(2000)).max(10),
  statistics: OutcomeStatisticsSchema.optional(),
  requestedAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
export type ApprovalDigest = z.infer<typeof ApprovalDigestSchema>;

/** JSON with object keys sorted at every level: the same value always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value));
}
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonical(v);
    }
    return out;
  }
  return value;
}

export const sha256 = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/**
 * Hash of what an approval of this object relies on: kind, identity (uid:
 * deleted and re-created is another object) and the whole spec. Status and
 * resourceVersion are left out on purpose: controllers rewrite them every few
 * seconds without anyone changing what the object is.
 */
export function preImageHash(kind: string, object: { metadata?: { namespace?: string; name?: string; uid?: string }; spec?: unknown }): string {
  return sha256(
    canonicalJson({ kind, namespace: object.metadata?.namespace, name: object.metadata?.name, uid: object.metadata?.uid, spec: object.spec ?? null }),
  );
}

interface PatchOp {
  op: string;
  path: string;
  value?: unknown;
}

const decodeSegment = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

function valueAt(object: unknown, path: string): unknown {
  let node: unknown = object;
  for (const raw of path.split('/').slice(1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[decodeSegment(raw)];
  }
  return node;
}

/**
 * The field-level change of JSON patch `ops` applied to `object`: leaves that
 * differ, each with its value before and after. `ignore` filters bookkeeping
 * paths (the optimistic-concurrency guard, the last-action marker).
 */
export function fieldChanges(object: unknown, ops: readonly PatchOp[], ignore: (path: string) => boolean): { change: FieldChange[]; truncated: boolean } {
  const out: FieldChange[] = [];
  const leaves = (path: string, before: unknown, after: unknown) => {
    if (ignore(path)) return;
    const isObj = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
    // Down to leaves, also where one side is absent: a field set for the first time shows as its leaves.
    const bothArrays = Array.isArray(before) && Array.isArray(after);
    if (bothArrays || ((isObj(before) || before === undefined) && (isObj(after) || after === undefined) && (isObj(before) || isObj(after)))) {
      const keys = new Set([...Object.keys((before ?? {}) as object), ...Object.keys((after ?? {}) as object)]);
      for (const key of [...keys].sort()) {
        leaves(`${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, ((before ?? {}) as Record<string, unknown>)[key], ((after ?? {}) as Record<string, unknown>)[key]);
      }
      return;
    }
    if (canonicalJson(before) === canonicalJson(after)) return;
    out.push({ path, ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) });
  };
  for (const op of ops) {
    if (op.op === 'test') continue;
    const before = valueAt(object, op.path);
    leaves(op.path, before, op.op === 'remove' ? undefined : op.value);
  }
  const limit = MAX_CHANGES;
  return { change: out.slice(0, limit), truncated: out.length > limit };
}

/**
 * Values a plan computes from the time of planning (a rollout restart's
 * timestamp): they differ between the request and the write by nature, so
 * the binding hash covers their path, not their value.
 */
const VOLATILE_PATHS = [/\/annotations\/kubectl\.kubernetes\.io~1restartedAt$/];

function bindingChange(change: readonly FieldChange[]): unknown[] {
  return change.map((c) => (VOLATILE_PATHS.some((re) => re.test(c.path)) ? { path: c.path, volatile: true } : c));
}

/**
 * The digest: what an approval is bound to. Same action id (execution and
 * trial), target, request, pre-image and change ⇔ same digest.
 */
export function digestOf(input: { actionId: string; changeSet: Pick<ChangeSet, 'cluster' | 'target' | 'action' | 'change' | 'preImageHash'> }): string {
  const { changeSet: c } = input;
  return sha256(
    canonicalJson({
      v: 1,
      actionId: input.actionId,
      cluster: c.cluster,
      target: c.target,
      action: c.action,
      preImageHash: c.preImageHash,
      change: bindingChange(c.change),
    }),
  );
}

export function buildDigest(input: {
  /** `<executionId>#<trial>`, the executor's idempotency key of this write. */
  actionId: string;
  executionId: string;
  trial: number;
  signature: string;
  changeSet: ChangeSet;
  why: string;
  statistics?: (RateEstimate & { strategyId: string; context: string }) | undefined;
  now: Date;
  timeoutSeconds: number;
}): ApprovalDigest {
  const { changeSet } = input;
  const statistics = input.statistics
    ? (({ strategyId, successes, failures, n, mean, low, high, level, context }) => ({ strategyId, successes, failures, n, mean, low, high, level, context }))(input.statistics)
    : undefined;
  return ApprovalDigestSchema.parse({
    ...changeSet,
    version: 1,
    digest: digestOf({ actionId: input.actionId, changeSet }),
    actionId: input.actionId,
    executionId: input.executionId,
    trial: input.trial,
    signature: input.signature,
    reasons: [changeSet.policyReason, `chosen because: ${input.why}`.slice(0, 2000)],
    ...(statistics ? { statistics } : {}),
    requestedAt: input.now.toISOString(),
    expiresAt: new Date(input.now.getTime() + input.timeoutSeconds * 1000).toISOString(),
  });
}

/** A readable one-line account of the change, for chat and pages ("spec.replicas: 3 → 0"). */
export function describeChange(change: readonly FieldChange[], max = 5): string {
  const show = (v: unknown) => (v === undefined ? '(unset)' : typeof v === 'string' ? v : JSON.stringify(v));
  const parts = change.slice(0, max).map((c) => `${c.path}: ${show(c.before)} → ${show(c.after)}`);
  return parts.join('; ') + (change.length > max ? `; and ${change.length - max} more` : '');
}
