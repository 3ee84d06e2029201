import { createHash } from 'node:crypto';
import type { FailureKind } from './incident';

/**
 * What identifies "the same failure on the same workload". Deliberately no pod
 * names, timestamps, counts, images or messages: those change between
 * detections of one ongoing failure and would defeat dedup.
 */
export interface FingerprintParts {
  cluster: string;
  namespace: string;
  targetKind: string;
  targetName: string;
  kind: FailureKind | string;
  subReason: string;
}

/** Lowercase kebab-case, e.g. `Tag Not Found` / `tag_not_found` → `tag-not-found`. */
export function kebab(text: string): string {
  const out = text
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return out.length > 0 ? out : 'unknown';
}

/** sha256 hex (first 32 chars) over the identifying parts, unit-separated so fields cannot run together. */
export function fingerprint(parts: FingerprintParts): string {
  const material = [
    'v1',
    parts.cluster,
    parts.namespace,
    parts.targetKind,
    parts.targetName,
    parts.kind,
    kebab(parts.subReason),
  ].join('\u001f');
  return createHash('sha256').update(material, 'utf8').digest('hex').slice(0, 32);
}

/** The failure signature used to find similar past incidents: `Kind:sub-reason`. */
export function signatureOf(kind: FailureKind | string, subReason: string): string {
  return `${kind}:${kebab(subReason)}`;
}
