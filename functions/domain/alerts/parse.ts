import type { z } from 'zod';
import { AlertPayloadInvalid } from './errors';
import { MAX_LABEL_VALUE, MAX_LABELS, type ParsedBody } from './types';

/** Validates with zod; the first issue names the field (`alerts.0.labels: ...`). */
export function parseAs<T extends z.ZodType>(schema: T, value: unknown, system: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue && issue.path.length > 0 ? issue.path.join('.') : '(body)';
  throw new AlertPayloadInvalid(`${system} payload: ${path}: ${issue?.message ?? 'invalid'}`);
}

export function jsonOf(body: ParsedBody, system: string): unknown {
  if (body.kind !== 'json') throw new AlertPayloadInvalid(`${system} payload must be JSON`);
  return body.value;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Untrusted key/value facts, bounded: at most MAX_LABELS keys, each value
 * clipped; non-string scalars become strings, nested values are dropped.
 */
export function boundedLabels(...sources: (Record<string, unknown> | undefined)[]): Record<string, string> {
  const out: Record<string, string> = {};
  let count = 0;
  for (const source of sources) {
    if (!source) continue;
    for (const [key, value] of Object.entries(source)) {
      if (count >= MAX_LABELS) return out;
      if (key.length === 0 || key.length > 200) continue;
      let text: string | undefined;
      if (typeof value === 'string') text = value;
      else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
      else if (Array.isArray(value) && value.length > 0 && typeof value[0] === 'string') text = value[0];
      if (text === undefined) continue;
      if (!(key in out)) count++;
      out[key] = text.slice(0, MAX_LABEL_VALUE);
    }
  }
  return out;
}

/** `key:value` / `key=value` tags (Datadog, Opsgenie) as labels; bare tags are skipped. */
export function labelsFromTags(tags: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of tags.slice(0, MAX_LABELS)) {
    const match = /^([^:=\s]{1,200})[:=](.*)$/.exec(tag.trim());
    if (match?.[1] && match[2] !== undefined) out[match[1]] = match[2].trim().slice(0, MAX_LABEL_VALUE);
  }
  return out;
}

/** `key=value` pairs inside free text (PagerDuty titles forwarded from Alertmanager: `... (namespace=shop pod=web-1)`). */
export function labelsFromText(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Za-z_][A-Za-z0-9_.\-/]{0,100})\s*=\s*"?([A-Za-z0-9][A-Za-z0-9_.\-:/]{0,252})"?/g;
  let match: RegExpExecArray | null;
  let count = 0;
  while ((match = re.exec(text)) !== null && count < MAX_LABELS) {
    if (match[1] && match[2]) {
      out[match[1]] = match[2];
      count++;
    }
  }
  return out;
}

export function clipText(text: string | undefined, max = 500): string {
  return (text ?? '').slice(0, max);
}
